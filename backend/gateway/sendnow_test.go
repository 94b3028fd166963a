package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/store"
	"switchboard/backend/usage"
)

// A JSON answer reaches the client whole before the request's bookkeeping
// (its log row here, held up on purpose): the client does not wait for it.
func TestJSONAnswerSentBeforeBookkeeping(t *testing.T) {
	const chat = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	const msg = `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/messages") {
			io.WriteString(w, msg)
			return
		}
		io.WriteString(w, chat)
	}))
	defer up.Close()
	ups := []*route.Provider{
		{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: up.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
		{Entry: provider.Entry{ID: "ant", Dialect: dialect.Anthropic, BaseURL: up.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
	}
	g, secret := keyedGateway(t, ups)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := usage.NewRecorder(db, slog.New(slog.DiscardHandler), usage.Options{})
	defer rec.Close()
	held, release := make(chan struct{}), make(chan struct{})
	rec.Observe(func(*usage.Row) {
		select {
		case <-held:
		case <-release:
		}
	})
	g.recorder = rec
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer close(release) // a failed test lets the held rows go, so the server can close

	for i, c := range []struct{ name, model string }{{"pass-through", "oai/m"}, {"translated", "ant/m"}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"`+c.model+`","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		got := make(chan string, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body) // to the declared length
			resp.Body.Close()
			got <- string(b)
		}()
		select {
		case b := <-got:
			if !strings.Contains(b, `"content":"ok"`) || !strings.Contains(b, `"model":"`+c.model+`"`) {
				t.Errorf("%s: the client got %s", c.name, b)
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
