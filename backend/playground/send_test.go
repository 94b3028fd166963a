package playground_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/playground"
	"switchboard/backend/usage"
)

const upstreamKey = "sk-upstream-secret-4242"

// scripted is an OpenAI-compatible upstream: a streamed answer in three
// chunks 30 ms apart, or the same answer as JSON; model "refuse" gets a 400.
type scripted struct {
	mu   sync.Mutex
	seen []map[string]any
}

var streamFrames = []string{
	`data: {"id":"chatcmpl-pg","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`,
	`data: {"id":"chatcmpl-pg","object":"chat.completion.chunk","created":1,"model":"up-model","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`,
	`data: [DONE]`,
}

const jsonAnswer = `{"id":"chatcmpl-pg","object":"chat.completion","created":1,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	s.seen = append(s.seen, body)
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+upstreamKey {
		http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, http.StatusUnauthorized)
		return
	}
	if body["model"] == "refuse" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"this model refuses everything","type":"invalid_request_error"}}`)
		return
	}
	if body["stream"] != true {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, jsonAnswer)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i, f := range streamFrames {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		io.WriteString(w, f+"\n\n")
		w.(http.Flusher).Flush()
	}
}

func start(t *testing.T) (*core.Instance, *scripted) {
	t.Helper()
	up := &scripted{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "up", Type: "openai-compatible", BaseURL: srv.URL + "/v1", AllowLocal: true,
		Models: []string{"up-model", "refuse"}, Accounts: []config.AccountConfig{{Name: "main", APIKey: config.Secret(upstreamKey)}}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, err := core.Start(ctx, cfg, core.Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = in.Shutdown(ctx)
	})
	return in, up
}

func example(t *testing.T, id string) playground.Example {
	for _, ex := range playground.Examples() {
		if ex.ID == id {
			return ex
		}
	}
	t.Fatalf("no example %s", id)
	return playground.Example{}
}

// A Claude Code request streamed to an OpenAI-compatible upstream: the
// attempt holds the upstream's frames byte for byte with their timing,
// the client side holds the Anthropic events Claude Code would read.
func TestSendStreamCapturesBothSides(t *testing.T) {
	in, up := start(t)
	ex := example(t, "anthropic.claude-code")
	res, err := in.Services.PlaygroundSend(context.Background(), playground.SendInput{Dialect: ex.Dialect, Body: ex.Body, Model: "up/up-model", Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Upstream) != 1 {
		t.Fatalf("%d attempts, want 1", len(res.Upstream))
	}
	a := res.Upstream[0]
	if a.Answer.Status != 200 || !strings.HasPrefix(a.Answer.ContentType, "text/event-stream") || len(a.Answer.Frames) != 3 {
		t.Fatalf("upstream answer %+v", a.Answer)
	}
	for i, f := range a.Answer.Frames {
		if f.Data != streamFrames[i] {
			t.Errorf("upstream frame %d = %q, want %q", i, f.Data, streamFrames[i])
		}
	}
	if a.Answer.Frames[2].Event != "[DONE]" || a.Answer.Frames[0].Event != "chat.completion.chunk" {
		t.Errorf("frame names %q, %q", a.Answer.Frames[0].Event, a.Answer.Frames[2].Event)
	}
	if gap := a.Answer.Frames[2].AtMS - a.Answer.Frames[0].AtMS; gap < 50 {
		t.Errorf("frames %v ms apart, the upstream spaced them 60 ms", gap)
	}
	if !strings.HasSuffix(a.URL, "/v1/chat/completions") || !strings.Contains(a.Request, `"model": "up-model"`) ||
		!strings.Contains(a.Request, `"tool_calls"`) {
		t.Errorf("attempt %s sent:\n%s", a.URL, a.Request)
	}
	if len(up.seen) != 1 || up.seen[0]["model"] != "up-model" {
		t.Errorf("upstream saw %v", up.seen)
	}
	c := res.Client
	if c.Status != 200 || !strings.HasPrefix(c.ContentType, "text/event-stream") || len(c.Frames) < 5 {
		t.Fatalf("client capture %+v", c)
	}
	var names []string
	text := ""
	for i, f := range c.Frames {
		names = append(names, f.Event)
		if i > 0 && f.AtMS < c.Frames[i-1].AtMS {
			t.Errorf("client frame %d at %v ms, before the previous", i, f.AtMS)
		}
		if strings.Contains(f.Data, `"text_delta"`) {
			var ev struct {
				Delta struct{ Text string } `json:"delta"`
			}
			_ = json.Unmarshal([]byte(strings.TrimPrefix(f.Data[strings.Index(f.Data, "data:"):], "data:")), &ev)
			text += ev.Delta.Text
		}
	}
	if names[0] != "message_start" || names[len(names)-1] != "message_stop" || text != "Hello" {
		t.Errorf("client events %v, text %q", names, text)
	}
	if res.Route == "" || res.Endpoint != "POST /v1/messages" {
		t.Errorf("route %q endpoint %q", res.Route, res.Endpoint)
	}
	if b, _ := json.Marshal(res); strings.Contains(string(b), upstreamKey) {
		t.Error("the result carries the upstream's key")
	}
	in.Recorder.Flush()
	rows, _ := in.Services.Logs(context.Background(), usageFilter())
	if len(rows) != 1 || rows[0].KeyName != playground.KeyName || rows[0].Status != 200 {
		t.Errorf("log rows %+v", rows)
	}
}

// A Gemini SDK request, not streamed: the upstream's JSON is one frame,
// the client gets a Gemini generateContent answer.
func TestSendJSONCapturesBothSides(t *testing.T) {
	in, _ := start(t)
	ex := example(t, "gemini.sdk")
	res, err := in.Services.PlaygroundSend(context.Background(), playground.SendInput{Dialect: ex.Dialect, Body: ex.Body, Model: "up/up-model"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Upstream) != 1 || len(res.Upstream[0].Answer.Frames) != 1 || res.Upstream[0].Answer.Frames[0].Data != jsonAnswer {
		t.Fatalf("upstream %+v", res.Upstream)
	}
	if strings.Contains(res.Upstream[0].Request, `"stream": true`) {
		t.Errorf("a non-streamed send streamed upstream: %s", res.Upstream[0].Request)
	}
	c := res.Client
	if c.Status != 200 || len(c.Frames) != 1 || !strings.Contains(c.Frames[0].Data, `"candidates"`) || !strings.Contains(c.Frames[0].Data, "Hello") {
		t.Fatalf("client %+v", c)
	}
	if res.Endpoint != "POST /v1beta/models/up/up-model:generateContent" {
		t.Errorf("endpoint %q", res.Endpoint)
	}
}

// An upstream refusal is captured raw; the client gets it in its dialect.
// An invalid body never reaches an upstream: the client's error is all.
func TestSendFailures(t *testing.T) {
	in, _ := start(t)
	ex := example(t, "responses.sdk")
	res, err := in.Services.PlaygroundSend(context.Background(), playground.SendInput{Dialect: ex.Dialect, Body: ex.Body, Model: "up/refuse"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Upstream) != 1 || res.Upstream[0].Answer.Status != 400 || !strings.Contains(res.Upstream[0].Answer.Frames[0].Data, "refuses everything") {
		t.Fatalf("upstream %+v", res.Upstream)
	}
	if res.Client.Status != 400 || !strings.Contains(res.Client.Frames[0].Data, `"error"`) {
		t.Errorf("client %+v", res.Client)
	}

	res, err = in.Services.PlaygroundSend(context.Background(), playground.SendInput{Dialect: "anthropic", Body: `{"model":"x","messages":[`, Model: "up/up-model"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Upstream) != 0 || res.Client.Status != 400 || !strings.Contains(res.Client.Frames[0].Data, `"invalid_request_error"`) {
		t.Errorf("invalid body: upstream %+v client %+v", res.Upstream, res.Client)
	}
	if _, err := in.Services.PlaygroundSend(context.Background(), playground.SendInput{Dialect: "anthropic", Body: ex.Body}); err == nil {
		t.Error("a send without a model was accepted")
	}
}

func usageFilter() usage.Filter { return usage.Filter{} }
