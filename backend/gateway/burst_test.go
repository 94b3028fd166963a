package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// passThrough runs a pass-through stream whose whole upstream body arrives
// at once (one burst: every event but the last waits for the next) and
// returns what the client got.
func passThrough(t *testing.T, d dialect.Name, path, reqBody, upstream string, hideUsage bool) (string, streamResult) {
	t.Helper()
	g := New(Options{})
	w := httptest.NewRecorder()
	x, ok := g.newExchange(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(reqBody)), d, nil)
	if !ok {
		t.Fatalf("newExchange: %d %s", w.Code, w.Body)
	}
	defer x.releaseBody()
	defer x.releaseWalker()
	x.hideUsage = hideUsage
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(upstream))}
	res := x.streamPassThrough(context.Background(), resp, codecFor(d))
	return w.Body.String(), res
}

// A burst goes out whole: every byte in order, each model renamed, and the
// usage-only chunk the client did not ask for taken out of the middle of
// the events waiting with it.
func TestBurstForwardedWhole(t *testing.T) {
	chunk := func(delta string) string {
		return `data: {"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":` + delta + `}]}` + "\n\n"
	}
	usage := `data: {"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}` + "\n\n"
	var up, want strings.Builder
	for i := range 12 {
		c := chunk(fmt.Sprintf(`{"content":"part %d "}`, i))
		up.WriteString(c)
		want.WriteString(strings.ReplaceAll(c, "up-model", "client-model"))
	}
	stop := `data: {"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	up.WriteString(stop + usage + "data: [DONE]\n\n")
	want.WriteString(strings.ReplaceAll(stop, "up-model", "client-model"))
	req := `{"model":"client-model","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	for _, hide := range []bool{true, false} {
		w := want.String()
		if !hide {
			w += strings.ReplaceAll(usage, "up-model", "client-model")
		}
		w += "data: [DONE]\n\n"
		got, res := passThrough(t, dialect.OpenAIChat, "/v1/chat/completions", req, up.String(), hide)
		if res.err != nil || !res.committed {
			t.Fatalf("hide usage %v: %+v", hide, res)
		}
		if got != w {
			t.Errorf("hide usage %v:\n got %q\nwant %q", hide, got, w)
		}
	}
}

// An upstream's error event in the middle of a burst ends the client's
// Responses stream with response.failed, judged by that event's bytes
// alone: a delta waiting before it may say "response.failed" in its text.
func TestBurstErrorEndsTheResponsesWay(t *testing.T) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	up := ev("response.created", `{"type":"response.created","response":{"id":"r","object":"response","model":"up-model","status":"in_progress","output":[]}}`) +
		ev("response.output_text.delta", `{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"the event is called response.failed"}`) +
		ev("error", `{"type":"error","code":"server_error","message":"boom"}`)
	req := `{"model":"client-model","stream":true,"input":"hi"}`
	got, res := passThrough(t, dialect.Responses, "/v1/responses", req, up, false)
	if res.err == nil || !res.committed {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(got, `"delta":"the event is called response.failed"`) || !strings.Contains(got, `"message":"boom"`) {
		t.Fatalf("the upstream's events did not all arrive:\n%s", got)
	}
	if i := strings.LastIndex(got, "event: "); i < 0 || !strings.HasPrefix(got[i:], "event: response.failed\n") {
		t.Fatalf("the stream does not end with response.failed:\n%s", got)
	}
	if bytes.Count([]byte(got), []byte("event: response.failed")) != 1 {
		t.Fatalf("response.failed twice:\n%s", got)
	}
}

// The stream side of a pass-through: an OpenAI stream of 20 content chunks,
// a stop chunk, a usage-only chunk and [DONE] that arrived together (one
// burst), renamed and written to a client that did not ask for usage.
//
//	go test ./backend/gateway -run '^$' -bench StreamPassThrough -benchmem
func BenchmarkStreamPassThrough(b *testing.B) {
	benchPassThrough(b, dialect.OpenAIChat, "/v1/chat/completions",
		`{"model":"oai/client-model","stream":true,"messages":[{"role":"user","content":"hi"}]}`, benchStream("up-model"), true)
}

// BenchmarkStreamPassThroughAnthropic is BenchmarkStreamPassThrough for a
// Claude stream (Claude Code's own path): message_start, a text block of
// twenty deltas, message_delta with usage and message_stop, in one burst.
func BenchmarkStreamPassThroughAnthropic(b *testing.B) {
	var events bytes.Buffer
	events.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-up\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := range 20 {
		fmt.Fprintf(&events, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"word %d of the answer \"}}\n\n", i)
	}
	events.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	benchPassThrough(b, dialect.Anthropic, "/v1/messages",
		`{"model":"ant/client-model","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`, events.Bytes(), false)
}

// benchPassThrough streams events, one burst from an upstream of dialect d,
// through the pass-through path to a client that sent body to path.
func benchPassThrough(b *testing.B, d dialect.Name, path, body string, events []byte, hideUsage bool) {
	g := New(Options{})
	up := codecFor(d)
	b.SetBytes(int64(len(events)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		x, ok := g.newExchange(discardWriter{}, r, d, nil)
		if !ok {
			b.Fatal("newExchange refused the body")
		}
		x.hideUsage = hideUsage
		resp := &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(events))}
		if res := x.streamPassThrough(context.Background(), resp, up); res.err != nil || !res.committed {
			b.Fatalf("stream: %+v", res)
		}
		x.releaseBody()
		x.releaseWalker()
	}
}

// The idle timeout counts from the last arrival: a stream whose events come
// one or two at a time, each gap under the timeout, is forwarded whole even
// though it lasts several timeouts; one that then goes quiet is ended.
func TestIdleTimeoutCountsFromLastArrival(t *testing.T) {
	chunk := func(s string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"` + s + `"}}]}` + "\n\n"
	}
	for _, hang := range []bool{false, true} {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			f := w.(http.Flusher)
			for i := range 8 {
				msg := chunk(fmt.Sprint(i))
				if i%2 == 1 {
					msg += chunk(fmt.Sprint(i, "b")) // a burst of two
				}
				io.WriteString(w, msg)
				f.Flush()
				time.Sleep(60 * time.Millisecond)
			}
			if hang {
				<-r.Context().Done()
				return
			}
			io.WriteString(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		}))
		ups := []*route.Provider{{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: up.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}}}
		g, secret := keyedGateway(t, ups)
		g.idleTimeout = 150 * time.Millisecond // the stream lasts over three of them
		srv := httptest.NewServer(g)
		got := postStream(t, srv.URL, secret, "oai/m")
		srv.Close()
		up.Close()
		if !strings.Contains(got, `"content":"7b"`) {
			t.Fatalf("hang=%v: the stream was cut before its last event: %q", hang, got)
		}
		if timedOut := strings.Contains(got, "idle timeout"); timedOut != hang {
			t.Errorf("hang=%v: idle timeout reported %v: %q", hang, timedOut, got)
		}
		if !strings.HasSuffix(got, "data: [DONE]\n\n") {
			t.Errorf("hang=%v: the stream does not end with [DONE]: %q", hang, got)
		}
	}
}
