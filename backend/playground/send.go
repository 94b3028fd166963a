package playground

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
)

// SendTimeout bounds one playground send, stream included.
const SendTimeout = 2 * time.Minute

// KeyName is the key the request log shows for playground requests.
const KeyName = "playground"

// Gateway serves a request the way it serves clients (gateway.ServeLocal).
type Gateway interface {
	ServeLocal(w http.ResponseWriter, r *http.Request, keyName string)
}

// Playground sends requests through a running gateway.
type Playground struct{ gw Gateway }

// New returns a playground sending through gw.
func New(gw Gateway) *Playground { return &Playground{gw: gw} }

// SendInput is a request to send: the body in its dialect, sent for Model
// (written into the body, or the URL for Gemini) as a stream or not.
type SendInput struct {
	Dialect string `json:"dialect"`
	Body    string `json:"body"`
	Model   string `json:"model"`
	Stream  bool   `json:"stream"`
}

// Attempt is one upstream call: what was sent and what came back raw.
// An answer that failed before any upstream was called (the body is
// invalid, no route) has no attempts.
type Attempt struct {
	Method  string  `json:"method"`
	URL     string  `json:"url"`
	Request string  `json:"request"` // the body sent (headers are never kept: they carry credentials)
	Answer  Capture `json:"answer"`
	// Error is set when no answer came (the connection failed).
	Error string `json:"error,omitempty"`
}

// SendResult is a sent request: what each upstream call saw and what the
// client received in its own dialect.
type SendResult struct {
	Dialect    string    `json:"dialect"`
	Endpoint   string    `json:"endpoint"` // POST /v1/messages
	Route      string    `json:"route,omitempty"`
	DurationMS float64   `json:"durationMs"`
	Upstream   []Attempt `json:"upstream"`
	Client     Capture   `json:"client"`
}

// Send sends in through the gateway's routing and returns both sides.
func (p *Playground) Send(ctx context.Context, in SendInput) (SendResult, error) {
	if _, err := codecOf(in.Dialect); err != nil {
		return SendResult{}, err
	}
	if err := checkBody(in.Body); err != nil {
		return SendResult{}, err
	}
	model := strings.TrimSpace(in.Model)
	if model == "" {
		return SendResult{}, invalid("pick a model to send the request to")
	}
	d := dialect.Name(in.Dialect)
	path := endpoint(d, model, in.Stream)
	body := []byte(in.Body)
	if d != dialect.Gemini && gjson.ValidBytes(body) && gjson.ParseBytes(body).IsObject() {
		// An invalid body goes as it is: the gateway's answer to it (in the
		// client's dialect) is worth seeing too.
		body, _ = sjson.SetBytes(body, "model", model)
		body, _ = sjson.SetBytes(body, "stream", in.Stream)
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	start := time.Now()
	t := &tap{start: start}
	ctx, release := provider.WithTap(ctx, t)
	defer release()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://switchboard.local"+path, bytes.NewReader(body))
	if err != nil {
		return SendResult{}, invalid("model %q does not fit in a URL", model)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "switchboard-playground")
	w := &clientWriter{start: start, header: http.Header{}}
	p.gw.ServeLocal(w, r, KeyName)
	res := SendResult{Dialect: in.Dialect, Endpoint: "POST " + path, Route: w.header.Get("X-Switchboard-Route"),
		Upstream: t.attempts(), Client: w.capture()}
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// tap records each upstream call of one send (see provider.Tap).
type tap struct {
	start time.Time
	mu    sync.Mutex
	calls []*call
}

type call struct {
	method, url string
	sent        frames // the request body as it went out
	answer      *frames
}

var _ provider.Tap = (*tap)(nil)

func (t *tap) Sending(req *http.Request) {
	c := &call{method: req.Method, url: safeURL(req.URL)}
	c.sent.json = true
	if req.Body != nil {
		req.Body = &teeBody{ReadCloser: req.Body, see: c.sent.write}
	}
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

func (t *tap) current() *call {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.calls) == 0 {
		return nil
	}
	return t.calls[len(t.calls)-1]
}

func (t *tap) Answered(resp *http.Response) {
	c := t.current()
	if c == nil {
		return
	}
	f := newFrames(t.start, resp.StatusCode, resp.Header.Get("Content-Type"))
	t.mu.Lock()
	c.answer = f
	t.mu.Unlock()
	resp.Body = &teeBody{ReadCloser: resp.Body, see: f.write}
}

func (t *tap) Refused(status int, contentType string, body []byte) {
	c := t.current()
	if c == nil {
		return
	}
	f := newFrames(t.start, status, contentType)
	f.json = true // one frame, whatever it is
	f.sse = false
	f.write(body)
	t.mu.Lock()
	c.answer = f
	t.mu.Unlock()
}

func (t *tap) attempts() []Attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Attempt, 0, len(t.calls))
	for _, c := range t.calls {
		a := Attempt{Method: c.method, URL: c.url, Request: indent([]byte(joinFrames(c.sent.done())))}
		if c.answer != nil {
			a.Answer = c.answer.done()
		} else {
			a.Answer = Capture{Frames: []Frame{}}
			a.Error = "no answer (the connection failed or was cancelled)"
		}
		out = append(out, a)
	}
	return out
}

func joinFrames(c Capture) string {
	var b strings.Builder
	for _, f := range c.Frames {
		b.WriteString(f.Data)
	}
	return b.String()
}

// safeURL is u without its query's key (Gemini's key may travel there) and
// without user info.
func safeURL(u *url.URL) string {
	cp := *u
	cp.User = nil
	if q := cp.Query(); q.Has("key") {
		q.Set("key", "[REDACTED]")
		cp.RawQuery = q.Encode()
	}
	return cp.String()
}
