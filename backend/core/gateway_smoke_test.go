package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
)

// A minimal scripted OpenAI upstream: JSON or SSE depending on stream.
func openAIUpstream(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, f := range []string{
				`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}`,
				`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`,
				`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`,
				`[DONE]`} {
				io.WriteString(w, "data: "+f+"\n\n")
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
}

func TestGatewaySmoke(t *testing.T) {
	up := openAIUpstream(t)
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	base := "http://" + in.Server.Addr()
	post := func(path, body string, hdr map[string]string) string {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ck.Secret)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		t.Logf("%s -> %d\n%s", path, resp.StatusCode, b)
		return string(b)
	}
	post("/v1/chat/completions", `{"model":"fake/m","messages":[{"role":"user","content":"hi"}]}`, nil)
	post("/v1/chat/completions", `{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, nil)
	post("/v1/messages", `{"model":"fake/m","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, map[string]string{"anthropic-version": "2023-06-01"})
	post("/v1/responses", `{"model":"fake/m","input":"hi"}`, nil)
	post("/v1beta/models/fake/m:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, nil)
	in.Recorder.Flush()
	rows, _ := in.Services.Logs(context.Background(), usageFilter())
	t.Logf("%d log rows", len(rows))
}

// A stream still open at shutdown ends with the dialect's error frame and
// terminal frame, not a silent cut; the log row is flushed.
// stallingUpstream streams one chunk, then waits for release (or the call's
// end) before its [DONE].
func stallingUpstream(release <-chan struct{}) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: "+`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"partial"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}))
}

func TestShutdownEndsOpenStreamsCleanly(t *testing.T) {
	release := make(chan struct{})
	up := stallingUpstream(release)
	defer up.Close()
	defer close(release)
	old := DrainGrace
	DrainGrace = 200 * time.Millisecond
	defer func() { DrainGrace = old }()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "fake", Type: "openai-compatible", BaseURL: up.URL + "/v1", AllowLocal: true,
		Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := in.Services.CreateKey(context.Background(), "t", "cli")
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+ck.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 64)
	if _, err := resp.Body.Read(first); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- in.Shutdown(ctx)
	}()
	rest, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(rest), "shutting down") || !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
		t.Fatalf("stream not ended cleanly at shutdown:\n%s", rest)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestBodyLoggingIsOptInRedactedAndTruncated(t *testing.T) {
	up := openAIUpstream(t)
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	send := func() {
		body := `{"model":"fake/m","messages":[{"role":"user","content":"my key is sk-live-abcdefghijklmnopqrstuv ` + strings.Repeat("x", 70<<10) + `"}]}`
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ck.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	send()
	in.Recorder.Flush()
	var reqBody, respBody string
	in.DB.QueryRow(`SELECT request_body, response_body FROM request_logs ORDER BY id DESC LIMIT 1`).Scan(&reqBody, &respBody)
	if reqBody != "" || respBody != "" {
		t.Fatal("bodies stored while body logging is off")
	}
	st, _ := in.Services.GetSettings(context.Background())
	st.LogRequestBodies = true
	in.Services.SaveSettings(context.Background(), st)
	send()
	in.Recorder.Flush()
	in.DB.QueryRow(`SELECT request_body, response_body FROM request_logs ORDER BY id DESC LIMIT 1`).Scan(&reqBody, &respBody)
	if !strings.Contains(reqBody, "[REDACTED]") || strings.Contains(reqBody, "sk-live-abc") || len(reqBody) > 66<<10 ||
		!strings.HasSuffix(reqBody, "[truncated]") || !strings.Contains(respBody, "Hello") {
		t.Fatalf("logged bodies: %d bytes, redacted=%v, response=%q", len(reqBody), strings.Contains(reqBody, "[REDACTED]"), respBody)
	}
}

func TestGeminiModelGet(t *testing.T) {
	up := openAIUpstream(t)
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	for path, want := range map[string]int{"/v1beta/models/fake/m": 200, "/v1beta/models/fake%2Fm": 200, "/v1beta/models/nope": 404} {
		req, _ := http.NewRequest("GET", "http://"+in.Server.Addr()+path, nil)
		req.Header.Set("x-goog-api-key", ck.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && !strings.Contains(string(b), `"models/fake/m"`)) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
}

// Every upstream chunk reaches the client when it arrives: the gaps between
// events at the client match the upstream's pacing, on the pass-through and
// the translated path.
func TestStreamChunkTimingPreserved(t *testing.T) {
	const chunks, pace = 6, 60 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < chunks; i++ {
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%d\"}}]}\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(pace)
		}
		io.WriteString(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	for _, tc := range []struct{ path, body, marker string }{
		{"/v1/chat/completions", `{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `"content":"`},
		{"/v1/messages", `{"model":"fake/m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, `"text_delta"`},
	} {
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+ck.Secret)
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(resp.Body)
		var arrivals []time.Time
		for {
			line, err := rd.ReadString('\n')
			if strings.Contains(line, tc.marker) {
				arrivals = append(arrivals, time.Now())
			}
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if len(arrivals) != chunks {
			t.Fatalf("%s: %d content events, want %d", tc.path, len(arrivals), chunks)
		}
		for i := 1; i < len(arrivals); i++ {
			if gap := arrivals[i].Sub(arrivals[i-1]); gap < pace*2/3 || gap > pace*2 {
				t.Errorf("%s: gap %d = %v, upstream paced %v (chunks held back or coalesced)", tc.path, i, gap, pace)
			}
		}
	}
}

// startWithUpstream starts a headless instance whose provider id routes to
// an OpenAI-compatible upstream at url (model "m", one account) and returns
// it with a fresh local key; the instance shuts down when the test ends.
func startWithUpstream(t *testing.T, id, url string) (*Instance, mgmt.CreatedKey) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: id, Type: "openai-compatible", BaseURL: url + "/v1", AllowLocal: true,
		Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Shutdown(context.Background()) })
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	return in, ck
}

// The gateway marks each request in the request log's traffic while it runs
// (the writer writes while the gateway is idle: usage/traffic.go), streams
// until their end, and unmarks it after, refusals included.
func TestGatewayMarksItsRequestsForTheLogWriter(t *testing.T) {
	release := make(chan struct{})
	up := stallingUpstream(release)
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	traffic := in.Recorder.Traffic()
	send := func(key string) *http.Response {
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
			strings.NewReader(`{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send(ck.Secret)
	first := make([]byte, 64)
	if _, err := resp.Body.Read(first); err != nil {
		t.Fatal(err)
	}
	if n := traffic.InFlight(); n != 1 {
		t.Fatalf("%d requests in flight during a stream, want 1", n)
	}
	refused := send("sk-sb-not-a-key")
	io.Copy(io.Discard, refused.Body)
	refused.Body.Close()
	if refused.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad key: status %d", refused.StatusCode)
	}
	if n := traffic.InFlight(); n != 1 {
		t.Fatalf("%d requests in flight after a refusal, want the stream's 1", n)
	}
	close(release)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The handler returns just after the last byte: wait for it, boundedly.
	deadline := time.Now().Add(5 * time.Second)
	for traffic.InFlight() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := traffic.InFlight(); n != 0 {
		t.Fatalf("%d requests in flight after the stream ended", n)
	}
}
