package gateway

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"switchboard/backend/usage"
)

// Upstreams written in Python often send JSON with json.dumps' default
// separators (", " and ": "). A pass-through stream must still see its stop,
// usage and error chunks: the client's stream ends cleanly and the log row
// has the tokens.
func TestSpacedJSONStreamPassThrough(t *testing.T) {
	const stream = `data: {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}, "finish_reason": null}]}` + "\n\n" +
		`data: {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {"content": " there"}, "finish_reason": null}]}` + "\n\n" +
		`data: {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}` + "\n\n" +
		`data: {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}}` + "\n\n" +
		"data: [DONE]\n\n"
	_, rec, srv, secret := loggedGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, stream)
	}))
	var rows []usage.Row
	var mu sync.Mutex
	rec.Observe(func(r *usage.Row) { mu.Lock(); rows = append(rows, *r); mu.Unlock() })
	got := postStream(t, srv.URL, secret, "oai/m")
	if strings.Contains(got, `"error"`) || !strings.HasSuffix(got, `"finish_reason": "stop"}]}`+"\n\ndata: [DONE]\n\n") {
		t.Fatalf("the stream did not end as the upstream's did: %q", got)
	}
	rec.Flush()
	mu.Lock()
	defer mu.Unlock()
	if len(rows) != 1 || rows[0].TokensIn != 7 || rows[0].TokensOut != 3 || rows[0].Status != http.StatusOK {
		t.Fatalf("log rows %+v, want one with 7 tokens in and 3 out", rows)
	}
}
