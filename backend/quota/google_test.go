package quota

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
)

// projectCred is a Google sign-in with its Cloud Code project.
type projectCred struct{ project string }

func (c projectCred) Access(context.Context) (provider.Access, error) {
	return provider.Access{Token: "goog-token", Project: c.project}, nil
}
func (c projectCred) Reauthorize(ctx context.Context, _ string) (provider.Access, error) {
	return c.Access(ctx)
}
func (projectCred) NeedsSignIn() bool { return false }

// The Cloud Code usage endpoints on loopback, through the real upstream
// client: a POST with the project, one model-scoped window per bucket.
func TestGoogleUsageEndpoints(t *testing.T) {
	var mu sync.Mutex
	var method, path, body, auth string
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		method, path, body, auth = r.Method, r.URL.Path, string(b), r.Header.Get("Authorization")
		a := answer
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, a)
	}))
	defer srv.Close()
	client := provider.NewClient(provider.ClientOptions{})
	defer client.CloseIdleConnections()
	cases := []struct {
		id, quirks, path, answer string
		windows                  string
	}{
		{"gemini-code-assist", provider.QuirksCodeAssist, "/v1internal:retrieveUserQuota",
			`{"buckets":[{"remainingFraction":0.73,"resetTime":"2026-11-27T12:00:00Z","modelId":"gemini-2.5-pro","tokenType":"REQUESTS"},
			{"remainingFraction":0,"resetTime":"2026-11-27T00:00:00Z","modelId":"gemini-2.5-flash","tokenType":"REQUESTS"},
			{"remainingFraction":0.5},{"modelId":"gemini-2.0-flash"}]}`,
			"requests gemini-2.5-pro used=0.27 reset+24h0m0s plan | requests gemini-2.5-flash used=1.00 reset+12h0m0s plan"},
		{"antigravity", provider.QuirksAntigravity, "/v1internal:fetchAvailableModels",
			`{"models":{"gemini-3-pro-high":{"displayName":"Gemini 3 Pro","quotaInfo":{"remainingFraction":0.4,"resetTime":"2026-11-26T17:00:00Z"}},
			"claude-sonnet-4-5":{"quotaInfo":{"resetTime":"2026-11-26T13:00:00Z"}},"chat_20706":{}}}`,
			"requests claude-sonnet-4-5 used=1.00 reset+1h0m0s plan | requests gemini-3-pro-high used=0.60 reset+5h0m0s plan"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			mu.Lock()
			answer = tc.answer
			mu.Unlock()
			entry := provider.Entry{ID: tc.id, BaseURL: srv.URL, Dialect: dialect.Gemini, Quirks: tc.quirks, AllowLocal: true}
			tr := New(Options{Now: func() time.Time { return t0 }, Send: ClientSender(client)})
			ws, err := tr.fetch(context.Background(), Target{AccountID: "g", Entry: entry, Cred: projectCred{"proj-7"}}, t0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				b := brief(w)
				got = append(got, strings.Replace(b, " ", " "+w.Model+" ", 1))
			}
			same(t, "windows", got, strings.Split(tc.windows, " | ")...)
			mu.Lock()
			defer mu.Unlock()
			if method != "POST" || path != tc.path || body != `{"project":"proj-7"}` || auth != "Bearer goog-token" {
				t.Fatalf("%s %s %s %q", method, path, body, auth)
			}
		})
	}

	entry := provider.Entry{ID: "gemini-code-assist", BaseURL: srv.URL, Dialect: dialect.Gemini, Quirks: provider.QuirksCodeAssist, AllowLocal: true}
	tr := New(Options{Now: func() time.Time { return t0 }, Send: ClientSender(client)})
	// A malformed answer fails the poll; one without buckets has no windows.
	for _, a := range []string{`not json`, `[{"buckets":[]}]`} {
		mu.Lock()
		answer = a
		mu.Unlock()
		if ws, err := tr.fetch(context.Background(), Target{AccountID: "g", Entry: entry, Cred: projectCred{"p"}}, t0); err == nil {
			t.Fatalf("%s: %v", a, ws)
		}
	}
	mu.Lock()
	answer = `{"buckets":"soon"}`
	mu.Unlock()
	if ws, err := tr.fetch(context.Background(), Target{AccountID: "g", Entry: entry, Cred: projectCred{"p"}}, t0); err != nil || len(ws) != 0 {
		t.Fatal(ws, err)
	}
	// Without a project there is nothing to ask.
	if _, err := tr.fetch(context.Background(), Target{AccountID: "g", Entry: entry, Cred: projectCred{}}, t0); err == nil {
		t.Fatal("asked without a project")
	}
}
