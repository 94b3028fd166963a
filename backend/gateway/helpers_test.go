package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/keys"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/sse"
	"switchboard/backend/store"
)

// keyedGateway is a gateway routing to ups, with a real key store (in a
// test database) and one key, whose secret it returns.
func keyedGateway(t testing.TB, ups []*route.Provider) (*Gateway, string) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ks, err := keys.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := ks.Create(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Keys: ks, Routes: route.NewTable(route.NewSnapshot(ups, nil)), Client: provider.NewClient(provider.ClientOptions{})}), secret
}

// The catalog's max_output reaches the Anthropic encoder: a thinking budget
// never pushes max_tokens past what the model accepts.
func TestEncodeForCapsToCatalogMaxOutput(t *testing.T) {
	p := &route.Provider{Entry: provider.Entry{ID: "anthropic", Dialect: dialect.Anthropic,
		Models: []provider.Model{{ID: "claude-opus-4-1", MaxOutput: 32000}}}}
	req := &ir.Request{Model: "claude-opus-4-1", Reasoning: &ir.Reasoning{Effort: "xhigh"},
		Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}}}
	for _, c := range []struct {
		model string
		want  int
	}{{"claude-opus-4-1", 32000}, {"not-in-catalog", 40960}} {
		r := *req
		r.Model = c.model
		b, err := encodeFor(codecFor(dialect.Anthropic), &r, route.Candidate{Provider: p, Model: c.model})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			MaxTokens int `json:"max_tokens"`
		}
		_ = json.Unmarshal(b, &got)
		if got.MaxTokens != c.want {
			t.Errorf("%s: max_tokens %d, want %d", c.model, got.MaxTokens, c.want)
		}
	}
}

// plainDelta lets through only events that carry nothing but content: a
// stop, usage or error anywhere in the event is decoded, and so is text
// that quotes those keys (escaped inside a string, it cannot be one).
func TestPlainDelta(t *testing.T) {
	ev := func(data string) sse.Event { return sse.Event{Data: []byte(data)} }
	cases := []struct {
		d     dialect.Name
		data  string
		plain bool
	}{
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{"content":"hi"}}]}`, true},
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}`, true},
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{"content":"say \"finish_reason\":\"stop\" and \"usage\":{"}}]}`, true},
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, false},
		{dialect.OpenAIChat, `{"choices":[],"usage":{"prompt_tokens":1}}`, false},
		{dialect.OpenAIChat, `{"error":{"message":"overloaded"}}`, false},
		{dialect.OpenAIChat, `[DONE]`, false},
		// json.dumps' separators (Python servers)
		{dialect.OpenAIChat, `{"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": null}], "usage": null}`, true},
		{dialect.OpenAIChat, `{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}`, false},
		{dialect.OpenAIChat, `{"choices": [], "usage" :{"prompt_tokens": 1}}`, false},
		{dialect.OpenAIChat, `{"error": "overloaded"}`, false},
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{"content":"say \"finish_reason\": \"stop\", \"error\""}}]}`, true},
		{dialect.OpenAIChat, `{"choices":[{"index":0,"delta":{"content":"hi"},"my_finish_reason":"x","usage_note":{}}]}`, true},
		{dialect.OpenAIChat, `{"note\\":"error"}`, false}, // a key ending in an escaped backslash still has its value read
		{dialect.Gemini, `{"candidates":[{"content":{"parts":[{"text":"hi"}]}}]}`, true},
		{dialect.Gemini, `{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}]}`, false},
		{dialect.Gemini, `{"candidates":[],"usageMetadata":{"promptTokenCount":1}}`, false},
		{dialect.Gemini, `{"error":{"code":429}}`, false},
		{dialect.Gemini, `{"candidates": [{"content": {"parts": [{"text": "say \"finishReason\""}]}}]}`, true},
		{dialect.Gemini, `{"candidates": [{"finishReason": "STOP"}]}`, false},
	}
	for _, c := range cases {
		if got := plainDelta(c.d, &markScan{})(ev(c.data)); got != c.plain {
			t.Errorf("%s %s: plain %v, want %v", c.d, c.data, got, c.plain)
		}
	}
}

// A stream's plain-event check remembers where the last plain event's
// known-unmarked colons end; an event that begins alike is read from there
// on, and must get the answer a fresh check gives.
func TestMarkScanMemo(t *testing.T) {
	chunk := func(delta string) string {
		return `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":` + delta + `}]}`
	}
	stream := []struct {
		data  string
		plain bool
	}{
		{chunk(`{"role":"assistant","content":"hi"}`), true},
		{chunk(`{"content":"one"}`), true},
		{chunk(`{"content":"two: three"}`), true}, // a colon in the text
		{chunk(`{"content":"four"}`), true},
		{chunk(`{"content":"e"},"error":"x"`), false}, // a mark after the remembered colons
		{chunk(`{"content":"five"}`), true},
		{chunk(`{"content":"error"}`), false}, // the text "error" is read as a value: decoded, which is harmless
		{chunk(`{"content":"err"}`), true},
		{chunk(`{"content":""},"x":"error"`), false}, // "error" as a value after the text
		{chunk(`{},"finish_reason":"stop"`), false},
		{chunk(`{"content":"six"}`) + `,"usage":{"prompt_tokens":1}`, false},
		{chunk(`{"content":"seven"}`), true},
	}
	plain := plainDelta(dialect.OpenAIChat, &markScan{})
	for i, c := range stream {
		if got := plain(sse.Event{Data: []byte(c.data)}); got != c.plain {
			t.Errorf("event %d %s: plain %v, want %v", i, c.data, got, c.plain)
		}
	}
	// The "error" check reads seven bytes: a colon among them is no place
	// to remember up to.
	plain = plainDelta(dialect.OpenAIChat, &markScan{})
	if !plain(sse.Event{Data: []byte(`{"a":"err:1}`)}) || plain(sse.Event{Data: []byte(`{"a":"error"}`)}) {
		t.Error(`after {"a":"err:1}, {"a":"error"} must be decoded`)
	}
	s := &markScan{marks: openAIMarks}
	s.plain([]byte(chunk(`{"content":"one"}`)))
	if want := `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content"`; string(s.memo) != want {
		t.Errorf("the memo holds %q, want the event up to the text's colon: %q", s.memo, want)
	}
}

// FuzzMarkScanMemo: after any events, a stream's check answers as a fresh
// one does.
func FuzzMarkScanMemo(f *testing.F) {
	f.Add(`{"id":"c","choices":[{"delta":{"content":"a"}}]}`, `{"id":"c","choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}`, `{"id":"c","choices":[],"usage":{}}`)
	f.Add(`{"a":"x", "b": "error"}`, `{"a":"x", "b": "e"}`, `{"a":"x", "b": "errorr"}`)
	f.Add(`{"error`, `{"error":1}`, `{"e":"rror"}`)
	f.Add(`{"a":"err:1}`, `{"a":"error"}`, `{"a":"err:1}`) // a colon inside the bytes the "error" check reads
	f.Add(`{"a":":1}`, `{"a":"error"}`, `{"a": :"x"}`)     // a colon right after a value's first byte
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, marks := range [][]markedKey{openAIMarks, geminiMarks} {
			s := &markScan{marks: marks}
			for _, ev := range []string{a, b, c, b, a} {
				if got, want := s.plain([]byte(ev)), (&markScan{marks: marks}).plain([]byte(ev)); got != want {
					t.Fatalf("%q after earlier events (memo %q): plain %v, a fresh check %v", ev, s.memo, got, want)
				}
			}
		}
	})
}

// postStream sends a streaming chat request for model to the gateway at
// url and returns the whole answer the client read.
func postStream(t *testing.T, url, secret, model string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
