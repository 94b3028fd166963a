package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
)

// rawBound bounds every raw-socket wait in these tests: far below any
// production deadline, far above what an immediate answer takes.
const rawBound = 3 * time.Second

// dialectPaths is one generation endpoint per client dialect, the header
// its SDK sends the key in, and a marker of its error shape.
var dialectPaths = []struct {
	name, path, keyHeader, keyPrefix string
	extra                            string
	authErr, badReqErr               string
}{
	{"openai", "/v1/chat/completions", "Authorization", "Bearer ", "",
		`"type":"authentication_error"`, `"type":"invalid_request_error"`},
	{"responses", "/v1/responses", "Authorization", "Bearer ", "",
		`"code":"invalid_api_key"`, `"type":"invalid_request_error"`},
	{"anthropic", "/v1/messages", "x-api-key", "", "anthropic-version: 2023-06-01\r\n",
		`{"type":"error","error":{"type":"authentication_error"`, `{"type":"error","error":{"type":"invalid_request_error"`},
	{"gemini", "/v1beta/models/fake/m:generateContent", "x-goog-api-key", "", "",
		`"status":"UNAUTHENTICATED"`, `"status":"DEADLINE_EXCEEDED"`},
}

// rawPost opens a connection, sends the head of a POST with headers (and
// partial body bytes), and returns the connection with a reader on it.
// Nothing more is sent: the declared body never completes.
func rawPost(t *testing.T, addr, path, headers string, declared int, partial string) (net.Conn, *bufio.Reader) {
	t.Helper()
	return rawSend(t, "POST", addr, path, headers, declared, partial)
}

func rawSend(t *testing.T, method, addr, path, headers string, declared int, partial string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, rawBound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s",
		method, path, addr, declared, headers, partial)
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(rawBound))
	return c, bufio.NewReader(c)
}

// readAnswer reads one response and its body from br.
func readAnswer(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %s: %v", rawBound, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, string(b)
}

// expectClosed asserts the server closes the connection (EOF or reset, not
// our own deadline) after its answer.
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	_, err := br.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open %s after the answer", rawBound)
	}
	if err == nil {
		t.Fatal("bytes after the answer")
	}
}

// A client without a key that declares a body and never sends it gets its
// 401 at once, in its dialect, and the connection is closed: the server
// neither waits for the body nor keeps the connection.
func TestUnauthenticatedBodyIsNotAwaited(t *testing.T) {
	in := start(t, "127.0.0.1:0")
	addr := in.Server.Addr()
	for _, dp := range dialectPaths {
		t.Run(dp.name, func(t *testing.T) {
			t0 := time.Now()
			_, br := rawPost(t, addr, dp.path, dp.extra, 1000, "")
			resp, body := readAnswer(t, br)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, dp.authErr) {
				t.Fatalf("got %d %s, want 401 with %s", resp.StatusCode, body, dp.authErr)
			}
			if !resp.Close {
				t.Error("the 401 does not close the connection (Connection: close)")
			}
			expectClosed(t, br)
			if d := time.Since(t0); d > 2*time.Second {
				t.Errorf("answer and close took %s", d)
			}
		})
	}
	// The management API refuses an unknown session the same way.
	_, br := rawSend(t, "PUT", addr, "/api/settings", "", 1000, "")
	resp, body := readAnswer(t, br)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "login_required") {
		t.Fatalf("management: got %d %s", resp.StatusCode, body)
	}
	expectClosed(t, br)
}

// startBodyBase starts an instance with a short body read deadline and an
// OpenAI-compatible provider "fake" at upstream (may be "").
func startBodyBase(t *testing.T, base time.Duration, upstream string) (*Instance, string) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	if upstream != "" {
		cfg.Providers = []config.ProviderConfig{{ID: "fake", Type: "openai-compatible", BaseURL: upstream + "/v1", AllowLocal: true,
			Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}}}
	}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler), BodyReadBase: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in.Shutdown(ctx)
	})
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return in, ck.Secret
}

// An authenticated body that stalls ends, once the body read deadline
// passes, with a 408 in the client's dialect and a closed connection; the
// management API answers its own 408.
func TestStalledBodyEndsAtDeadline(t *testing.T) {
	const base = 300 * time.Millisecond
	in, key := startBodyBase(t, base, "")
	addr := in.Server.Addr()
	for _, dp := range dialectPaths {
		t.Run(dp.name, func(t *testing.T) {
			t0 := time.Now()
			_, br := rawPost(t, addr, dp.path, dp.keyHeader+": "+dp.keyPrefix+key+"\r\n"+dp.extra, 1000, `{"model":`)
			resp, body := readAnswer(t, br)
			took := time.Since(t0)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, dp.badReqErr) {
				t.Fatalf("got %d %s, want 408 with %s", resp.StatusCode, body, dp.badReqErr)
			}
			if took < base || took > base+2*time.Second {
				t.Errorf("answered after %s, want about %s", took, base)
			}
			expectClosed(t, br)
		})
	}
	sess := in.Sessions.NewSession()
	_, br := rawSend(t, "PUT", addr, "/api/settings", "Cookie: sb_session="+sess+"\r\n", 1000, `{"log_`)
	resp, body := readAnswer(t, br)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body, "body_timeout") {
		t.Fatalf("management: got %d %s, want 408 body_timeout", resp.StatusCode, body)
	}
	expectClosed(t, br)
}

// The body deadline covers only the body: an answer that streams for much
// longer than it (a slow model) is not cut once the body has arrived (a
// read deadline left on the connection would cancel the request).
func TestBodyDeadlineSparesLongAnswers(t *testing.T) {
	const base = 200 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: "+`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"slow "}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(4 * base):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: "+`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"answer"},"finish_reason":"stop"}]}`+"\n\n")
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	in, key := startBodyBase(t, base, up.URL)
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(b), `"content":"answer"`) || strings.Contains(string(b), `"error"`) ||
		!strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("stream cut: err=%v\n%s", err, b)
	}
}
