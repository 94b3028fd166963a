package core

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The gateway lends agent-sized request buffers from a pool, and a
// pass-through sends the client's bytes to the upstream from the buffer.
// Here buffers go round while requests of one size class arrive four at a
// time, and the upstream answers before it reads each body: every body
// must reach the upstream whole, once, unmixed.
// (gateway.TestExchangeLendsItsBodyToTheUpstream checks who holds a body.)
func TestLentBodiesStayWithTheirRequest(t *testing.T) {
	const (
		requests = 24
		parallel = 4
		size     = 700 << 10
	)
	filler := regexp.MustCompile(`"content":"((?:r\d+ )+)"`)
	var bad atomic.Int32
	var seen [requests + 1]atomic.Int32 // by the request's number, from its body
	var badMsg atomic.Value
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			t.Error(err)
		}
		const answer = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer))) // the answer is whole before the body is read
		io.WriteString(w, answer)
		http.NewResponseController(w).Flush()
		time.Sleep(5 * time.Millisecond) // the gateway answers its client and lets go of the request meanwhile
		b, err := io.ReadAll(r.Body)
		m := filler.FindSubmatch(b)
		if err != nil {
			// The transport may give up on a body the upstream reads too late
			// (it closes the connection); a cut body is not a mixed one.
			return
		}
		if m == nil || len(b) < size-64 {
			bad.Add(1)
			badMsg.Store(fmt.Sprintf("a body of %d bytes is not one that was sent", len(b)))
			return
		}
		first, _, _ := strings.Cut(string(m[1]), " ")
		id, _ := strconv.Atoi(strings.TrimPrefix(first, "r"))
		seen[id].Add(1)
		if strings.ReplaceAll(string(m[1]), first+" ", "") != "" {
			bad.Add(1)
			badMsg.Store(fmt.Sprintf("request %d: its body holds another request's bytes", id))
		}
	}))
	up.Start()
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	base := "http://" + in.Server.Addr()

	var wg sync.WaitGroup
	next := atomic.Int32{}
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > requests {
					return
				}
				word := fmt.Sprintf("r%d ", i)
				body := `{"model":"fake/m","messages":[{"role":"user","content":"` +
					strings.Repeat(word, size/len(word)) + `"}]}`
				req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+ck.Secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"ok"`)) {
					t.Errorf("request %d: %d %s", i, resp.StatusCode, b)
				}
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d of %d bodies reached the upstream changed; last: %v", n, requests, badMsg.Load())
	}
	whole := 0
	for i := 1; i <= requests; i++ {
		switch n := seen[i].Load(); {
		case n > 1:
			t.Errorf("request %d's body reached the upstream %d times", i, n)
		case n == 1:
			whole++
		}
	}
	t.Logf("%d of %d bodies read whole after the answer (the rest cut by the transport)", whole, requests)
	if whole < requests/2 {
		t.Fatalf("only %d of %d bodies were read whole: the test checked too little", whole, requests)
	}
}
