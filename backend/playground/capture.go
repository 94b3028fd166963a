package playground

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// MaxCapture bounds what one capture keeps (a long stream is cut there and
// marked truncated; the request itself runs to its end).
const MaxCapture = 1 << 20

// Frame is one unit of an answer as it arrived: an SSE event (its lines as
// sent), a whole JSON body, or a chunk of any other body.
type Frame struct {
	AtMS  float64 `json:"atMs"`            // since the send began
	Event string  `json:"event,omitempty"` // the SSE event's name or its data's type
	Data  string  `json:"data"`
}

// Capture is one answer, frame by frame.
type Capture struct {
	Status      int     `json:"status"`
	ContentType string  `json:"contentType"`
	Frames      []Frame `json:"frames"`
	Bytes       int     `json:"bytes"`
	Truncated   bool    `json:"truncated,omitempty"`
}

// frames splits a body into Frames as its bytes arrive. Safe for
// concurrent use (the gateway may read an upstream on another goroutine).
type frames struct {
	mu      sync.Mutex
	start   time.Time
	sse     bool
	json    bool
	pending []byte
	last    time.Time
	cap     Capture
}

func newFrames(start time.Time, status int, contentType string) *frames {
	f := &frames{start: start, cap: Capture{Status: status, ContentType: contentType, Frames: []Frame{}}}
	f.sse = strings.HasPrefix(contentType, "text/event-stream")
	f.json = strings.Contains(contentType, "json")
	return f
}

func (f *frames) write(p []byte) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cap.Bytes += len(p)
	if f.cap.Truncated {
		return
	}
	if f.cap.Bytes > MaxCapture {
		p = p[:max(0, len(p)-(f.cap.Bytes-MaxCapture))]
		f.cap.Truncated = true
	}
	f.last = now
	switch {
	case f.sse:
		f.pending = append(f.pending, p...)
		for {
			end, next := eventEnd(f.pending)
			if end < 0 {
				break
			}
			f.add(now, f.pending[:end])
			f.pending = f.pending[next:]
		}
	case f.json:
		f.pending = append(f.pending, p...) // one frame: the whole body
	default:
		if len(p) > 0 {
			f.add(now, p) // chunks as they came (a binary event stream…)
		}
	}
}

// done adds what is left as the last frame and returns the capture.
func (f *frames) done() Capture {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(bytes.TrimSpace(f.pending)) > 0 {
		f.add(f.last, f.pending)
	}
	f.pending = nil
	return f.cap
}

func (f *frames) add(at time.Time, b []byte) {
	fr := Frame{AtMS: math.Round(float64(at.Sub(f.start).Microseconds())) / 1000, Data: strings.ToValidUTF8(string(b), "\uFFFD")}
	if f.sse {
		fr.Event = eventName(b)
	}
	f.cap.Frames = append(f.cap.Frames, fr)
}

// eventEnd finds the blank line that ends the first SSE event in b: the
// event's end and where the next one starts, or -1.
func eventEnd(b []byte) (end, next int) {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		j := i + 1
		if j < len(b) && b[j] == '\r' {
			j++
		}
		if j < len(b) && b[j] == '\n' {
			end = i
			if end > 0 && b[end-1] == '\r' {
				end--
			}
			return end, j + 1
		}
	}
	return -1, 0
}

// eventName is an SSE event's "event:" field, else its data's "type"
// (or "object"), else [DONE] for OpenAI's terminal frame.
func eventName(ev []byte) string {
	var data []byte
	for _, line := range bytes.Split(ev, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if v, ok := bytes.CutPrefix(line, []byte("event:")); ok {
			return string(bytes.TrimSpace(v))
		}
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok && data == nil {
			data = bytes.TrimSpace(v)
		}
	}
	if string(data) == "[DONE]" {
		return "[DONE]"
	}
	for _, k := range []string{"type", "object"} {
		if v := gjson.GetBytes(data, k); v.Type == gjson.String {
			return v.String()
		}
	}
	return ""
}

// teeBody passes a body through, showing each read to see.
type teeBody struct {
	io.ReadCloser
	see func([]byte)
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if n > 0 {
		t.see(p[:n])
	}
	return n, err
}

// clientWriter is the ResponseWriter the gateway answers the playground
// through: it keeps what a client would have read, frame by frame.
type clientWriter struct {
	start  time.Time
	header http.Header
	f      *frames
}

func (w *clientWriter) Header() http.Header { return w.header }

func (w *clientWriter) WriteHeader(status int) {
	if w.f == nil {
		w.f = newFrames(w.start, status, w.header.Get("Content-Type"))
	}
}

func (w *clientWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.f.write(p)
	return len(p), nil
}

// Flush is a no-op: frames are split as they are written.
func (w *clientWriter) Flush() {}

func (w *clientWriter) capture() Capture {
	if w.f == nil {
		return Capture{Frames: []Frame{}}
	}
	return w.f.done()
}
