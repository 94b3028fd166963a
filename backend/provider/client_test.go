package provider

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

const testKey = "sk-test-SECRET-0123456789"

// recorded is what a fake upstream saw.
type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

// upstream is a scripted fake vendor on 127.0.0.1 that records requests
// and counts hits.
type upstream struct {
	*httptest.Server
	hits atomic.Int32
	mu   sync.Mutex
	reqs []recorded
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last(t *testing.T) recorded {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("upstream saw no request")
	}
	return u.reqs[len(u.reqs)-1]
}

func entryFor(d dialect.Name, base string, auth AuthStyle) *Entry {
	return &Entry{ID: "fake", Name: "Fake", Prefix: "fake", BaseURL: base, Dialect: d, Auth: auth, Tier: "api-key"}
}

func okJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func newTestClient(t *testing.T, o ClientOptions) *Client {
	t.Helper()
	c := NewClient(o)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestSendAuthAndHeaders(t *testing.T) {
	up := newUpstream(t, okJSON)
	tests := []struct {
		name      string
		auth      AuthStyle
		d         dialect.Name
		key       string
		header    string
		wantValue string
	}{
		{"bearer", AuthBearer, dialect.OpenAIChat, testKey, "Authorization", "Bearer " + testKey},
		{"x-api-key", AuthXAPIKey, dialect.Anthropic, testKey, "X-Api-Key", testKey},
		{"x-goog-api-key", AuthGoogKey, dialect.Gemini, testKey, "X-Goog-Api-Key", testKey},
		{"key trimmed", AuthBearer, dialect.OpenAIChat, "  " + testKey + "\n", "Authorization", "Bearer " + testKey},
		{"none without key", AuthNone, dialect.OpenAIChat, "", "Authorization", ""},
		{"none given a key uses the dialect's way", AuthNone, dialect.Anthropic, testKey, "X-Api-Key", testKey},
	}
	c := newTestClient(t, ClientOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entryFor(tt.d, up.URL, tt.auth)
			e.Headers = map[string]string{"anthropic-version": "2023-06-01", "X-Title": "switchboard"}
			fwd := http.Header{}
			fwd.Set("anthropic-beta", "interleaved-thinking-2025-05-14")
			fwd.Set("X-Title", "per-request wins")
			// A client's own credentials must never be forwarded upstream.
			fwd.Set("Authorization", "Bearer local-gateway-key")
			fwd.Set("X-Api-Key", "local-gateway-key")
			fwd.Set("Cookie", "session=1")
			resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: tt.key, Op: OpGenerate, Model: "m",
				Stream: true, Body: []byte(`{"model":"m"}`), Header: fwd, AllowLocal: true})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			if v := got.header.Get(tt.header); v != tt.wantValue {
				t.Errorf("%s = %q, want %q", tt.header, v, tt.wantValue)
			}
			for _, h := range []string{"Authorization", "X-Api-Key", "X-Goog-Api-Key"} {
				if v := got.header.Get(h); strings.Contains(v, "local-gateway-key") {
					t.Errorf("forwarded credential leaked in %s", h)
				}
				if h != tt.header && got.header.Get(h) != "" {
					t.Errorf("unexpected %s header", h)
				}
			}
			want := map[string]string{"Anthropic-Version": "2023-06-01", "Anthropic-Beta": "interleaved-thinking-2025-05-14",
				"X-Title": "per-request wins", "Content-Type": "application/json", "Accept": "text/event-stream",
				"User-Agent": DefaultUserAgent, "Cookie": ""}
			for k, v := range want {
				if got.header.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.header.Get(k), v)
				}
			}
			if got.method != http.MethodPost || got.body != `{"model":"m"}` {
				t.Errorf("%s body %q", got.method, got.body)
			}
		})
	}
}

func TestSendBuildsDialectURLs(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	tests := []struct {
		d      dialect.Name
		op     Op
		stream bool
		path   string
		query  string
		method string
		accept string
	}{
		{dialect.OpenAIChat, OpGenerate, false, "/v1/chat/completions", "", "POST", "application/json"},
		{dialect.OpenAIChat, OpListModels, false, "/v1/models", "", "GET", "application/json"},
		{dialect.Anthropic, OpCountTokens, false, "/v1/messages/count_tokens", "", "POST", "application/json"},
		{dialect.Gemini, OpGenerate, true, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "alt=sse", "POST", "text/event-stream"},
	}
	for _, tt := range tests {
		base := up.URL
		if versioned(tt.d) {
			base += "/v1"
		}
		var body []byte
		if tt.method == "POST" {
			body = []byte(`{}`)
		}
		resp, err := c.Send(context.Background(), &Call{Entry: entryFor(tt.d, base, AuthBearer), Op: tt.op,
			Model: "gemini-2.5-flash", Stream: tt.stream, Body: body, AllowLocal: true})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := up.last(t)
		if got.path != tt.path || got.query != tt.query || got.method != tt.method || got.header.Get("Accept") != tt.accept {
			t.Errorf("%s %s: got %s %s?%s accept %s", tt.d, tt.op, got.method, got.path, got.query, got.header.Get("Accept"))
		}
		if tt.method == "GET" && got.header.Get("Content-Type") != "" {
			t.Error("GET sent a Content-Type")
		}
	}
	_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.Anthropic, up.URL, AuthXAPIKey), Op: OpEmbed, AllowLocal: true})
	var ie *ir.Error
	if !errors.As(err, &ie) || ie.Kind != ir.KindModelNotSupported || ie.Provider != "fake" {
		t.Errorf("embeddings on anthropic: %v", err)
	}
}

func TestSendStreamsOpenResponse(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"a\":1}\n\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	})
	c := newTestClient(t, ClientOptions{})
	resp, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, up.URL+"/v1", AuthBearer),
		APIKey: testKey, Op: OpGenerate, Stream: true, Body: []byte(`{}`), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
}

func TestSendClassifiesUpstreamErrors(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`)
	})
	c := newTestClient(t, ClientOptions{Now: func() time.Time { return now }})
	resp, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.Anthropic, up.URL, AuthXAPIKey),
		APIKey: testKey, Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
	if resp != nil {
		t.Fatal("response returned with an error")
	}
	var ie *ir.Error
	if !errors.As(err, &ie) {
		t.Fatalf("not an *ir.Error: %v", err)
	}
	if ie.Kind != ir.KindRateLimited || ie.Provider != "fake" || ie.Status != 429 || ie.RetryAfter != 7*time.Second ||
		!ie.ResetAt.Equal(now.Add(7*time.Second)) || ie.Type != "rate_limit_error" {
		t.Errorf("%+v", ie)
	}
}

func TestSendBoundsErrorBodies(t *testing.T) {
	// An upstream that sends an endless error body must not hold us.
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for i := 0; i < 1000 && r.Context().Err() == nil; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c := newTestClient(t, ClientOptions{})
	start := time.Now()
	_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer),
		Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
	var ie *ir.Error
	if !errors.As(err, &ie) || ie.Kind != ir.KindUpstream5xx || len(ie.Message) > 2*maxMessage {
		t.Fatalf("%v (message %d bytes)", err, len(ie.Message))
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("reading the error body was not bounded")
	}
}

func TestSendDoesNotRetry(t *testing.T) {
	t.Run("upstream error", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		c := newTestClient(t, ClientOptions{})
		_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer),
			Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
		if err == nil || up.hits.Load() != 1 {
			t.Fatalf("err %v, hits %d", err, up.hits.Load())
		}
	})
	t.Run("reused connection dropped", func(t *testing.T) {
		// The second request arrives on the kept-alive connection of the
		// first and the server hangs up without answering. With a replayable
		// body (GetBody) and an Idempotency-Key, net/http would resend it on
		// its own; only the router may retry.
		var n atomic.Int32
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				okJSON(w, r)
				return
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		c := newTestClient(t, ClientOptions{})
		call := func() error {
			h := http.Header{"Idempotency-Key": {"stainless-retry-1"}}
			resp, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer),
				Op: OpGenerate, Body: []byte(`{"x":1}`), Header: h, AllowLocal: true})
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			return err
		}
		if err := call(); err != nil {
			t.Fatal(err)
		}
		err := call()
		var ie *ir.Error
		if !errors.As(err, &ie) || ie.Kind != ir.KindNetwork {
			t.Fatalf("want a network error, got %v", err)
		}
		if got := up.hits.Load(); got != 2 {
			t.Fatalf("upstream hit %d times, want 2 (no automatic retry)", got)
		}
	})
}

func TestTransportErrorsClassified(t *testing.T) {
	t.Run("closed server is a network error", func(t *testing.T) {
		up := newUpstream(t, okJSON)
		base := up.URL
		up.Close()
		c := newTestClient(t, ClientOptions{})
		_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, base, AuthBearer), APIKey: testKey,
			Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
		assertKind(t, err, ir.KindNetwork)
	})
	t.Run("client cancel is canceled", func(t *testing.T) {
		release := make(chan struct{})
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		c := newTestClient(t, ClientOptions{})
		_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer), Op: OpGenerate,
			Body: []byte(`{}`), AllowLocal: true})
		assertKind(t, err, ir.KindCanceled)
	})
	t.Run("no first byte in time is a timeout", func(t *testing.T) {
		release := make(chan struct{})
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		defer close(release)
		c := newTestClient(t, ClientOptions{ResponseHeaderTimeout: 100 * time.Millisecond})
		_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer), Op: OpGenerate,
			Body: []byte(`{}`), AllowLocal: true})
		assertKind(t, err, ir.KindTimeout)
	})
	t.Run("context deadline is a timeout", func(t *testing.T) {
		release := make(chan struct{})
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		c := newTestClient(t, ClientOptions{})
		_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer), Op: OpGenerate,
			Body: []byte(`{}`), AllowLocal: true})
		assertKind(t, err, ir.KindTimeout)
	})
}

func assertKind(t *testing.T, err error, want ir.ErrorKind) *ir.Error {
	t.Helper()
	var ie *ir.Error
	if !errors.As(err, &ie) {
		t.Fatalf("not an *ir.Error: %v", err)
	}
	if ie.Kind != want {
		t.Fatalf("kind %s, want %s (%s)", ie.Kind, want, ie.Message)
	}
	if ie.Provider != "fake" {
		t.Errorf("provider %q, want fake", ie.Provider)
	}
	return ie
}

func TestSSRFGuard(t *testing.T) {
	up := newUpstream(t, okJSON)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
	c := newTestClient(t, ClientOptions{DialTimeout: 2 * time.Second})
	send := func(base string, allow, local bool) error {
		e := entryFor(dialect.OpenAIChat, base, AuthBearer)
		e.Local = local
		resp, err := c.Send(context.Background(), &Call{Entry: e, APIKey: testKey, Op: OpListModels, AllowLocal: allow})
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// Refused at dial time, before connect: none of these needs a listener.
	for _, base := range []string{
		up.URL,                          // 127.0.0.1
		"http://localhost:" + port,      // a name: checked after DNS
		"http://10.0.0.1:9",             // RFC 1918
		"http://169.254.169.254",        // cloud metadata
		"http://[::1]:" + port,          // IPv6 loopback
		"http://[fd00::1]:9",            // ULA
		"http://100.64.0.1:9",           // CGNAT
		"http://[::ffff:192.168.1.1]:9", // v4-mapped
		"http://0.0.0.0:" + port,
	} {
		err := send(base, false, false)
		ie := assertKind(t, err, ir.KindNetwork)
		if !strings.Contains(ie.Message, "blocked private address") {
			t.Errorf("%s: %q", base, ie.Message)
		}
		var b *BlockedAddrError
		if !errors.As(err, &b) {
			t.Errorf("%s: BlockedAddrError not in the chain", base)
		}
	}
	if n := up.hits.Load(); n != 0 {
		t.Fatalf("a blocked request reached the server (%d hits)", n)
	}
	if err := send(up.URL, true, false); err != nil {
		t.Fatalf("AllowLocal call blocked: %v", err)
	}
	if err := send("http://localhost:"+port, false, true); err != nil {
		t.Fatalf("Local entry blocked: %v", err)
	}
	if n := up.hits.Load(); n != 2 {
		t.Fatalf("allowed calls: %d hits, want 2", n)
	}
}

func TestIsPrivate(t *testing.T) {
	private := []string{"127.0.0.1", "127.8.9.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255",
		"198.18.0.1", "::1", "::", "fd00::1", "fc00::1", "fe80::1%eth0", "ff02::1", "::ffff:10.0.0.1",
		"64:ff9b::a00:1", "2002:a00:1::1", "fec0::1"}
	public := []string{"8.8.8.8", "1.1.1.1", "104.18.0.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
		"64:ff9b::808:808", "2002:808:808::1"}
	for _, s := range private {
		if err := dialGuard("tcp", net.JoinHostPort(s, "443"), nil); err == nil {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range public {
		if err := dialGuard("tcp", net.JoinHostPort(s, "443"), nil); err != nil {
			t.Errorf("%s blocked: %v", s, err)
		}
	}
	if dialGuard("tcp", "not-an-address", nil) == nil {
		t.Error("unparsable address allowed")
	}
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	echo := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		k := r.Header.Get("Authorization")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided: `+k+`","type":"invalid_request_error","code":"`+k+`"}}`)
	})
	closed := newUpstream(t, okJSON)
	closedURL := closed.URL
	closed.Close()
	c := newTestClient(t, ClientOptions{})
	ctx := context.Background()
	calls := map[string]func() error{
		"upstream echoes the key": func() error {
			_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, echo.URL, AuthBearer), APIKey: testKey, Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
			return err
		},
		"connection refused": func() error {
			_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, closedURL, AuthBearer), APIKey: testKey, Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
			return err
		},
		"blocked address": func() error {
			_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, echo.URL, AuthBearer), APIKey: testKey, Op: OpGenerate, Body: []byte(`{}`)})
			return err
		},
		"control characters in the key": func() error {
			_, err := c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, echo.URL, AuthBearer), APIKey: testKey + "\r\nX: y", Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
			return err
		},
		"list models": func() error {
			e := entryFor(dialect.OpenAIChat, echo.URL, AuthBearer)
			e.ListModels = true
			_, err := c.ListModels(ctx, e, testKey, true)
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		var ie *ir.Error
		if !errors.As(err, &ie) {
			t.Errorf("%s: not an *ir.Error: %v", name, err)
			continue
		}
		for e := error(ie); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), testKey) {
				t.Errorf("%s: key in error chain: %q", name, e.Error())
			}
		}
		if strings.Contains(ie.Message+ie.Type, testKey) {
			t.Errorf("%s: key in message/type", name)
		}
	}
}

func TestSendNegotiatesHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(okJSON))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := newTestClient(t, ClientOptions{rootCAs: pool})
	resp, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.OpenAIChat, srv.URL, AuthBearer), APIKey: testKey,
		Op: OpGenerate, Body: []byte(`{}`), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("spoke %s, want HTTP/2", resp.Proto)
	}
}

// A body given in pieces reaches the upstream exactly as the same body in
// one piece would, with its Content-Length (never chunked), sign-in quirks
// included.
func TestSendBodyParts(t *testing.T) {
	fixedIdentity(t)
	var framing struct {
		sync.Mutex
		length  int64
		chunked bool
	}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		framing.Lock()
		framing.length, framing.chunked = r.ContentLength, len(r.TransferEncoding) > 0
		framing.Unlock()
		okJSON(w, r)
	})
	c := newTestClient(t, ClientOptions{})
	small := [][]byte{[]byte(`{"model":`), []byte(`"claude-sonnet-4-5"`), []byte(`,"max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`)}
	large := [][]byte{small[0], small[1], []byte(`,"max_tokens":8,"messages":[{"role":"user","content":"` + strings.Repeat("hi ", 50_000) + `"}]}`)}
	for _, parts := range [][][]byte{small, large} {
		whole := bytes.Join(parts, nil)
		for _, e := range []*Entry{entryFor(dialect.Anthropic, up.URL, AuthXAPIKey), signInEntry(t, "claude", up.URL), signInEntry(t, "codex", up.URL)} {
			var seen []recorded
			for _, call := range []*Call{{Body: whole}, {BodyParts: parts}, {BodyParts: [][]byte{whole}}} {
				call.Entry, call.APIKey, call.AccountRef, call.Op, call.Model, call.AllowLocal = e, testToken, testAccount, OpGenerate, "m", true
				resp, err := c.Send(context.Background(), call)
				if err != nil {
					t.Fatalf("%s: %v", e.ID, err)
				}
				resp.Body.Close()
				got := up.last(t)
				framing.Lock()
				if framing.length != int64(len(got.body)) || framing.chunked {
					t.Errorf("%s: Content-Length %d for %d bytes (chunked %v)", e.ID, framing.length, len(got.body), framing.chunked)
				}
				framing.Unlock()
				seen = append(seen, got)
			}
			for _, got := range seen[1:] {
				if got.body != seen[0].body || got.header.Get("Content-Type") != "application/json" {
					t.Errorf("%s: sent in parts %.200q (Content-Type %q), in one piece %.200q", e.ID, got.body, got.header.Get("Content-Type"), seen[0].body)
				}
			}
			if e.Quirks == "" && seen[0].body != string(whole) {
				t.Errorf("%s: body changed without quirks: %.200q", e.ID, seen[0].body)
			}
		}
	}
}

// memoryBody reads the parts in turn, by Read (filling the buffer across
// them) or WriteTo, and leaves the call's parts as they were; a small body
// is joined into one in-memory reader.
func TestMemoryBody(t *testing.T) {
	big := bytes.Repeat([]byte("x"), joinPartsBelow)
	for _, parts := range [][][]byte{
		{[]byte(`{"model":`), {}, []byte(`"m"`), []byte(`,"x":1}`)},
		{[]byte(`{"model":`), {}, []byte(`"m"`), []byte(`,"x":"`), big, []byte(`"}`)},
	} {
		whole := bytes.Join(parts, nil)
		first := len(parts[0])
		r, n := memoryBody(parts, nil)
		if n != int64(len(whole)) {
			t.Errorf("size %d, want %d", n, len(whole))
		}
		if _, inMemory := r.(*bytes.Reader); inMemory != (len(whole) < joinPartsBelow) {
			t.Errorf("%d bytes: %T", len(whole), r)
		}
		if err := iotest.TestReader(r, whole); err != nil {
			t.Error(err)
		}
		r, _ = memoryBody(parts, nil)
		if m, err := r.Read(make([]byte, 32)); m != min(32, len(whole)) || err != nil {
			t.Errorf("a Read stopped at a part's end: %d, %v", m, err)
		}
		var buf bytes.Buffer
		r, _ = memoryBody(parts, nil)
		if m, err := r.(io.WriterTo).WriteTo(&buf); err != nil || m != n || !bytes.Equal(buf.Bytes(), whole) {
			t.Errorf("WriteTo: %d, %v", m, err)
		}
		if got := bytes.Join(parts, nil); !bytes.Equal(got, whole) || len(parts[0]) != first {
			t.Error("reading changed the parts")
		}
	}
}
