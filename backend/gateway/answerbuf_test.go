package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// Pass-through JSON answers are read into reused buffers (answerBufs):
// answers long and short, with a Content-Length and without one (a
// chunked or decompressed body), each reach the client whole, with the
// client's model, and nothing of an earlier answer.
func TestPassThroughAnswersShareNoBytes(t *testing.T) {
	answer := func(i int) string {
		text := strings.Repeat(fmt.Sprintf("answer %d ", i), []int{1, 900, 3, 9000, 2}[i%5]) // up to ~90 KB: past maxPooledAnswer too
		return `{"id":"c` + strconv.Itoa(i) + `","object":"chat.completion","created":1,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"` +
			text + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	}
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(served.Add(1)) - 1 // the requests come one after the other
		w.Header().Set("Content-Type", "application/json")
		a := answer(i)
		if i%2 == 0 {
			w.Header().Set("Content-Length", strconv.Itoa(len(a)))
			w.Write([]byte(a))
			return
		}
		for len(a) > 0 { // chunked: no length known ahead
			n := min(len(a), 1000)
			w.Write([]byte(a[:n]))
			w.(http.Flusher).Flush()
			a = a[n:]
		}
	}))
	defer srv.Close()
	ups := []*route.Provider{{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: srv.URL + "/v1", AllowLocal: true,
		Models: []provider.Model{{ID: "up-model"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}}}
	g, secret := keyedGateway(t, ups)
	for i := range 20 {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(`{"model":"oai/up-model","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		want := strings.Replace(answer(i), `"model":"up-model"`, `"model":"oai/up-model"`, 1)
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			t.Fatalf("answer %d: %d, %d bytes, want the upstream's %d bytes with the client's model", i, rec.Code, rec.Body.Len(), len(want))
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(want)) {
			t.Errorf("answer %d: Content-Length %q, want %d", i, cl, len(want))
		}
	}
}
