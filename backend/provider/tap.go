package provider

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// Tap sees one caller's upstream calls as they happen: the translator
// playground sets one on the context of its own requests to show what an
// upstream was sent and what it answered, byte for byte. Ordinary requests
// carry none and pay one atomic load (see tapOf).
//
// A Tap must never record the request's headers: they carry credentials.
type Tap interface {
	// Sending is called just before req goes out; it may wrap req.Body to
	// see the bytes sent.
	Sending(req *http.Request)
	// Answered is called with a 2xx answer; it may wrap resp.Body to see
	// the bytes as the caller reads them.
	Answered(resp *http.Response)
	// Refused is called with a failed answer's status, content type and
	// bounded body, the call's key already redacted from it.
	Refused(status int, contentType string, body []byte)
}

type tapKey struct{}

// tapsOn counts contexts carrying a Tap that are still in use, so Send
// looks one up only while a playground request runs.
var tapsOn atomic.Int32

// WithTap returns ctx carrying t for the calls made under it, and the
// function to call once those calls are over.
func WithTap(ctx context.Context, t Tap) (context.Context, func()) {
	tapsOn.Add(1)
	var once sync.Once
	return context.WithValue(ctx, tapKey{}, t), func() { once.Do(func() { tapsOn.Add(-1) }) }
}

func tapOf(ctx context.Context) Tap {
	if tapsOn.Load() == 0 {
		return nil
	}
	t, _ := ctx.Value(tapKey{}).(Tap)
	return t
}
