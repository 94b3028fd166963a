package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// An exchange lends its body to the upstream request that reads it in
// place (a pass-through): while the upstream receives the body, the
// exchange and the transport both hold it, and once both let go it goes
// back to the shelf. A translated exchange decodes the body into strings
// that point into it, so that buffer is never lent again; the encoding it
// sends is written into a second lent buffer, held the same way.
func TestExchangeLendsItsBodyToTheUpstream(t *testing.T) {
	const answer = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	var mu sync.Mutex
	var lent []*lentBody // this request's, in order
	var holdersWhileSent atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		holdersWhileSent.Store(lent[len(lent)-1].refs.Load()) // the transport is still writing (small window)
		mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		if !json.Valid(b) || !bytes.Contains(b, []byte(strings.Repeat("agent context ", 1000))) {
			t.Errorf("the upstream got %d bytes that are not the request", len(b))
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/v1/messages") { // the translated case: answer in Anthropic's shape
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}`)
			return
		}
		io.WriteString(w, answer)
	}))
	srv.Listener.Close()
	srv.Listener = smallWindowListener(t)
	srv.Start()
	defer srv.Close()
	ups := []*route.Provider{
		{Entry: provider.Entry{ID: "oai", Dialect: dialect.OpenAIChat, BaseURL: srv.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
		{Entry: provider.Entry{ID: "ant", Dialect: dialect.Anthropic, BaseURL: srv.URL + "/v1", AllowLocal: true,
			Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}},
	}
	g, secret := keyedGateway(t, ups)
	g.bodies.shelf.onLend = func(l *lentBody) { mu.Lock(); lent = append(lent, l); mu.Unlock() }

	for _, c := range []struct {
		name, model string
		lent        int  // buffers lent: the body, and the encoding when translated
		bodyKept    bool // the body's buffer is never lent again
	}{
		{"pass-through", "oai/m", 1, false},
		{"translated", "ant/m", 2, true},
	} {
		mu.Lock()
		lent = nil
		mu.Unlock()
		body := `{"model":"` + c.model + `","messages":[{"role":"user","content":"` + strings.Repeat("agent context ", 6<<20/14) + `"}]}`
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
		}
		g.after.wg.Wait() // the row's work, which gives the body back (afterAnswer)
		mu.Lock()
		got := lent
		mu.Unlock()
		if len(got) != c.lent {
			t.Fatalf("%s: %d buffers lent, want %d", c.name, len(got), c.lent)
		}
		// Both hold what the upstream reads: the exchange and the request.
		if n := holdersWhileSent.Load(); n != 2 {
			t.Errorf("%s: %d holders while the upstream read the body, want 2", c.name, n)
		}
		// The transport closes the body once written, before the answer is read.
		for i, l := range got {
			wantKept := i == 0 && c.bodyKept
			if refs, kept := l.refs.Load(), l.keep.Load(); refs != 0 || kept != wantKept {
				t.Errorf("%s: buffer %d after the exchange: %d holders, kept %v; want 0, %v", c.name, i, refs, kept, wantKept)
			}
		}
	}
}

// smallWindowListener listens on loopback with a small receive buffer, so
// a body of a few MB stays mostly with the sender until the handler reads
// it (the kernel would otherwise take it all at once).
func smallWindowListener(t *testing.T) net.Listener {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10) })
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
