package provider

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

// A usage call is a GET to the URL given, with the sign-in's identity and
// token, through the same guarded pools as every call.
func TestUsageCallCarriesTheSignInsIdentity(t *testing.T) {
	up := newUpstream(t, okJSON)
	cases := []struct {
		quirks string
		d      dialect.Name
		check  func(h http.Header) bool
	}{
		{QuirksClaudeCode, dialect.Anthropic, func(h http.Header) bool {
			return strings.Contains(h.Get("Anthropic-Beta"), "oauth-2025-04-20") && strings.HasPrefix(h.Get("User-Agent"), "claude-cli/")
		}},
		{QuirksCodex, dialect.Responses, func(h http.Header) bool {
			return h.Get("Chatgpt-Account-Id") == "acct-1" && h.Get("Accept") == "application/json"
		}},
	}
	c := newTestClient(t, ClientOptions{})
	for _, tc := range cases {
		e := entryFor(tc.d, up.URL, AuthOAuth)
		e.Quirks = tc.quirks
		resp, err := c.Send(context.Background(), &Call{Entry: e, Op: OpUsage, URL: up.URL + "/api/oauth/usage",
			APIKey: testKey, AccountRef: "acct-1", AllowLocal: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.quirks, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r := up.last(t)
		if r.method != http.MethodGet || r.path != "/api/oauth/usage" || r.body != "" ||
			r.header.Get("Authorization") != "Bearer "+testKey || !tc.check(r.header) {
			t.Fatalf("%s: %s %s %v", tc.quirks, r.method, r.path, r.header)
		}
	}
	// The URL must be a sane absolute URL: no query smuggling a token.
	e := entryFor(dialect.Anthropic, up.URL, AuthOAuth)
	if _, err := c.Send(context.Background(), &Call{Entry: e, Op: OpUsage, URL: up.URL + "/x?token=1", APIKey: testKey, AllowLocal: true}); err == nil {
		t.Fatal("a usage URL with a query was sent")
	}
}

// Rate-limit and quota errors keep the answer's headers (which window ran
// out); other errors do not hold on to them.
func TestQuotaErrorsKeepTheirHeaders(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusTooManyRequests)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Codex-Primary-Used-Percent", "100")
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, `{"error":{"type":"usage_limit_reached","message":"limit"}}`)
	})
	c := newTestClient(t, ClientOptions{})
	send := func() *ir.Error {
		_, err := c.Send(context.Background(), &Call{Entry: entryFor(dialect.Responses, up.URL, AuthBearer), Op: OpGenerate,
			APIKey: testKey, Body: []byte(`{}`), AllowLocal: true})
		return err.(*ir.Error)
	}
	if e := send(); e.Header.Get("X-Codex-Primary-Used-Percent") != "100" {
		t.Fatalf("429 lost its headers: %+v", e)
	}
	status.Store(http.StatusInternalServerError)
	if e := send(); e.Header != nil {
		t.Fatal("a 500 kept its headers")
	}
}
