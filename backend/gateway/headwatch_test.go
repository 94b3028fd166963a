package gateway

import (
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

// The attempt's one timer bounds the wait for the upstream's answer (the
// client's header timeout; the transport has none) and, once the answer
// has come, only the silences between its events (the idle timeout).
func TestHeadTimeoutIsTheAttemptsWatch(t *testing.T) {
	const head = 150 * time.Millisecond
	chunk := func(s string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"` + s + `"}}]}` + "\n\n"
	}
	for _, silent := range []bool{true, false} {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server sees the caller hang up
			if silent {                 // no answer at all until the caller gives up
				<-r.Context().Done()
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			w.(http.Flusher).Flush()
			for i := range 3 { // each gap longer than the header timeout
				time.Sleep(2 * head)
				io.WriteString(w, chunk(fmt.Sprint(i)))
				w.(http.Flusher).Flush()
			}
			io.WriteString(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		}))
		ups := []*route.Provider{{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: up.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}}}
		g, secret := keyedGateway(t, ups)
		g.client = provider.NewClient(provider.ClientOptions{ResponseHeaderTimeout: head})
		g.idleTimeout = time.Hour // a silent upstream is ended by the header timeout or not at all
		srv := httptest.NewServer(g)
		done := make(chan string, 1)
		go func() { done <- postStream(t, srv.URL, secret, "oai/m") }()
		var got string
		select {
		case got = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("silent=%v: no answer: the wait for the upstream's head is unbounded", silent)
		}
		srv.Close()
		up.Close()
		if silent {
			if !strings.Contains(got, "did not answer in time") {
				t.Errorf("silent upstream: want the header timeout's error, got %q", got)
			}
			continue
		}
		if !strings.Contains(got, `"content":"2"`) || !strings.HasSuffix(got, "data: [DONE]\n\n") {
			t.Errorf("slow stream: its events came within the idle timeout, yet it was cut: %q", got)
		}
	}
}
