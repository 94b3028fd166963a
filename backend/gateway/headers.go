package gateway

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"switchboard/backend/route"
)

// An answer's headers are set as fixed value slices under canonical keys:
// Header.Set canonicalizes its key and allocates a slice for every value,
// and net/http formats the Date of every answer from the clock. On a small
// stream those were a third of the cost of writing its head, which a
// client waits for (scripts/bench.sh, c=1). The slices are shared by every
// answer and never written to: net/http only reads them, and an Add would
// append to a copy (their capacity is their length).
var (
	hdrEventStream = []string{"text/event-stream; charset=utf-8"}
	hdrJSON        = []string{"application/json"}
	hdrNoCache     = []string{"no-cache"}
	hdrNoBuffering = []string{"no"}
)

// dateValue is the Date header for one second.
type dateValue struct {
	sec int64
	v   []string
}

var lastDate atomic.Pointer[dateValue]

// httpDate is the Date header's value at now, formatted once a second (the
// header's resolution).
func httpDate(now time.Time) []string {
	s := now.Unix()
	if d := lastDate.Load(); d != nil && d.sec == s {
		return d.v
	}
	d := &dateValue{sec: s, v: []string{now.UTC().Format(http.TimeFormat)}}
	lastDate.Store(d)
	return d.v
}

// streamHead sets a stream answer's headers.
func streamHead(h http.Header) {
	h["Content-Type"] = hdrEventStream
	h["Cache-Control"] = hdrNoCache
	h["X-Accel-Buffering"] = hdrNoBuffering // a reverse proxy in front must not buffer it
	h["Date"] = httpDate(time.Now())
}

// jsonHead sets a whole JSON answer's headers for n bytes.
func jsonHead(h http.Header, n int) {
	h["Content-Type"] = hdrJSON
	h["Content-Length"] = []string{strconv.Itoa(n)}
	h["Date"] = httpDate(time.Now())
}

// routeHead names the candidate that answers (X-Switchboard-Route).
func routeHead(h http.Header, c route.Candidate) {
	h["X-Switchboard-Route"] = []string{routeHeader(c.Provider.Entry.ID, c.Model)}
}
