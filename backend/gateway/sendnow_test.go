package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/store"
	"switchboard/backend/usage"
)

// sentBeforeRow checks that an answer reaches the client whole before the
// request's bookkeeping: its log row, held up here until the client has
// the answer. up answers JSON or SSE; oai/m reaches it pass-through, ant/m
// through the Anthropic dialect (translated). complete says the client got
// all of an answer.
func sentBeforeRow(t *testing.T, contentType, chat, msg string, stream bool, complete func(string) bool) {
	t.Helper()
	_, rec, srv, secret := loggedGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		if strings.HasSuffix(r.URL.Path, "/messages") {
			io.WriteString(w, msg)
			return
		}
		io.WriteString(w, chat)
	}))
	held, release := make(chan struct{}), make(chan struct{})
	rec.Observe(func(*usage.Row) {
		select {
		case <-held:
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // first: a failed test lets the held rows go, so the server can close

	for i, c := range []struct{ name, model string }{{"pass-through", "oai/m"}, {"translated", "ant/m"}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, c.model, stream)))
		req.Header.Set("Authorization", "Bearer "+secret)
		got := make(chan string, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				got <- err.Error()
				return
			}
			b, err := io.ReadAll(resp.Body) // to the declared length, or the chunked end
			resp.Body.Close()
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(b)
		}()
		select {
		case b := <-got:
			if !complete(b) || !strings.Contains(b, `"model":"`+c.model+`"`) {
				t.Errorf("%s: the client got %q", c.name, b)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: the answer waited for the request's log row", c.name)
		}
		// The client has the answer, the row is not queued yet: Flush
		// waits for it rather than missing it.
		flushed := make(chan struct{})
		go func() { rec.Flush(); close(flushed) }()
		select {
		case <-flushed:
			t.Fatalf("%s: Flush returned before the answered request's row was queued", c.name)
		case <-time.After(50 * time.Millisecond):
		}
		held <- struct{}{} // the row goes on
		<-flushed
		if n := rec.Written(); n != int64(i+1) {
			t.Errorf("%s: %d rows written after Flush, want %d", c.name, n, i+1)
		}
	}
}

// A JSON answer (its length declared) is sent before the bookkeeping.
func TestJSONAnswerSentBeforeBookkeeping(t *testing.T) {
	const chat = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	const msg = `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}`
	sentBeforeRow(t, "application/json", chat, msg, false, func(b string) bool { return strings.Contains(b, `"content":"ok"`) })
}

// A finished stream's end is sent before the bookkeeping too: net/http ends
// a chunked answer only when the handler returns, so the row is logged
// after it (afterAnswer).
func TestStreamEndSentBeforeBookkeeping(t *testing.T) {
	const chat = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"}}]}\n\n" +
		"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: [DONE]\n\n"
	const msg = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":0}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	sentBeforeRow(t, "text/event-stream", chat, msg, true, func(b string) bool {
		return strings.Contains(b, `"content":"ok"`) && strings.HasSuffix(b, "data: [DONE]\n\n")
	})
}

// The connection reads the client's next request while the last answer's
// row is still being logged (afterAnswer): a client on keep-alive sends
// its next request as soon as it has the answer, and would otherwise wait
// for the row.
func TestNextRequestNotHeldByRow(t *testing.T) {
	const chat = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	_, rec, srv, secret := loggedGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); strings.Contains(string(b), `"stream":true`) {
			oneChunkStream(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, chat)
	}))
	release := make(chan struct{})
	first := true
	var mu sync.Mutex
	rec.Observe(func(*usage.Row) {
		mu.Lock()
		hold := first
		first = false
		mu.Unlock()
		if hold {
			<-release // the first row waits until the test lets it go
		}
	})
	t.Cleanup(func() { close(release) })
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}} // one connection: the second request follows on it
	t.Cleanup(hc.CloseIdleConnections)
	for _, stream := range []bool{false, true, false} {
		got := make(chan string, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
				strings.NewReader(fmt.Sprintf(`{"model":"oai/m","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)))
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := hc.Do(req)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got <- string(b)
		}()
		select {
		case b := <-got:
			if !strings.Contains(b, `"content":"ok"`) {
				t.Fatalf("stream %v: the client got %q", stream, b)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("stream %v: the request waited for the first answer's row", stream)
		}
	}
}

// A panic while a finished stream is logged (off its handler, see
// afterAnswer) is recovered as net/http recovers a handler's: the process
// goes on, the client already had the stream, and the recorder's Flush
// does not wait for the row forever.
func TestStreamLogPanicIsSurvived(t *testing.T) {
	var logged strings.Builder // written by the logging goroutine, read after g.Wait
	g, rec, srv, secret := loggedGateway(t, oneChunkStream)
	g.log = slog.New(slog.NewTextHandler(&logged, nil))
	rec.Observe(func(*usage.Row) { panic("observer broke") })
	if b := postStream(t, srv.URL, secret, "oai/m"); !strings.HasSuffix(b, "data: [DONE]\n\n") {
		t.Fatalf("the client got %q", b)
	}
	flushed := make(chan struct{})
	go func() { rec.Flush(); close(flushed) }()
	select {
	case <-flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("Flush waits for a row whose logging panicked")
	}
	g.Wait()
	if s := logged.String(); !strings.Contains(s, "recovered from a panic") || !strings.Contains(s, "observer broke") {
		t.Errorf("the panic was not logged: %q", s)
	}
}

// Streams that finish while Wait runs, or after it, still log their rows:
// once Wait began they are logged before their handler returns, so Wait
// never races a new row (a shutdown whose deadline passed leaves handlers
// running).
func TestStreamsFinishingDuringWaitAreLogged(t *testing.T) {
	g, rec, srv, secret := loggedGateway(t, oneChunkStream)
	const n = 24
	done := make(chan string, n)
	for i := range n {
		go func() {
			if i == n/2 {
				g.Wait() // midway: the streams before it go on their own goroutines, the rest inline
			}
			done <- postStream(t, srv.URL, secret, "oai/m")
		}()
	}
	for range n {
		if b := <-done; !strings.HasSuffix(b, "data: [DONE]\n\n") {
			t.Errorf("a client got %q", b)
		}
	}
	g.Wait()
	rec.Flush()
	if rec.Written() != n || rec.Dropped() != 0 {
		t.Fatalf("rows written %d, dropped %d; want %d and 0", rec.Written(), rec.Dropped(), n)
	}
	// After Wait a stream's row is logged before its handler returns: held
	// up, it holds the end of the stream too.
	held := make(chan struct{})
	rec.Observe(func(*usage.Row) { <-held })
	got := make(chan string, 1)
	go func() { got <- postStream(t, srv.URL, secret, "oai/m") }()
	select {
	case b := <-got:
		close(held)
		t.Fatalf("after Wait the stream ended before its row was logged: %q", b)
	case <-time.After(100 * time.Millisecond):
	}
	close(held)
	if b := <-got; !strings.HasSuffix(b, "data: [DONE]\n\n") {
		t.Errorf("the client got %q", b)
	}
	rec.Flush()
	if rec.Written() != n+1 {
		t.Errorf("rows written %d, want %d", rec.Written(), n+1)
	}
}

// oneChunkStream is an OpenAI upstream whose every answer streams one
// content chunk and [DONE].
var oneChunkStream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
})

// loggedGateway is a gateway with a request log, routing oai/m (OpenAI
// dialect) and ant/m (Anthropic dialect) to up. Everything closes when the
// test ends, the recorder after Wait.
func loggedGateway(t testing.TB, up http.Handler) (*Gateway, *usage.Recorder, *httptest.Server, string) {
	t.Helper()
	u := httptest.NewServer(up)
	t.Cleanup(u.Close)
	g, secret := keyedGateway(t, []*route.Provider{
		{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: u.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
		{Entry: provider.Entry{ID: "ant", Dialect: dialect.Anthropic, BaseURL: u.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
	})
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := usage.NewRecorder(db, slog.New(slog.DiscardHandler), usage.Options{})
	t.Cleanup(rec.Close)
	t.Cleanup(g.Wait) // rows logged after their handler are queued before the recorder closes
	g.recorder = rec
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, rec, srv, secret
}
