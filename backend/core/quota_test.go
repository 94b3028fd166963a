package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
	"switchboard/backend/usage"
)

// countingUpstream is an OpenAI-compatible upstream that keeps a request
// counter per API key and answers each key with the rate-limit headers
// the test scripts: remaining requests out of limit, resetting in an hour.
type countingUpstream struct {
	mu        sync.Mutex
	hits      map[string]int
	remaining map[string]int
	limit     int
	srv       *httptest.Server
}

func newCountingUpstream(t *testing.T, limit int, remaining map[string]int) *countingUpstream {
	u := &countingUpstream{hits: map[string]int{}, remaining: remaining, limit: limit}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, _ = io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.hits[key]++
		left := max(u.remaining[key]-1, 0)
		u.remaining[key] = left
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Ratelimit-Limit-Requests", fmt.Sprint(limit))
		w.Header().Set("X-Ratelimit-Remaining-Requests", fmt.Sprint(left))
		w.Header().Set("X-Ratelimit-Reset-Requests", "59m59s")
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *countingUpstream) snapshot() (hits, remaining map[string]int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	hits, remaining = map[string]int{}, map[string]int{}
	for k, v := range u.hits {
		hits[k] = v
	}
	for k, v := range u.remaining {
		remaining[k] = v
	}
	return hits, remaining
}

func acmeConfig(dir, url, strategy string, keys ...string) config.Config {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
	pc := config.ProviderConfig{ID: "acme", Type: "openai-compatible", BaseURL: url + "/v1", Models: []string{"m"}, AllowLocal: true,
		AccountStrategy: strategy}
	for i, k := range keys {
		pc.Accounts = append(pc.Accounts, config.AccountConfig{Name: fmt.Sprint("k", i+1), APIKey: config.Secret(k), Priority: len(keys) - i})
	}
	cfg.Providers = []config.ProviderConfig{pc}
	return cfg
}

func chat(t testing.TB, in *Instance, key, model string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// An account its rate-limit headers show used up is skipped until the
// reset without one more upstream call; the plan says why and until when.
func TestExhaustedAccountSkippedWithoutUpstreamCalls(t *testing.T) {
	const k1, k2 = "sk-acme-one-0000000000", "sk-acme-two-0000000000"
	up := newCountingUpstream(t, 100, map[string]int{k1: 1, k2: 100})
	in := startCfg(t, acmeConfig(t.TempDir(), up.srv.URL, "", k1, k2))
	key := localKey(t, in)
	for i := range 10 {
		if code := chat(t, in, key, "acme/m"); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	hits, _ := up.snapshot()
	if hits[k1] != 1 || hits[k2] != 9 {
		t.Fatalf("upstream calls per key: k1 %d (want 1: the answer that used it up), k2 %d", hits[k1], hits[k2])
	}
	in.Recorder.Flush()
	rows, err := in.Services.Logs(context.Background(), usage.Filter{})
	if err != nil || len(rows) == 0 {
		t.Fatal(err)
	}
	// The second request skipped k1 and said why; fill-first then stays on
	// k2, so later plans start there.
	var notes []struct{ Target, Result, Until, Detail string }
	if err := json.Unmarshal([]byte(rows[len(rows)-2].Route), &notes); err != nil || len(notes) != 2 {
		t.Fatalf("route %q", rows[len(rows)-2].Route)
	}
	if n := notes[0]; n.Target != "acme/k1/m" || n.Result != "skipped:quota_exhausted" || n.Until == "" ||
		n.Detail != "Requests used up (rate-limit headers)" {
		t.Fatalf("plan note %+v", n)
	}
	o := in.Services.Quota()
	if len(o.Accounts) != 2 || o.Accounts[0].State != quota.StateExhausted || o.Accounts[1].State != quota.StateOK {
		t.Fatalf("overview %+v", o)
	}
	w := o.Accounts[0].Tightest
	if w == nil || w.Name != "requests" || *w.Remaining != 0 || *w.Limit != 100 || w.Source != quota.SourceHeaders {
		t.Fatalf("tightest %+v", w)
	}
}

// quota-aware sends each request to the account with the most left by the
// upstream's own headers, so accounts drain evenly; priority drains them
// one after another (a distribution the test tells apart).
func TestQuotaAwareBalancesByHeaderHeadroom(t *testing.T) {
	keys := []string{"sk-acme-a-000000000000", "sk-acme-b-000000000000", "sk-acme-c-000000000000"}
	for _, tc := range []struct {
		strategy string
		balanced bool
	}{{"quota-aware", true}, {"priority", false}} {
		t.Run(tc.strategy, func(t *testing.T) {
			up := newCountingUpstream(t, 100, map[string]int{keys[0]: 30, keys[1]: 100, keys[2]: 60})
			in := startCfg(t, acmeConfig(t.TempDir(), up.srv.URL, tc.strategy, keys...))
			key := localKey(t, in)
			for i := range 150 {
				if code := chat(t, in, key, "acme/m"); code != 200 {
					t.Fatalf("request %d: %d", i, code)
				}
			}
			_, left := up.snapshot()
			lo, hi := 100, 0
			for _, k := range keys {
				lo, hi = min(lo, left[k]), max(hi, left[k])
			}
			if balanced := lo > 0 && hi-lo <= 2; balanced != tc.balanced {
				t.Fatalf("requests left per key after 150: %v (balanced %v, want %v)", left, balanced, tc.balanced)
			}
		})
	}
}

// The reserve moves traffic off an account before its plan runs dry, and
// the settings change it at runtime.
func TestReserveFromSettings(t *testing.T) {
	const k1, k2 = "sk-acme-one-0000000000", "sk-acme-two-0000000000"
	up := newCountingUpstream(t, 100, map[string]int{k1: 12, k2: 100})
	in := startCfg(t, acmeConfig(t.TempDir(), up.srv.URL, "", k1, k2))
	key := localKey(t, in)
	st, _ := in.Services.GetSettings(context.Background())
	ten := 10
	st.QuotaReservePercent = &ten
	if _, err := in.Services.SaveSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		chat(t, in, key, "acme/m")
	}
	hits, left := up.snapshot()
	if left[k1] != 9 || hits[k2] != 7 {
		t.Fatalf("k1 should serve until 9 of 100 are left (below the 10%% reserve), then k2: hits %v left %v", hits, left)
	}
	if o := in.Services.Quota(); o.ReservePercent != 10 || o.ReserveFromConfig || o.Accounts[0].State != quota.StateReserve {
		t.Fatalf("overview %+v", o)
	}
	eighty := 80
	st.QuotaReservePercent = &eighty
	if _, err := in.Services.SaveSettings(context.Background(), st); err == nil {
		t.Fatal("an 80% reserve was accepted")
	}
	// A save that leaves it out (a dashboard that predates it) keeps it.
	if _, err := in.Services.SaveSettings(context.Background(), mgmt.Settings{Theme: "dark"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := in.Services.GetSettings(context.Background()); *st.QuotaReservePercent != 10 || in.Quota.Reserve() != 10 {
		t.Fatalf("reserve after a save without it: %d / %d", *st.QuotaReservePercent, in.Quota.Reserve())
	}
}

// An account 429'd with a reset an hour away is used again the moment a
// poll shows headroom: the refresh clears the rest the 429 set.
func TestPollReopensAccount429dForAnHour(t *testing.T) {
	idp := anthropicIDP(t)
	var mu sync.Mutex
	messages, polls, used := 0, 0, 10
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/oauth/usage" {
			polls++
			fmt.Fprintf(w, `{"five_hour":{"utilization":%d,"resets_at":"2099-01-01T00:00:00Z"},"seven_day":{"utilization":20}}`, used)
			return
		}
		messages++
		if messages == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`)
	}))
	defer up.Close()
	in := startCfg(t, signInConfig(t.TempDir(), idp.URL(), idp.ClientID, up.URL))
	key := localKey(t, in)
	id := signInVia(t, in.SignIns)
	// The new sign-in is polled at once.
	for i := 0; ; i++ {
		mu.Lock()
		n := polls
		mu.Unlock()
		if n > 0 {
			break
		}
		if i > 500 {
			t.Fatal("the new sign-in's usage endpoint was never polled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := ask(t, in, key); code != 429 {
		t.Fatalf("first answer %d, want the upstream's 429", code)
	}
	if code, _ := ask(t, in, key); code != 429 {
		t.Fatalf("within the hour: %d", code)
	}
	mu.Lock()
	if messages != 1 {
		t.Fatalf("%d upstream calls: the 429'd account was tried again", messages)
	}
	used = 40
	mu.Unlock()
	// The Limits page's refresh, over HTTP.
	req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/api/quota/"+id+"/refresh", nil)
	req.AddCookie(&http.Cookie{Name: mgmt.SessionCookie, Value: in.Sessions.NewSession()})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v quota.AccountView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if v.State != quota.StateOK || v.Tightest == nil || v.Tightest.Percent != 40 || !v.Polled {
		t.Fatalf("after the poll %+v", v)
	}
	if cs := in.Health.Cooldowns(); len(cs) != 0 {
		t.Fatalf("cooldowns left: %+v", cs)
	}
	if code, body := ask(t, in, key); code != 200 {
		t.Fatalf("after the poll: %d %s", code, body)
	}
	in.Events.Close()
	rows, _ := in.Services.Events(context.Background(), 50)
	back := 0
	for _, r := range rows {
		if r.Kind == "quota_back" {
			back++
		}
	}
	if back != 1 {
		t.Fatalf("%d quota_back events: %+v", back, rows)
	}
}

// What the headers said survives a restart: an account used up before it
// is still skipped after it, without an upstream call.
func TestQuotaWindowsSurviveARestart(t *testing.T) {
	const k1, k2 = "sk-acme-one-0000000000", "sk-acme-two-0000000000"
	up := newCountingUpstream(t, 100, map[string]int{k1: 1, k2: 100})
	cfg := acmeConfig(t.TempDir(), up.srv.URL, "priority", k1, k2)
	first, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	key := localKey(t, first)
	if code := chat(t, first, key, "acme/m"); code != 200 {
		t.Fatalf("answer %d", code)
	}
	stop(first)
	in := startCfg(t, cfg)
	if o := in.Services.Quota(); o.Accounts[0].State != quota.StateExhausted {
		t.Fatalf("after the restart: %+v", o.Accounts[0])
	}
	if code := chat(t, in, key, "acme/m"); code != 200 {
		t.Fatalf("answer %d", code)
	}
	if hits, _ := up.snapshot(); hits[k1] != 1 || hits[k2] != 1 {
		t.Fatalf("calls per key %v: the used-up account was asked again after the restart", hits)
	}
}
