// Package vendorsim is a set of scripted reasoning-model vendors for tests:
// an Anthropic Messages, OpenAI Responses, Gemini and OpenAI Chat endpoint
// that think before they call tools, sign what they think the way each
// vendor does, and refuse the next turn of a tool loop exactly when the real
// API would:
//
//   - Anthropic (thinking enabled or adaptive): the last assistant turn that
//     holds tool_use must start with a thinking block, every thinking
//     signature must be one it issued for that text, and a turn it answered
//     with thinking must come back with that very thinking;
//   - Gemini: every functionCall it issued must come back with the
//     thoughtSignature it carried; a functionCall it did not issue needs a
//     signature (Google's documented skip value counts) when it opens a
//     step of the current turn; an unknown signature is corrupt;
//   - Responses: a function_call item whose id it issued must follow the
//     reasoning item issued with it; encrypted_content it did not issue
//     cannot be verified.
//
// Answers name a dated model id (the requested one + "-2026-01-01"), as
// vendors do, so a gateway that leaks the upstream's name is caught.
//
// Nothing here is production code: it is linked only into tests and the
// fakeupstream command of scripts/test-clis.sh.
package vendorsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Dialects served, as the gateway names them.
const (
	Anthropic = "anthropic"
	Responses = "responses"
	Gemini    = "gemini"
	OpenAI    = "openai"
)

// GeminiSkipSignature is the value Google documents for history whose real
// signature is unknown.
const GeminiSkipSignature = "skip_thought_signature_validator"

// Tool is a tool the client offered: its name and JSON schema.
type Tool struct {
	Name   string
	Schema map[string]any
}

// Picker chooses the call to make from the offered tools; ok false answers
// with text instead.
type Picker func(tools []Tool) (name string, args map[string]any, ok bool)

// Options script a Sim.
type Options struct {
	Pick      Picker
	FinalText string // the answer once tool results came back
	PlainText string // the answer when no tool is offered
	// Steps is how many tool calls the model makes (one per turn) before
	// answering; 0 means 1.
	Steps int
	// Key authenticates callers (Bearer, x-api-key or x-goog-api-key); empty
	// accepts anything.
	Key string
	// ResultMustHold, when set, is text the tool results must contain (the
	// content of the file the tool read): without it the final answer says
	// the tool result was missing instead of FinalText.
	ResultMustHold string
}

// Sim is one simulated vendor of one dialect. It is an http.Handler.
type Sim struct {
	dialect string
	o       Options
	secret  []byte

	mu sync.Mutex
	n  int // counter for ids
	// issued state, per dialect
	antThinking map[string]string   // tool_use id → signature of the thinking issued with it
	gemCalls    map[string][]string // name+args → signatures issued on such calls
	gemSigs     map[string]bool
	rspReason   map[string]string // fc item id → encrypted_content of its reasoning item
	rspEnc      map[string]bool
	log         []Exchange
}

// Exchange is one request the Sim got and what it did.
type Exchange struct {
	Path     string
	Body     []byte
	Status   int
	Rejected string // the error message when refused
	Turn     string // "tool" | "final" | "plain"
	// Thinking: the client asked for reasoning (Anthropic, OpenAI Chat) or
	// for thought summaries (Gemini); Responses always reasons.
	Thinking bool
}

// New builds a Sim of dialect d.
func New(d string, o Options) *Sim {
	if o.Steps <= 0 {
		o.Steps = 1
	}
	if o.FinalText == "" {
		o.FinalText = "done"
	}
	if o.PlainText == "" {
		o.PlainText = "hello"
	}
	return &Sim{dialect: d, o: o, secret: []byte("vendorsim-" + d),
		antThinking: map[string]string{}, gemCalls: map[string][]string{}, gemSigs: map[string]bool{},
		rspReason: map[string]string{}, rspEnc: map[string]bool{}}
}

// Log returns a copy of every exchange so far.
func (s *Sim) Log() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Exchange(nil), s.log...)
}

// Rejections lists the refusal messages so far.
func (s *Sim) Rejections() []string {
	var out []string
	for _, e := range s.Log() {
		if e.Rejected != "" {
			out = append(out, e.Rejected)
		}
	}
	return out
}

func (s *Sim) sign(parts ...string) string {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(strings.Join(parts, "\x00")))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func (s *Sim) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n
}

// request is what every dialect's parser extracts.
type request struct {
	model    string
	stream   bool
	tools    []Tool
	thinking bool // reasoning asked for (Anthropic, OpenAI Chat); Gemini and Responses always reason
	results  int  // tool results in the current turn (since the user last spoke)
	raw      map[string]any
}

// ServeHTTP answers one request in the Sim's dialect.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	ex := Exchange{Path: r.URL.Path, Body: body}
	// The log entry is written before the answer, so a client that got the
	// answer finds it.
	record := func() {
		s.mu.Lock()
		s.log = append(s.log, ex)
		s.mu.Unlock()
	}
	if s.o.Key != "" && !s.authorized(r) {
		ex.Status, ex.Rejected = 401, "invalid api key"
		record()
		s.fail(w, 401, "invalid x-api-key")
		return
	}
	if r.Method == http.MethodGet {
		writeJSON(w, 200, `{"object":"list","data":[{"id":"m","object":"model"}],"models":[{"name":"models/m"}]}`)
		return
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		ex.Status, ex.Rejected = 400, "body is not JSON"
		record()
		s.fail(w, 400, "body is not JSON: "+err.Error())
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/count_tokens"):
		writeJSON(w, 200, `{"input_tokens":42}`)
		return
	case strings.HasSuffix(r.URL.Path, ":countTokens"):
		writeJSON(w, 200, `{"totalTokens":42}`)
		return
	}
	req := s.parse(r, raw)
	ex.Thinking = req.thinking
	if msg := s.validate(req); msg != "" {
		ex.Status, ex.Rejected = 400, msg
		record()
		s.fail(w, 400, msg)
		return
	}
	ex.Status = 200
	var a answer
	switch {
	case req.results >= s.o.Steps || (req.results > 0 && len(req.tools) == 0):
		ex.Turn, a.text = "final", s.o.FinalText
		if s.o.ResultMustHold != "" && !bytes.Contains(body, []byte(s.o.ResultMustHold)) {
			a.text = "the tool result did not hold what the tool was asked to read"
		}
	case len(req.tools) > 0 && s.o.Pick != nil:
		name, args, ok := s.o.Pick(req.tools)
		if !ok {
			ex.Turn, a.text = "plain", s.o.PlainText
			break
		}
		ex.Turn = "tool"
		a.call = &call{name: name, args: args}
	default:
		ex.Turn, a.text = "plain", s.o.PlainText
	}
	a.thinking = req.thinking
	a.model = req.model + "-2026-01-01"
	record()
	s.answer(w, req, &a)
}

func (s *Sim) authorized(r *http.Request) bool {
	for _, v := range []string{strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), r.Header.Get("X-Api-Key"),
		r.Header.Get("X-Goog-Api-Key"), r.URL.Query().Get("key")} {
		if v == s.o.Key {
			return true
		}
	}
	return false
}

// answer is one model turn to send.
type answer struct {
	model    string
	text     string
	call     *call
	thinking bool
}

type call struct {
	name string
	args map[string]any
}

func (c *call) argsJSON() string {
	b, _ := json.Marshal(c.args)
	return string(b)
}

func (s *Sim) parse(r *http.Request, raw map[string]any) request {
	switch s.dialect {
	case Anthropic:
		return parseAnthropic(raw)
	case Responses:
		return parseResponses(raw)
	case Gemini:
		return parseGemini(r, raw)
	}
	return parseChat(raw)
}

func (s *Sim) validate(req request) string {
	switch s.dialect {
	case Anthropic:
		return s.validateAnthropic(req)
	case Responses:
		return s.validateResponses(req)
	case Gemini:
		return s.validateGemini(req)
	}
	return ""
}

func (s *Sim) answer(w http.ResponseWriter, req request, a *answer) {
	var evs []event
	var js string
	switch s.dialect {
	case Anthropic:
		js, evs = s.anthropicAnswer(a)
	case Responses:
		js, evs = s.responsesAnswer(a)
	case Gemini:
		js, evs = s.geminiAnswer(a)
	default:
		js, evs = s.chatAnswer(a)
	}
	if !req.stream {
		writeJSON(w, 200, js)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl, _ := w.(http.Flusher)
	for _, ev := range evs {
		var b bytes.Buffer
		if ev.name != "" {
			b.WriteString("event: " + ev.name + "\n")
		}
		b.WriteString("data: " + ev.data + "\n\n")
		if _, err := w.Write(b.Bytes()); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// event is one SSE event.
type event struct{ name, data string }

func (s *Sim) fail(w http.ResponseWriter, status int, msg string) {
	m := q(msg)
	switch s.dialect {
	case Anthropic:
		typ := map[int]string{400: "invalid_request_error", 401: "authentication_error"}[status]
		writeJSON(w, status, `{"type":"error","error":{"type":"`+typ+`","message":`+m+`}}`)
	case Gemini:
		st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED"}[status]
		writeJSON(w, status, fmt.Sprintf(`{"error":{"code":%d,"message":%s,"status":%q}}`, status, m, st))
	default:
		writeJSON(w, status, `{"error":{"message":`+m+`,"type":"invalid_request_error","param":null,"code":null}}`)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// --- small JSON helpers ---

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func arr(v any) []any { a, _ := v.([]any); return a }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(v any) string { s, _ := v.(string); return s }

// canonical is a JSON value with sorted keys (encoding/json sorts maps).
func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// thought is what the model "thinks" before a call or an answer.
func thought(a *answer) string {
	if a.call != nil {
		return "The user needs " + a.call.name + "; calling it with " + a.call.argsJSON() + "."
	}
	return "I can answer directly."
}
