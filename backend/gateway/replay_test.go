package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func send(p *replayer, next http.Handler, key, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	req = req.WithContext(withKeyName(context.Background(), "k"))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	p.wrap(w, req, next)
	return w
}

func TestIdempotentReplayWindow(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	p := newReplayer()
	p.now = clk.now
	var calls atomic.Int64
	release := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 1 {
			<-release // the duplicate arrives while the first is still running
		}
		fmt.Fprintf(w, `{"answer":%d}`, n)
	})
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- send(p, next, "abc", `{}`) }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond) // wait until the first request is inside
	}
	dup := make(chan *httptest.ResponseRecorder)
	go func() { dup <- send(p, next, "abc", `{}`) }()
	close(release)
	a, b := <-first, <-dup
	if calls.Load() != 1 || a.Body.String() != b.Body.String() || b.Header().Get("X-Switchboard-Idempotent-Replay") != "true" {
		t.Fatalf("duplicate not replayed: calls=%d %q %q", calls.Load(), a.Body, b.Body)
	}
	clk.add(idempotencyWindow - time.Millisecond)
	if w := send(p, next, "abc", `{}`); w.Body.String() != `{"answer":1}` {
		t.Fatalf("replay inside the window: %s", w.Body)
	}
	clk.add(2 * time.Millisecond)
	if w := send(p, next, "abc", `{}`); w.Body.String() != `{"answer":2}` {
		t.Fatalf("replayed after the window: %s", w.Body)
	}
	if w := send(p, next, "other", `{}`); w.Body.String() != `{"answer":3}` {
		t.Fatalf("a different key was replayed: %s", w.Body)
	}
}

func TestResponseCache(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	p := newReplayer()
	p.now = clk.now
	on := false
	p.on = func() bool { return on }
	var calls atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonHead(w.Header(), len(`{"answer":1}`)) // dated, as the gateway's answers are
		fmt.Fprintf(w, `{"answer":%d}`, calls.Add(1))
	})
	send(p, next, "", `{"q":1}`)
	send(p, next, "", `{"q":1}`)
	if calls.Load() != 2 {
		t.Fatal("cache used while off")
	}
	on = true
	m := send(p, next, "", `{"q":1}`)
	h := send(p, next, "", `{"q":1}`)
	if m.Header().Get("X-Switchboard-Cache") != "MISS" || h.Header().Get("X-Switchboard-Cache") != "HIT" || h.Body.String() != m.Body.String() {
		t.Fatalf("miss/hit: %q %q", m.Header(), h.Header())
	}
	if m.Header().Get("Date") == "" || h.Header().Get("Date") != "" {
		t.Errorf("the hit replayed the first answer's Date %q (net/http dates it when sent)", h.Header().Get("Date"))
	}
	if w := send(p, next, "", `{"q":1}`, "X-Switchboard-No-Cache", "true"); w.Header().Get("X-Switchboard-Cache") != "" {
		t.Fatal("bypass header ignored")
	}
	if w := send(p, next, "", `{"q":1,"stream":true}`); w.Header().Get("X-Switchboard-Cache") != "" {
		t.Fatal("a streaming request was cached")
	}
	clk.add(cacheTTL + time.Second)
	if w := send(p, next, "", `{"q":1}`); w.Header().Get("X-Switchboard-Cache") != "MISS" {
		t.Fatal("entry served after its TTL")
	}
}
