package quota

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// fakeCred is a sign-in whose token the test controls.
type fakeCred struct {
	mu     sync.Mutex
	token  string
	reauth int
}

func (c *fakeCred) Access(context.Context) (provider.Access, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return provider.Access{Token: c.token, AccountRef: "acct-1"}, nil
}

func (c *fakeCred) Reauthorize(_ context.Context, rejected string) (provider.Access, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reauth++
	c.token = "fresh-token-2"
	return provider.Access{Token: c.token, AccountRef: "acct-1"}, nil
}

func (c *fakeCred) NeedsSignIn() bool { return false }

// scripted is a usage endpoint answered in memory: it records when it was
// asked and answers body, or fails while fail is set.
type scripted struct {
	mu      sync.Mutex
	start   time.Time
	at      []time.Duration
	fail    bool
	used    float64
	resetAt time.Time // zero: an hour after each poll
}

func (s *scripted) send(ctx context.Context, call *provider.Call) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Since(s.start).Round(time.Second))
	if s.fail {
		return nil, &ir.Error{Kind: ir.KindUpstream5xx, Status: 503, Message: "unavailable"}
	}
	if !s.resetAt.IsZero() {
		return fmt.Appendf(nil, `{"rate_limit":{"primary_window":{"used_percent":%g,"reset_at":%d}}}`, s.used, s.resetAt.Unix()), nil
	}
	return fmt.Appendf(nil, `{"rate_limit":{"primary_window":{"used_percent":%g,"reset_after_seconds":3600}}}`, s.used), nil
}

func (s *scripted) calls() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.at {
		out = append(out, d.String())
	}
	s.at = nil
	return strings.Join(out, " ")
}

func codexTarget(cred provider.Credential) Target {
	return Target{AccountID: "codex:me", Account: "me", Cred: cred,
		Entry: provider.Entry{ID: "codex", BaseURL: "https://chatgpt.test/backend-api/codex", Dialect: dialect.Responses, Quirks: provider.QuirksCodex}}
}

// pollWorld runs a tracker's scheduler in a synctest bubble.
func pollWorld(t *testing.T, o Options, body func(tr *Tracker, s *scripted), prep ...func(s *scripted)) {
	synctest.Test(t, func(t *testing.T) {
		s := &scripted{start: time.Now()}
		for _, f := range prep {
			f(s)
		}
		o.Send = s.send
		if o.Log == nil {
			o.Log = slog.New(slog.DiscardHandler)
		}
		tr := New(o)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { tr.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		synctest.Wait()
		body(tr, s)
	})
}

func TestPollCadenceFollowsUse(t *testing.T) {
	tg := codexTarget(&fakeCred{token: "t"})
	pollWorld(t, Options{Targets: func() []Target { return []Target{tg} }}, func(tr *Tracker, s *scripted) {
		// Idle: at once, then every 15 minutes.
		time.Sleep(46 * time.Minute)
		if got := s.calls(); got != "0s 15m0s 30m0s 45m0s" {
			t.Fatalf("idle polls at %s", got)
		}
		// In use: an answer through the account brings the next poll
		// forward, then every minute while answers keep coming.
		c := cand("codex", "me")
		for range 4 {
			tr.ObserveAnswer(c, http.Header{}, time.Now())
			time.Sleep(time.Minute)
		}
		time.Sleep(30 * time.Second)
		if got := s.calls(); got != "46m0s 47m0s 48m0s 49m0s 50m0s" {
			t.Fatalf("busy polls at %s", got)
		}
		// Quiet again: back to every 15 minutes after the last poll once
		// the account has been idle for 5 minutes (last answer at 49m).
		time.Sleep(40 * time.Minute)
		if got := s.calls(); got != "51m0s 52m0s 53m0s 1h8m0s 1h23m0s" {
			t.Fatalf("after use polls at %s", got)
		}
	})
}

func TestPollBacksOffOnFailure(t *testing.T) {
	tg := codexTarget(&fakeCred{token: "t"})
	cad := Cadence{Idle: time.Minute, BackoffCap: 8 * time.Minute}
	failing := func(s *scripted) { s.fail = true }
	pollWorld(t, Options{Cadence: cad, Targets: func() []Target { return []Target{tg} }}, func(tr *Tracker, s *scripted) {
		time.Sleep(41 * time.Minute)
		if got := s.calls(); got != "0s 1m0s 3m0s 7m0s 15m0s 23m0s 31m0s 39m0s" {
			t.Fatalf("failing polls at %s", got)
		}
		v, _ := tr.Account("codex:me")
		if !v.Polled || !strings.Contains(v.PollError, "503") || !v.NextPollAt.Equal(v.LastPollAt.Add(8*time.Minute)) {
			t.Fatalf("view %+v", v)
		}
		// A success ends the back-off.
		s.mu.Lock()
		s.fail = false
		s.mu.Unlock()
		time.Sleep(8*time.Minute + 30*time.Second)
		if got := s.calls(); got != "47m0s 48m0s 49m0s" {
			t.Fatalf("recovered polls at %s", got)
		}
		if v, _ := tr.Account("codex:me"); v.PollError != "" || len(v.Windows) != 1 {
			t.Fatalf("view %+v", v)
		}
	}, failing)
}

// Without sign-ins there is nothing to poll: no request, no timer, the
// scheduler sleeps until something changes.
func TestNoSignInsNoPolling(t *testing.T) {
	pollWorld(t, Options{Targets: func() []Target { return nil }}, func(tr *Tracker, s *scripted) {
		time.Sleep(48 * time.Hour)
		if got := s.calls(); got != "" {
			t.Fatalf("polled %s", got)
		}
		if n := tr.steps.Load(); n != 1 {
			t.Fatalf("the scheduler woke %d times with nothing to do", n)
		}
		if err := tr.Refresh(context.Background(), "openai:key"); !errors.Is(err, ErrNotPolled) {
			t.Fatalf("refresh of an API key: %v", err)
		}
	})
}

// On demand: a refresh polls now, whatever the cadence.
func TestRefreshPollsNow(t *testing.T) {
	tg := codexTarget(&fakeCred{token: "t"})
	pollWorld(t, Options{Targets: func() []Target { return []Target{tg} }}, func(tr *Tracker, s *scripted) {
		time.Sleep(5 * time.Minute)
		s.mu.Lock()
		s.used = 64
		s.mu.Unlock()
		if err := tr.Refresh(context.Background(), "codex:me"); err != nil {
			t.Fatal(err)
		}
		if got := s.calls(); got != "0s 5m0s" {
			t.Fatalf("polls at %s", got)
		}
		if v, _ := tr.Account("codex:me"); v.Tightest == nil || v.Tightest.Percent != 64 || v.Tightest.Source != SourceUsage {
			t.Fatalf("view %+v", v.Tightest)
		}
		// The cadence counts from the refresh.
		time.Sleep(16 * time.Minute)
		if got := s.calls(); got != "20m0s" {
			t.Fatalf("after the refresh polls at %s", got)
		}
	})
}

// A reset passing wakes the scheduler at that moment: the plan is back,
// announced once, and a fresh poll follows.
func TestResetWakesTheScheduler(t *testing.T) {
	tg := codexTarget(&fakeCred{token: "t"})
	var mu sync.Mutex
	var got []string
	onChange := func(c route.Change) { mu.Lock(); got = append(got, string(c.Kind)); mu.Unlock() }
	usedUp := func(s *scripted) { s.used, s.resetAt = 100, time.Now().Add(90*time.Minute) }
	pollWorld(t, Options{OnChange: onChange, Targets: func() []Target { return []Target{tg} }}, func(tr *Tracker, s *scripted) {
		if st := tr.Standing("codex:me", "gpt-5", time.Now()); !st.Exhausted() {
			t.Fatal("the first poll did not find the window used up")
		}
		time.Sleep(90*time.Minute - time.Second)
		if st := tr.Standing("codex:me", "gpt-5", time.Now()); !st.Exhausted() {
			t.Fatal("not exhausted before its reset")
		}
		s.mu.Lock()
		s.used = 0
		s.mu.Unlock()
		time.Sleep(2 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(got) != "[account_quota_exhausted quota_back]" {
			t.Fatalf("events %v", got)
		}
		// Polled every 5 minutes while used up, and at once after the reset.
		if calls := s.calls(); calls != "0s 5m0s 10m0s 15m0s 20m0s 25m0s 30m0s 35m0s 40m0s 45m0s 50m0s 55m0s 1h0m0s 1h5m0s 1h10m0s 1h15m0s 1h20m0s 1h25m0s 1h30m0s" {
			t.Fatalf("polls at %s", calls)
		}
	}, usedUp)
}

// The vendors' usage endpoints on loopback, through the real upstream
// client: the request each gets and what is read from the answer.
func TestUsageEndpoints(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	reject := "old-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer "+reject {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"type":"authentication_error","message":"expired"}}`)
			return
		}
		switch r.URL.Path {
		case "/api/oauth/usage":
			io.WriteString(w, `{"five_hour":{"utilization":72.0,"resets_at":"2026-11-26T13:12:00+00:00"},
				"seven_day":{"utilization":31,"resets_at":"2026-11-30T08:00:00Z"},"seven_day_opus":null,
				"seven_day_sonnet":{"utilization":100,"resets_at":"2026-11-27T08:00:00Z"},"extra_usage":{"is_enabled":false}}`)
		case "/backend-api/wham/usage":
			io.WriteString(w, `{"plan_type":"plus","rate_limit":{"primary_window":{"used_percent":6,"limit_window_seconds":18000,"reset_at":`+
				fmt.Sprint(t0.Add(2*time.Hour).Unix())+`},"secondary_window":{"used_percent":24,"limit_window_seconds":604800,"reset_after_seconds":86400}}}`)
		case "/getUsageLimits":
			io.WriteString(w, `{"usageBreakdownList":[{"resourceType":"CREDIT","currentUsage":12.5,"usageLimit":50,"nextDateReset":`+
				fmt.Sprint(t0.Add(48*time.Hour).Unix())+`}],"subscriptionInfo":{"type":"Q_DEVELOPER_STANDALONE_PRO"}}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	client := provider.NewClient(provider.ClientOptions{})
	defer client.CloseIdleConnections()
	cases := []struct {
		entry   provider.Entry
		path    string
		header  [2]string
		windows string
	}{
		{provider.Entry{ID: "claude", BaseURL: srv.URL, Dialect: dialect.Anthropic, Quirks: provider.QuirksClaudeCode, AllowLocal: true},
			"/api/oauth/usage", [2]string{"Anthropic-Beta", "oauth-2025-04-20"},
			"5h used=0.72 reset+1h12m0s span=5h0m0s plan | 7d used=0.31 reset+92h0m0s span=168h0m0s plan | 7d used=1.00 reset+20h0m0s span=168h0m0s plan"},
		{provider.Entry{ID: "codex", BaseURL: srv.URL + "/backend-api/codex", Dialect: dialect.Responses, Quirks: provider.QuirksCodex, AllowLocal: true},
			"/backend-api/wham/usage", [2]string{"Chatgpt-Account-Id", "acct-1"},
			"primary used=0.06 reset+2h0m0s span=5h0m0s plan | secondary used=0.24 reset+24h0m0s span=168h0m0s plan"},
		{provider.Entry{ID: "kiro", BaseURL: srv.URL, Dialect: dialect.Kiro, Quirks: provider.QuirksKiro, AllowLocal: true},
			"/getUsageLimits", [2]string{"X-Amz-User-Agent", "KiroIDE-"},
			"credits used=0.25 37/50 reset+48h0m0s plan"},
	}
	for _, tc := range cases {
		t.Run(tc.entry.ID, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			cred := &fakeCred{token: reject}
			tr := New(Options{Now: func() time.Time { return t0 }, Send: ClientSender(client)})
			ws, err := tr.fetch(context.Background(), Target{AccountID: "x", Entry: tc.entry, Cred: cred}, t0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				got = append(got, brief(w))
			}
			same(t, "windows", got, strings.Split(tc.windows, " | ")...)
			mu.Lock()
			defer mu.Unlock()
			// The expired token was refused once, renewed, and the poll retried.
			if len(seen) != 2 || cred.reauth != 1 {
				t.Fatalf("%d requests, %d renewals", len(seen), cred.reauth)
			}
			r := seen[1]
			if r.Method != "GET" || r.URL.Path != tc.path || r.Header.Get("Authorization") != "Bearer fresh-token-2" ||
				!strings.Contains(r.Header.Get(tc.header[0]), tc.header[1]) {
				t.Fatalf("%s %s %v", r.Method, r.URL.Path, r.Header)
			}
		})
	}
	// A model-scoped window used up skips only its models.
	tr := New(Options{Now: func() time.Time { return t0 }})
	ws := parseClaudeUsage(gjson.Parse(`{"five_hour":{"utilization":10,"resets_at":"2026-11-26T13:00:00Z"},"seven_day_sonnet":{"utilization":100,"resets_at":"2026-11-27T08:00:00Z"}}`))
	tr.apply("claude:max", ident{"claude", "max"}, ws, merge{usage: true})
	if !tr.Standing("claude:max", "claude-sonnet-4-5", t0).Exhausted() || tr.Standing("claude:max", "claude-opus-4-5", t0).Exhausted() {
		t.Fatal("the Sonnet week limits Sonnet only")
	}
}

// An account 429'd with a reset an hour away is used again the moment a
// poll shows headroom: the poll clears every rest the quota caused.
func TestPollShowingHeadroomClearsCooldowns(t *testing.T) {
	clk := &clock{t: t0}
	h := route.NewHealth(clk.now, 1)
	rec := &changes{}
	s := &scripted{used: 30}
	tg := codexTarget(&fakeCred{token: "t"})
	tr := New(Options{Now: clk.now, Health: h, OnChange: rec.add, Send: s.send, Targets: func() []Target { return []Target{tg} }})
	h.SetQuota(tr)
	c := cand("codex", "me")
	snap := route.NewSnapshot([]*route.Provider{c.Provider}, nil)
	e := &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Hour, Message: "usage limit reached"}
	p, _ := snap.Plan(h, "codex/gpt-5")
	got, l, _ := p.Next(context.Background())
	l.Release()
	p.Failed(got, e, clk.now())
	clk.add(time.Minute)
	if p, _ := snap.Plan(h, "codex/gpt-5"); func() bool { _, _, ok := p.Next(context.Background()); return ok }() {
		t.Fatal("used within the hour")
	}
	if err := tr.Refresh(context.Background(), "codex:me"); err != nil {
		t.Fatal(err)
	}
	if cs := h.Cooldowns(); len(cs) != 0 {
		t.Fatalf("cooldowns left after the poll: %+v", cs)
	}
	p, _ = snap.Plan(h, "codex/gpt-5")
	if _, l, ok := p.Next(context.Background()); !ok {
		t.Fatalf("not used after the poll showed headroom: %+v", p.Notes)
	} else {
		l.Release()
	}
	same(t, "events", rec.list(), "account_quota_exhausted me Limit", "quota_back me Limit")
}

// Copilot's snapshots: limited ones are windows, unlimited ones none; a
// credential that cannot give the sign-in's own token is not polled.
func TestCopilotSnapshots(t *testing.T) {
	ws := parseCopilotUsage(gjson.Parse(`{"quota_reset_date":"2026-12-31","quota_reset_date_utc":"2026-12-31T00:00:00.000Z",
		"quota_snapshots":{"premium_interactions":{"entitlement":300,"remaining":120,"percent_remaining":40,"unlimited":false},
		"chat":{"percent_remaining":100,"unlimited":true},"completions":{"entitlement":2000,"remaining":0,"percent_remaining":0}}}`))
	var got []string
	for _, w := range ws {
		got = append(got, fmt.Sprintf("%s %s %.2f %d/%d %s %v", w.Name, w.Label(), w.Used, w.Remaining, w.Limit, w.ResetAt.Format(time.RFC3339), w.Plan))
	}
	same(t, "windows", got, "premium Premium requests 0.60 120/300 2026-12-31T00:00:00Z true",
		"completions Completions 1.00 0/2000 2026-12-31T00:00:00Z true")
	tr := New(Options{Now: func() time.Time { return t0 }, Send: func(context.Context, *provider.Call) ([]byte, error) {
		t.Fatal("asked without the sign-in's token")
		return nil, nil
	}})
	if _, err := tr.fetch(context.Background(), Target{AccountID: "x", Entry: provider.Entry{ID: "copilot"}, Cred: &fakeCred{token: "t"}}, t0); err != errNoEndpoint {
		t.Fatal(err)
	}
}
