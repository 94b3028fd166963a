package quota

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
)

// Kiro's usage endpoint on loopback through the real client: the query
// names the profile, the answer is read as JSON (not re-framed as the
// event stream generation answers are), and a malformed answer is an error.
func TestKiroUsageEndpoint(t *testing.T) {
	var mu sync.Mutex
	var got *http.Request
	answer := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r
		a := answer
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, a)
	}))
	defer srv.Close()
	client := provider.NewClient(provider.ClientOptions{})
	defer client.CloseIdleConnections()
	entry := provider.Entry{ID: "kiro", BaseURL: srv.URL, Dialect: dialect.Kiro, Quirks: provider.QuirksKiro, AllowLocal: true}
	fetch := func(body string, ref string) ([]Window, error) {
		mu.Lock()
		answer, got = body, nil
		mu.Unlock()
		return kiroUsage{}.Fetch(context.Background(), ClientSender(client), &entry,
			provider.Access{Token: "tok", AccountRef: ref}, t0)
	}

	// Milliseconds reset on the entry; the trial's allowance counts too.
	ws, err := fetch(`{"usageBreakdownList":[{"resourceType":"CREDIT","currentUsage":10,"usageLimit":50,
		"currentUsageWithPrecision":10.5,"usageLimitWithPrecision":50,"nextDateReset":`+fmt.Sprint(t0.Add(time.Hour).UnixMilli())+`,
		"freeTrialInfo":{"freeTrialStatus":"ACTIVE","currentUsage":39.5,"usageLimit":50}}],"nextDateReset":1}`,
		"arn:aws:codewhisperer:us-east-1:123:profile/ABC")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "windows", briefs(ws), "credits used=0.50 50/100 reset+1h0m0s plan")
	mu.Lock()
	r := got
	mu.Unlock()
	q := r.URL.Query()
	if r.Method != "GET" || r.URL.Path != "/getUsageLimits" || q.Get("origin") != "AI_EDITOR" ||
		q.Get("resourceType") != "AGENTIC_REQUEST" || q.Get("profileArn") != "arn:aws:codewhisperer:us-east-1:123:profile/ABC" ||
		r.Header.Get("Authorization") != "Bearer tok" || !strings.Contains(r.Header.Get("User-Agent"), "KiroIDE-") ||
		r.ContentLength != 0 {
		t.Fatalf("%s %s %v", r.Method, r.URL, r.Header)
	}

	// Builder ID: no profile; the reset from the top level, in seconds.
	ws, err = fetch(`{"usageBreakdownList":[{"resourceType":"AGENTIC_REQUEST","currentUsage":60,"usageLimit":50},
		{"resourceType":"CREDIT","currentUsage":1,"usageLimit":0}],"nextDateReset":`+fmt.Sprint(t0.Add(24*time.Hour).Unix())+`}`, "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "windows", briefs(ws), "agentic_request used=1.00 0/50 reset+24h0m0s plan")
	if mu.Lock(); got.URL.Query().Has("profileArn") {
		t.Fatalf("profileArn sent without a profile: %s", got.URL)
	}
	mu.Unlock()

	// Malformed answers.
	for _, body := range []string{`not json`, `[1,2]`} {
		if _, err := fetch(body, ""); err == nil {
			t.Fatalf("%q: no error", body)
		}
	}
	if ws, err := fetch(`{"usageBreakdownList":[{"resourceType":"CREDIT","currentUsage":"x"}, 7]}`, ""); err != nil || len(ws) != 0 {
		t.Fatalf("odd entries: %v %v", ws, err)
	}
	if ws := parseKiroUsage(gjson.Parse(`{"usageBreakdownList":{"a":1}}`)); len(ws) != 0 {
		t.Fatalf("not a list: %v", ws)
	}
}

func briefs(ws []Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, brief(w))
	}
	return out
}
