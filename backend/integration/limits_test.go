package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rawBound bounds every raw-socket wait here.
const rawBound = 5 * time.Second

// authHeaders are the headers a client of dialect d sends its key in.
func authHeaders(d, key string) string {
	switch d {
	case dAnthropic:
		return "x-api-key: " + key + "\r\nanthropic-version: 2023-06-01\r\n"
	case dGemini:
		return "x-goog-api-key: " + key + "\r\n"
	}
	return "Authorization: Bearer " + key + "\r\n"
}

// rawConn is a client connection driven by hand, to declare a body and
// send it later (or never).
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

// rawHead opens a connection and sends a request head; body bytes follow
// with send.
func (g *gateway) rawHead(method, path, headers string) *rawConn {
	g.t.Helper()
	addr := strings.TrimPrefix(g.base, "http://")
	c, err := net.DialTimeout("tcp", addr, rawBound)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(rawBound))
	rc := &rawConn{c: c, br: bufio.NewReader(c)}
	rc.send(g.t, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n", method, path, addr, headers))
	return rc
}

func (rc *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		t.Fatal(err)
	}
}

// rawAnswer is one response read off a rawConn.
type rawAnswer struct {
	rawResp
	Close bool // the server said Connection: close
}

// answer reads one response.
func (rc *rawConn) answer() (rawAnswer, error) {
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return rawAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawAnswer{rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}, resp.Close}, err
}

// sizedRequest is a valid non-streaming request of dialect d of exactly n
// bytes (the prompt pads it).
func sizedRequest(d string, n int) (path, body string) {
	path, body = rawRequest(d, clientModel(d), false, "")
	_, body = rawRequest(d, clientModel(d), false, strings.Repeat("x", n-len(body)))
	return path, body
}

// errorCode is the field of a dialect's error body a client branches on:
// OpenAI's code, Anthropic's type, Gemini's status.
func errorCode(d string, body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	e := obj(m["error"])
	switch d {
	case dAnthropic:
		if str(m["type"]) != "error" {
			return ""
		}
		return str(e["type"])
	case dGemini:
		return str(e["status"])
	}
	return str(e["code"])
}

// TestBodyBudget: with a 1 MiB in-flight body budget, four concurrent
// 400 KiB requests of each dialect get two admissions (their bodies, once
// sent, are answered normally) and two 429s with Retry-After in the
// client's dialect, answered before any body byte; a chunked body that
// outgrows the budget is refused the same way; a body larger than the whole
// budget gets 413; every byte is released at the end.
func TestBodyBudget(t *testing.T) {
	const (
		budgetMiB = 1
		size      = 400 << 10 // two fit in 1 MiB, three do not
		conns     = 4
	)
	g, _ := allUpstreams(t, gwOpts{bodyBudgetMiB: budgetMiB})
	inFlight := g.in.Gateway.BodyBytesInFlight
	limited := map[string]string{dOpenAI: "rate_limit_exceeded", dResponses: "rate_limit_exceeded",
		dAnthropic: "rate_limit_error", dGemini: "RESOURCE_EXHAUSTED"}
	for _, d := range allDialects {
		t.Run(clientName[d], func(t *testing.T) {
			path, body := sizedRequest(d, size)
			type result struct {
				i    int
				resp rawAnswer
				err  error
			}
			results := make(chan result, conns)
			rcs := make([]*rawConn, conns)
			for i := range rcs {
				rcs[i] = g.rawHead("POST", path, authHeaders(d, g.key)+fmt.Sprintf("Content-Length: %d\r\n", size))
				go func(i int) {
					resp, err := rcs[i].answer()
					results <- result{i, resp, err}
				}(i)
			}
			answered := map[int]bool{}
			for range conns - 2 {
				r := <-results
				if r.err != nil {
					t.Fatalf("conn %d: %v", r.i, r.err)
				}
				answered[r.i] = true
				if r.resp.Status != http.StatusTooManyRequests || r.resp.Header.Get("Retry-After") == "" ||
					errorCode(d, r.resp.Body) != limited[d] {
					t.Fatalf("refused request: %d Retry-After=%q %s, want 429 with Retry-After and %s",
						r.resp.Status, r.resp.Header.Get("Retry-After"), r.resp.Body, limited[d])
				}
				if !r.resp.Close {
					t.Errorf("429 before the body does not close the connection")
				}
			}
			waitFor(t, "two bodies held", func() bool { return inFlight() == 2*size })
			for i, rc := range rcs {
				if !answered[i] {
					rc.send(t, body)
				}
			}
			for range 2 {
				r := <-results
				if r.err != nil || r.resp.Status != http.StatusOK {
					t.Fatalf("admitted request: err=%v %d %s", r.err, r.resp.Status, shorten(r.resp.Body))
				}
			}
			waitFor(t, "budget released", func() bool { return inFlight() == 0 })
		})
	}

	t.Run("chunked", func(t *testing.T) {
		hold := g.rawHead("POST", "/v1/chat/completions", authHeaders(dOpenAI, g.key)+fmt.Sprintf("Content-Length: %d\r\n", 700<<10))
		waitFor(t, "first body held", func() bool { return inFlight() == 700<<10 })
		rc := g.rawHead("POST", "/v1/messages", authHeaders(dAnthropic, g.key)+"Transfer-Encoding: chunked\r\n")
		rc.send(t, fmt.Sprintf("%x\r\n%s\r\n", size, strings.Repeat("x", size)))
		resp, err := rc.answer()
		if err != nil || resp.Status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
			errorCode(dAnthropic, resp.Body) != "rate_limit_error" {
			t.Fatalf("chunked over budget: err=%v %d %s", err, resp.Status, resp.Body)
		}
		hold.c.Close()
		waitFor(t, "budget released", func() bool { return inFlight() == 0 })
	})

	t.Run("larger_than_budget", func(t *testing.T) {
		rc := g.rawHead("POST", "/v1beta/models/"+clientModel(dGemini)+":generateContent",
			authHeaders(dGemini, g.key)+fmt.Sprintf("Content-Length: %d\r\n", budgetMiB<<20+1))
		resp, err := rc.answer()
		if err != nil || resp.Status != http.StatusRequestEntityTooLarge || errorCode(dGemini, resp.Body) != "INVALID_ARGUMENT" {
			t.Fatalf("body over the whole budget: err=%v %d %s", err, resp.Status, resp.Body)
		}
	})

	if n := inFlight(); n != 0 {
		t.Fatalf("%d body bytes still held after every request ended", n)
	}
}

// TestRequestChecks: what a client sends is checked before it routes or
// reaches a header, with a 400 in the client's dialect: a model that is not
// a string, a model name with a control character or over 256 bytes (the
// route header then carries none of it); a Gemini body over 32 MiB gets
// 413 (declared or chunked); headers over 64 KiB get 431 in the dialect.
func TestRequestChecks(t *testing.T) {
	g, ups := allUpstreams(t, gwOpts{})
	invalid := map[string]string{dOpenAI: "", dResponses: "", dAnthropic: "invalid_request_error", dGemini: "INVALID_ARGUMENT"}
	check := func(t *testing.T, d string, r rawResp, status int, msg string) {
		t.Helper()
		if r.Status != status || errorCode(d, r.Body) != invalid[d] || !strings.Contains(string(r.Body), msg) {
			t.Errorf("got %d %s, want %d %q with %q", r.Status, shorten(r.Body), status, invalid[d], msg)
		}
		if h := r.Header.Get("X-Switchboard-Route"); h != "" {
			t.Errorf("a refused request names a route: %.80q", h)
		}
	}
	for _, d := range allDialects {
		t.Run(clientName[d], func(t *testing.T) {
			path, body := rawRequest(d, clientModel(d), false, "hi")
			long := 200 << 10
			if d == dGemini {
				long = 10 << 10 // in the URL: 200 KiB would pass server.MaxHeaderBytes
			}
			models := map[string]string{
				`123`:                       "model must be a string",
				q(clientModel(d) + "\x00x"): "control character",
				q(providerID[d] + "/" + strings.Repeat("m", long)): "longer than 256 bytes",
			}
			for model, msg := range models {
				if d == dGemini {
					if model == `123` {
						continue // Gemini names the model in the URL
					}
					var m string
					_ = json.Unmarshal([]byte(model), &m)
					check(t, d, g.do("POST", "/v1beta/models/"+url.PathEscape(m)+":generateContent", body, nil), 400, msg)
					continue
				}
				b := strings.Replace(body, q(clientModel(d)), model, 1)
				check(t, d, g.do("POST", path, b, nil), 400, msg)
			}
			r := g.do("POST", path, body, nil)
			if r.Status != 200 || r.Header.Get("X-Switchboard-Route") != providerID[d]+"/"+upstreamModel(d) {
				t.Errorf("valid request: %d route %q", r.Status, r.Header.Get("X-Switchboard-Route"))
			}
			big := g.do("POST", path, body, map[string]string{"X-Pad": strings.Repeat("p", 100<<10)})
			check(t, d, big, http.StatusRequestHeaderFieldsTooLarge, "larger than 64 KiB")
			// Beyond server.MaxHeaderBytes net/http answers before any
			// handler; that answer is in the dialect too.
			huge := g.do("POST", path, body, map[string]string{"X-Pad": strings.Repeat("p", 1<<20)})
			check(t, d, huge, http.StatusRequestHeaderFieldsTooLarge, "request headers are too large")
			if r := g.do("GET", "/v1/models", "", nil); r.Status != 200 {
				t.Errorf("the server did not serve the next request after a 431: %d", r.Status)
			}
		})
	}
	for _, tc := range []struct{ path, body string }{
		{"/v1/embeddings", `{"model":7,"input":"x"}`},
		{"/v1/messages/count_tokens", `{"model":7,"messages":[{"role":"user","content":"x"}]}`},
		{"/v1/completions", `{"model":7,"prompt":"x"}`},
	} {
		d := dOpenAI
		if strings.HasPrefix(tc.path, "/v1/messages") {
			d = dAnthropic
		}
		check(t, d, g.do("POST", tc.path, tc.body, nil), 400, "model must be a string")
	}

	gemPath := "/v1beta/models/" + clientModel(dGemini) + ":generateContent"
	t.Run("gemini_declared_over_32MiB", func(t *testing.T) {
		rc := g.rawHead("POST", gemPath, authHeaders(dGemini, g.key)+fmt.Sprintf("Content-Length: %d\r\n", 32<<20+1))
		resp, err := rc.answer()
		if err != nil {
			t.Fatal(err)
		}
		check(t, dGemini, resp.rawResp, http.StatusRequestEntityTooLarge, "larger than 32 MiB")
	})
	t.Run("gemini_chunked_over_32MiB", func(t *testing.T) {
		rc := g.rawHead("POST", gemPath, authHeaders(dGemini, g.key)+"Transfer-Encoding: chunked\r\n")
		go func() { // the server stops reading at 32 MiB; the answer comes while this still writes
			chunk := fmt.Sprintf("%x\r\n%s\r\n", 1<<20, strings.Repeat("x", 1<<20))
			for range 33 {
				if _, err := io.WriteString(rc.c, chunk); err != nil {
					return
				}
			}
		}()
		resp, err := rc.answer()
		if err != nil {
			t.Fatal(err)
		}
		check(t, dGemini, resp.rawResp, http.StatusRequestEntityTooLarge, "larger than 32 MiB")
	})
	t.Run("headers_over_server_limit", func(t *testing.T) {
		// Beyond server.MaxHeaderBytes net/http answers before any handler,
		// in plain text: bounded, but not in the client's dialect.
		rc := g.rawHead("POST", gemPath, authHeaders(dGemini, g.key)+"X-Pad: "+strings.Repeat("p", 200<<10)+"\r\nContent-Length: 2\r\n")
		resp, err := rc.answer()
		if err != nil || resp.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("err=%v status %d", err, resp.Status)
		}
	})
	for d, u := range ups {
		if n := len(u.Requests()); n != 1 {
			t.Errorf("%s upstream got %d requests, want only the valid one", d, n)
		}
	}
}
