package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dialect names as the gateway and these tests use them.
const (
	dOpenAI    = "openai"
	dResponses = "responses"
	dAnthropic = "anthropic"
	dGemini    = "gemini"
)

var allDialects = []string{dOpenAI, dResponses, dAnthropic, dGemini}

// The conversation every scripted upstream plays: a plain answer, a call of
// get_weather({"city":"Paris"}), and a final answer once the tool result
// comes back.
const (
	toolName   = "get_weather"
	toolResult = "sunny, 22C"
	finalText  = "It is sunny and 22C in Paris."
	usageIn    = 11
	usageOut   = 7
)

func helloParts(d string) []string { return []string{"Hello from ", "the " + d + " upstream."} }
func helloText(d string) string    { return strings.Join(helloParts(d), "") }
func finalParts() []string         { return []string{"It is sunny ", "and 22C in Paris."} }

// Call ids each vendor would mint for the get_weather call.
var upstreamCallID = map[string]string{
	dOpenAI:    "call_oa_weather_1",
	dResponses: "call_rs_weather_1",
	dAnthropic: "toolu_an_weather_01",
	dGemini:    "gm_weather_1",
}

// upstreamKey is the credential each scripted upstream expects.
func upstreamKey(d string) string { return "up-key-" + d + "-0123456789" }

// Script changes how an upstream answers. The zero value answers normally.
type Script struct {
	Status  int    // answer with this status and ErrBody (the dialect's error shape when empty)
	ErrBody string //
	// RetryAfter is sent as Retry-After with an error status.
	RetryAfter string
	Delay      time.Duration // before anything is written
	// CutBeforeHeaders drops the connection without any response.
	CutBeforeHeaders bool
	// CutAfter drops the connection after N SSE events (0: off).
	CutAfter int
	// EndAfter ends the body cleanly (no terminal event) after N SSE events (0: off).
	EndAfter int
	// CutBeforeContent drops the connection right before the first content event.
	CutBeforeContent bool
	// CutAfterContent drops the connection right after the first content event.
	CutAfterContent bool
	// HangAfterContent sends events up to the first content event, then sends
	// nothing more until the request's context ends.
	HangAfterContent bool
	// Hang sends the headers and nothing else until the request ends.
	Hang bool
	// ErrorAfterContent sends the dialect's in-stream error event right after
	// the first content event, then ends the body.
	ErrorAfterContent bool
	// ErrorBeforeContent answers 200 with the stream's handshake events, then
	// the dialect's error event, before any content.
	ErrorBeforeContent bool
}

// recorded is one request an upstream received.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

func (r recorded) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// upstream is a scripted vendor API on 127.0.0.1.
type upstream struct {
	t       *testing.T
	dialect string
	srv     *httptest.Server
	stop    chan struct{}

	mu       sync.Mutex
	reqs     []recorded
	def      Script
	queue    []Script
	canceled chan string // paths of requests whose context ended while hanging
	hits     int
}

func newUpstream(t *testing.T, dialect string) *upstream {
	t.Helper()
	u := &upstream{t: t, dialect: dialect, stop: make(chan struct{}), canceled: make(chan string, 16)}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() {
		close(u.stop)
		u.srv.CloseClientConnections()
		u.srv.Close()
	})
	return u
}

// BaseURL is what a provider config points at (versioned for OpenAI-style
// dialects, the root for Anthropic and Gemini, like the vendors).
func (u *upstream) BaseURL() string {
	if u.dialect == dOpenAI || u.dialect == dResponses {
		return u.srv.URL + "/v1"
	}
	return u.srv.URL
}

// Push queues scripts used by the next requests, one each, in order.
func (u *upstream) Push(s ...Script) {
	u.mu.Lock()
	u.queue = append(u.queue, s...)
	u.mu.Unlock()
}

// SetDefault changes the script used when the queue is empty.
func (u *upstream) SetDefault(s Script) {
	u.mu.Lock()
	u.def = s
	u.mu.Unlock()
}

// Requests returns a copy of what the upstream received.
func (u *upstream) Requests() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.reqs...)
}

// Hits counts requests received.
func (u *upstream) Hits() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits
}

// Find returns the requests whose body contains marker.
func (u *upstream) Find(marker string) []recorded {
	var out []recorded
	for _, r := range u.Requests() {
		if bytes.Contains(r.Body, []byte(marker)) {
			out = append(out, r)
		}
	}
	return out
}

func (u *upstream) next() Script {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hits++
	if len(u.queue) > 0 {
		s := u.queue[0]
		u.queue = u.queue[1:]
		return s
	}
	return u.def
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.reqs = append(u.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	u.mu.Unlock()
	if !u.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, vendorError(u.dialect, http.StatusUnauthorized, "scripted upstream: missing or wrong API key"))
		return
	}
	s := u.next()
	if s.Delay > 0 {
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			u.noteCanceled(r)
			return
		case <-u.stop:
			return
		}
	}
	if s.CutBeforeHeaders {
		panic(http.ErrAbortHandler)
	}
	if s.Status != 0 && s.Status != http.StatusOK {
		b := s.ErrBody
		if b == "" {
			b = vendorError(u.dialect, s.Status, fmt.Sprintf("scripted upstream error %d", s.Status))
		}
		if s.RetryAfter != "" {
			w.Header().Set("Retry-After", s.RetryAfter)
		}
		writeJSON(w, s.Status, b)
		return
	}
	var req map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, vendorError(u.dialect, 400, "scripted upstream: body is not JSON: "+err.Error()))
			return
		}
	}
	switch {
	case u.dialect == dOpenAI && strings.HasSuffix(r.URL.Path, "/embeddings"):
		u.embeddings(w, req)
		return
	case u.dialect == dAnthropic && strings.HasSuffix(r.URL.Path, "/count_tokens"):
		writeJSON(w, 200, `{"input_tokens":42}`)
		return
	case u.dialect == dGemini && strings.HasSuffix(r.URL.Path, ":countTokens"):
		writeJSON(w, 200, `{"totalTokens":42}`)
		return
	}
	if !u.knownPath(r) {
		writeJSON(w, http.StatusNotFound, vendorError(u.dialect, 404, "scripted upstream: no route "+r.Method+" "+r.URL.Path))
		return
	}
	turn := classify(u.dialect, req)
	model := u.model(r, req)
	if u.streaming(r, req) {
		evs := buildStream(u.dialect, turn, model)
		if u.dialect == dOpenAI && !asksStreamUsage(req) {
			evs = evs[: len(evs)-2 : len(evs)-2]
			evs = append(evs, sseEvent{data: "[DONE]"}) // OpenAI sends the usage chunk only when asked
		}
		u.stream(w, r, s, evs)
		return
	}
	if s.Hang {
		u.hang(w, r, "application/json")
		return
	}
	writeJSON(w, 200, buildJSON(u.dialect, turn, model))
}

func (u *upstream) authorized(r *http.Request) bool {
	want := upstreamKey(u.dialect)
	switch u.dialect {
	case dAnthropic:
		return r.Header.Get("X-Api-Key") == want && r.Header.Get("Anthropic-Version") != ""
	case dGemini:
		return r.Header.Get("X-Goog-Api-Key") == want
	}
	return r.Header.Get("Authorization") == "Bearer "+want
}

func (u *upstream) knownPath(r *http.Request) bool {
	p := r.URL.Path
	switch u.dialect {
	case dOpenAI:
		return p == "/v1/chat/completions"
	case dResponses:
		return p == "/v1/responses"
	case dAnthropic:
		return p == "/v1/messages"
	}
	return strings.HasPrefix(p, "/v1beta/models/") &&
		(strings.HasSuffix(p, ":generateContent") || strings.HasSuffix(p, ":streamGenerateContent"))
}

func (u *upstream) streaming(r *http.Request, req map[string]any) bool {
	if u.dialect == dGemini {
		return strings.HasSuffix(r.URL.Path, ":streamGenerateContent")
	}
	s, _ := req["stream"].(bool)
	return s
}

func (u *upstream) model(r *http.Request, req map[string]any) string {
	if u.dialect == dGemini {
		m := strings.TrimPrefix(r.URL.Path, "/v1beta/models/")
		if i := strings.LastIndexByte(m, ':'); i >= 0 {
			m = m[:i]
		}
		return m
	}
	m, _ := req["model"].(string)
	return m
}

func (u *upstream) noteCanceled(r *http.Request) {
	select {
	case u.canceled <- r.URL.Path:
	default:
	}
}

// hang waits for the request (or the test) to end, noting a cancellation.
// With contentType set it first sends 200 headers of that type.
func (u *upstream) hang(w http.ResponseWriter, r *http.Request, contentType string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
	}
	select {
	case <-r.Context().Done():
		u.noteCanceled(r)
	case <-u.stop:
	}
}

// sseEvent is one planned event of a scripted stream.
type sseEvent struct {
	name    string // SSE event name ("" for data-only dialects)
	data    string
	content bool // carries model output (text or tool arguments)
}

func (e sseEvent) bytes() []byte {
	var b strings.Builder
	if e.name != "" {
		b.WriteString("event: " + e.name + "\n")
	}
	b.WriteString("data: " + e.data + "\n\n")
	return []byte(b.String())
}

func (u *upstream) stream(w http.ResponseWriter, r *http.Request, s Script, evs []sseEvent) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	fl.Flush()
	if s.Hang {
		u.hang(w, r, "")
		return
	}
	sawContent := false
	for i, ev := range evs {
		if s.ErrorBeforeContent && ev.content && !sawContent {
			_, _ = w.Write(errorEvent(u.dialect).bytes())
			fl.Flush()
			return
		}
		if s.CutAfter > 0 && i == s.CutAfter {
			panic(http.ErrAbortHandler)
		}
		if s.EndAfter > 0 && i == s.EndAfter {
			return
		}
		if s.CutBeforeContent && ev.content && !sawContent {
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(ev.bytes()); err != nil {
			return
		}
		fl.Flush()
		if ev.content && !sawContent {
			sawContent = true
			switch {
			case s.CutAfterContent:
				panic(http.ErrAbortHandler)
			case s.HangAfterContent:
				u.hang(w, r, "")
				return
			case s.ErrorAfterContent:
				_, _ = w.Write(errorEvent(u.dialect).bytes())
				fl.Flush()
				return
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// vendorError is an error body in the vendor's documented shape.
func vendorError(d string, status int, msg string) string {
	m, _ := json.Marshal(msg)
	switch d {
	case dAnthropic:
		typ := map[int]string{400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
			429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}[status]
		if typ == "" {
			typ = "api_error"
		}
		return `{"type":"error","error":{"type":"` + typ + `","message":` + string(m) + `}}`
	case dGemini:
		st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
			500: "INTERNAL", 503: "UNAVAILABLE"}[status]
		if st == "" {
			st = "UNKNOWN"
		}
		return fmt.Sprintf(`{"error":{"code":%d,"message":%s,"status":"%s"}}`, status, m, st)
	}
	typ := map[int]string{400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
		429: "rate_limit_exceeded", 500: "server_error"}[status]
	if typ == "" {
		typ = "server_error"
	}
	code := "null"
	if status == 429 {
		code = `"rate_limit_exceeded"`
	}
	return `{"error":{"message":` + string(m) + `,"type":"` + typ + `","param":null,"code":` + code + `}}`
}

// errorEvent is the in-stream error each vendor documents.
func errorEvent(d string) sseEvent {
	switch d {
	case dAnthropic:
		return sseEvent{name: "error", data: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}
	case dResponses:
		return sseEvent{name: "error", data: `{"type":"error","code":"server_error","message":"The server had an error while processing your request.","param":null,"sequence_number":99}`}
	case dGemini:
		return sseEvent{data: `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`}
	}
	return sseEvent{data: `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`}
}

// embeddings answers an OpenAI embeddings request, in base64 when asked.
func (u *upstream) embeddings(w http.ResponseWriter, req map[string]any) {
	var inputs []string
	switch v := req["input"].(type) {
	case string:
		inputs = []string{v}
	case []any:
		for _, x := range v {
			s, _ := x.(string)
			inputs = append(inputs, s)
		}
	}
	format, _ := req["encoding_format"].(string)
	model, _ := req["model"].(string)
	var data []string
	for i := range inputs {
		vec := embeddingFor(i)
		var val string
		if format == "base64" {
			val = `"` + float32Base64(vec) + `"`
		} else {
			b, _ := json.Marshal(vec)
			val = string(b)
		}
		data = append(data, fmt.Sprintf(`{"object":"embedding","index":%d,"embedding":%s}`, i, val))
	}
	writeJSON(w, 200, fmt.Sprintf(`{"object":"list","data":[%s],"model":%q,"usage":{"prompt_tokens":%d,"total_tokens":%d}}`,
		strings.Join(data, ","), model, 3*len(inputs), 3*len(inputs)))
}

// embeddingFor is the vector for input i: values exact in float32.
func embeddingFor(i int) []float32 {
	return []float32{0.5, -0.25, 0.125 * float32(i+1), 1}
}

// asksStreamUsage reports an OpenAI request with stream_options.include_usage.
func asksStreamUsage(req map[string]any) bool {
	so, _ := req["stream_options"].(map[string]any)
	v, _ := so["include_usage"].(bool)
	return v
}
