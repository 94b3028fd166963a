package quota

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// clock is a manually advanced, concurrency-safe clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// changes records the tracker's events.
type changes struct {
	mu sync.Mutex
	cs []route.Change
}

func (r *changes) add(c route.Change) { r.mu.Lock(); r.cs = append(r.cs, c); r.mu.Unlock() }

// list renders them as "kind window percent" for comparison, and forgets them.
func (r *changes) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.cs {
		s := string(c.Kind) + " " + c.Account
		if c.Window != "" {
			s += " " + c.Window
		}
		if c.Kind == route.QuotaThreshold {
			s += fmt.Sprintf(" %d%%", c.Percent)
		}
		out = append(out, s)
	}
	r.cs = nil
	return out
}

func cand(providerID, account string) route.Candidate {
	p := &route.Provider{Entry: provider.Entry{ID: providerID, Name: providerID}}
	a := &route.Account{ID: providerID + ":" + account, Name: account, ProviderID: providerID}
	p.Accounts = []*route.Account{a}
	return route.Candidate{Provider: p, Account: a, Model: "gpt-5"}
}

func newTracker(t *testing.T, o Options) (*Tracker, *clock, *changes) {
	t.Helper()
	clk := &clock{t: t0}
	rec := &changes{}
	if o.Now == nil {
		o.Now = clk.now
	}
	o.OnChange = rec.add
	return New(o), clk, rec
}

func codexHdr(primary float64, reset time.Time) http.Header {
	return hdr("x-codex-primary-used-percent", fmt.Sprint(primary), "x-codex-primary-window-minutes", "300",
		"x-codex-primary-reset-at", fmt.Sprint(reset.Unix()))
}

func same(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestWindowsMergedPerAccount(t *testing.T) {
	tr, clk, _ := newTracker(t, Options{})
	c := cand("codex", "me")
	reset := t0.Add(3 * time.Hour)
	tr.ObserveAnswer(c, codexHdr(40, reset), t0)
	// The usage endpoint adds the weekly window and, newer, replaces the
	// primary one: one window per name whatever the source.
	clk.add(time.Minute)
	tr.apply(c.Account.ID, who(c), []Window{
		{Name: "primary", Used: 0.45, ResetAt: reset, Source: SourceUsage, ObservedAt: clk.now(), Plan: true},
		{Name: "secondary", Used: 0.20, ResetAt: t0.Add(72 * time.Hour), Source: SourceUsage, ObservedAt: clk.now(), Plan: true},
	}, merge{usage: true})
	// A figure older than the one known is ignored.
	tr.apply(c.Account.ID, who(c), []Window{{Name: "primary", Used: 0.99, ResetAt: reset, Source: SourceHeaders, ObservedAt: t0}}, merge{})
	v, _ := tr.Account(c.Account.ID)
	var got []string
	for _, w := range v.Windows {
		got = append(got, fmt.Sprintf("%s %s %.0f%% %s", w.Name, w.Label, w.Percent, w.Source))
	}
	same(t, "windows", got, "primary 5-hour 45% usage", "secondary Weekly 20% usage")
	if v.Tightest == nil || v.Tightest.Name != "primary" || v.State != StateOK {
		t.Fatalf("tightest %+v state %s", v.Tightest, v.State)
	}
	// Another account's windows are its own.
	other := cand("codex", "work")
	if st := tr.Standing(other.Account.ID, "gpt-5", clk.now()); st.Headroom != 1 || st.Exhausted() {
		t.Fatalf("other account %+v", st)
	}
	if st := tr.Standing(c.Account.ID, "gpt-5", clk.now()); st.Headroom < 0.549 || st.Headroom > 0.551 {
		t.Fatalf("headroom %+v", st)
	}
}

func TestStandingAndReserve(t *testing.T) {
	tr, clk, _ := newTracker(t, Options{})
	id := "claude:max"
	reset := t0.Add(time.Hour)
	tr.apply(id, ident{"claude", "max"}, []Window{
		{Name: "5h", Used: 0.95, ResetAt: reset, Source: SourceUsage, ObservedAt: t0, Plan: true},
		{Name: "7d", Model: "opus", Used: 1, ResetAt: t0.Add(48 * time.Hour), Source: SourceUsage, ObservedAt: t0, Plan: true},
	}, merge{})
	now := clk.now()
	if st := tr.Standing(id, "claude-sonnet-4-5", now); st.Exhausted() || st.Reserve || st.Headroom < 0.049 || st.Headroom > 0.051 {
		t.Fatalf("sonnet %+v", st)
	}
	st := tr.Standing(id, "claude-opus-4-5", now)
	if !st.Until.Equal(t0.Add(48*time.Hour)) || st.Why != "Weekly (Opus) used up (usage endpoint)" || st.Headroom != 0 {
		t.Fatalf("opus %+v", st)
	}
	tr.SetReserve(10)
	if st := tr.Standing(id, "claude-sonnet-4-5", now); !st.Reserve {
		t.Fatal("5% left is below a 10% reserve")
	}
	if v, _ := tr.Account(id); v.State != StateReserve {
		t.Fatalf("state %s", v.State)
	}
	// Its reset passing invalidates the window: full headroom, shown stale.
	clk.t = reset
	if st := tr.Standing(id, "claude-sonnet-4-5", clk.now()); st.Headroom != 1 || st.Reserve {
		t.Fatalf("after reset %+v", st)
	}
	v, _ := tr.Account(id)
	if !v.Windows[0].Stale || v.Windows[0].Percent != 0 || v.Tightest.Name != "7d" {
		t.Fatalf("after reset %+v", v)
	}
}

// Alerts: the threshold once per window period, exhaustion once, quota
// back once after the reset; a new period re-arms them.
func TestAlertsOncePerWindow(t *testing.T) {
	tr, clk, rec := newTracker(t, Options{})
	c := cand("codex", "me")
	reset := t0.Add(2 * time.Hour)
	for _, used := range []float64{50, 85, 91, 92, 95, 91} {
		tr.ObserveAnswer(c, codexHdr(used, reset), clk.now())
		clk.add(time.Second)
	}
	same(t, "threshold", rec.list(), "quota_threshold me 5-hour 91%")
	for range 3 {
		tr.ObserveAnswer(c, codexHdr(100, reset), clk.now())
		clk.add(time.Second)
	}
	same(t, "exhausted", rec.list(), "account_quota_exhausted me 5-hour")
	if st := tr.Standing(c.Account.ID, "gpt-5", clk.now()); !st.Until.Equal(reset) {
		t.Fatalf("standing %+v", st)
	}
	clk.t = reset
	tr.sweep(clk.now())
	tr.sweep(clk.now())
	same(t, "back", rec.list(), "quota_back me 5-hour")
	// The next period alerts again.
	next := reset.Add(5 * time.Hour)
	tr.ObserveAnswer(c, codexHdr(93, next), clk.now())
	tr.ObserveAnswer(c, codexHdr(100, next), clk.now())
	same(t, "next period", rec.list(), "quota_threshold me 5-hour 93%", "account_quota_exhausted me 5-hour")
	// Per-account thresholds.
	tr.SetThreshold(80, map[string]int{"codex:work": 50})
	w := cand("codex", "work")
	tr.ObserveAnswer(w, codexHdr(60, next), clk.now())
	same(t, "own threshold", rec.list(), "quota_threshold work 5-hour 60%")
	// Per-minute rate limits never alert.
	k := cand("openai", "key")
	tr.ObserveAnswer(k, hdr("x-ratelimit-limit-requests", "10", "x-ratelimit-remaining-requests", "0",
		"x-ratelimit-reset-requests", "20s"), clk.now())
	same(t, "rate limit", rec.list())
	if st := tr.Standing(k.Account.ID, "gpt-5", clk.now()); !st.Until.Equal(clk.now().Add(20 * time.Second)) {
		t.Fatalf("a used-up rate limit is skipped until its reset: %+v", st)
	}
}

func TestFailuresRecordWindows(t *testing.T) {
	cases := []struct {
		name   string
		e      *ir.Error
		until  time.Duration
		want   []string // windows
		events []string
	}{
		{"codex 429 with headers", &ir.Error{Kind: ir.KindQuotaExhausted, RetryAfter: 2 * time.Hour,
			Header: codexHdr(100, t0.Add(2*time.Hour))}, 2 * time.Hour,
			[]string{"primary used=1.00 reset+2h0m0s span=5h0m0s plan"}, nil},
		{"claude 429 rate_limit_error, 5h refused", &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Hour,
			Header: hdr("anthropic-ratelimit-unified-5h-status", "rejected", "anthropic-ratelimit-unified-5h-reset", fmt.Sprint(t0.Add(time.Hour).Unix()))},
			time.Hour, []string{"5h used=1.00 reset+1h0m0s span=5h0m0s plan"}, []string{"account_quota_exhausted me 5-hour"}},
		{"402 with a reset", &ir.Error{Kind: ir.KindQuotaExhausted, ResetAt: t0.Add(30 * time.Hour)}, 24 * time.Hour,
			[]string{"limit used=1.00 reset+30h0m0s plan"}, nil},
		{"long rate limit without headers", &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Hour}, time.Hour,
			[]string{"limit used=1.00 reset+1h0m0s plan"}, []string{"account_quota_exhausted me Limit"}},
		{"short rate limit: a cooldown only", &ir.Error{Kind: ir.KindRateLimited, RetryAfter: 20 * time.Second}, 20 * time.Second, nil, nil},
		{"quota without a reset: a cooldown only", &ir.Error{Kind: ir.KindQuotaExhausted}, time.Minute, nil, nil},
		{"server error", &ir.Error{Kind: ir.KindUpstream5xx}, 0, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, _, rec := newTracker(t, Options{})
			c := cand("x", "me")
			tr.ObserveFailure(c, tc.e, t0.Add(tc.until))
			v, _ := tr.Account(c.Account.ID)
			var got []string
			for _, w := range tr.accts[c.Account.ID].slotsOrNil() {
				got = append(got, brief(w.Window))
			}
			same(t, "windows", got, tc.want...)
			same(t, "events", rec.list(), tc.events...)
			if len(tc.want) > 0 && v.State != StateExhausted {
				t.Fatalf("state %s", v.State)
			}
		})
	}
}

func (a *account) slotsOrNil() []slot {
	if a == nil {
		return nil
	}
	return a.slots
}

// A success that began after a 429 supersedes the window the 429 left; one
// that began before it does not.
func TestSuccessSupersedesErrorWindows(t *testing.T) {
	tr, clk, rec := newTracker(t, Options{})
	c := cand("x", "me")
	started := clk.now()
	clk.add(time.Second)
	tr.ObserveFailure(c, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Hour}, clk.now().Add(time.Hour))
	rec.list()
	tr.ObserveAnswer(c, http.Header{}, started)
	if st := tr.Standing(c.Account.ID, "m", clk.now()); !st.Exhausted() {
		t.Fatal("an older success cleared a newer 429")
	}
	tr.ObserveAnswer(c, http.Header{}, clk.now())
	if st := tr.Standing(c.Account.ID, "m", clk.now()); st.Exhausted() {
		t.Fatal("a later success left the 429's window")
	}
	same(t, "events", rec.list(), "quota_back me Limit")
}

func TestConcurrentUse(t *testing.T) {
	tr, clk, _ := newTracker(t, Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cand("codex", fmt.Sprint("a", i%3))
			for j := range 200 {
				tr.ObserveAnswer(c, codexHdr(float64(j%101), t0.Add(time.Hour)), clk.now())
				tr.Standing(c.Account.ID, "gpt-5", clk.now())
				if j%50 == 0 {
					tr.sweep(clk.now())
					tr.Account(c.Account.ID)
				}
			}
		}()
	}
	wg.Wait()
}

// The request path: an answer without rate-limit headers costs no
// allocation; one with them updates the account in place.
func BenchmarkObserveAnswer(b *testing.B) {
	tr := New(Options{})
	c := cand("codex", "me")
	for _, bc := range []struct {
		name string
		h    http.Header
	}{
		{"no headers", hdr("content-type", "application/json", "x-request-id", "1")},
		{"codex headers", codexHdr(42, time.Now().Add(time.Hour))},
		{"openai headers", hdr("x-ratelimit-limit-requests", "500", "x-ratelimit-remaining-requests", "499",
			"x-ratelimit-reset-requests", "120ms", "x-ratelimit-limit-tokens", "30000",
			"x-ratelimit-remaining-tokens", "7500", "x-ratelimit-reset-tokens", "6m0s")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr.ObserveAnswer(c, bc.h, time.Now())
			b.ReportAllocs()
			for b.Loop() {
				tr.ObserveAnswer(c, bc.h, time.Time{})
			}
		})
	}
	b.Run("standing", func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now()
		for b.Loop() {
			tr.Standing(c.Account.ID, "gpt-5", now)
		}
	})
}

// BenchmarkPlanWithQuota is route's BenchmarkPlanDirect with the quota
// windows attached: two accounts with Codex windows, quota-aware.
func BenchmarkPlanWithQuota(b *testing.B) {
	h := route.NewHealth(nil, 1)
	tr := New(Options{})
	tr.SetReserve(10)
	h.SetQuota(tr)
	p := &route.Provider{Entry: provider.Entry{ID: "codex", Prefix: "codex", Models: []provider.Model{{ID: "m"}}},
		AccountStrategy: route.QuotaAware}
	for _, n := range []string{"a", "b"} {
		a := &route.Account{ID: "codex:" + n, Name: n, ProviderID: "codex"}
		p.Accounts = append(p.Accounts, a)
		tr.ObserveAnswer(route.Candidate{Provider: p, Account: a, Model: "m"}, codexHdr(40, time.Now().Add(time.Hour)), time.Now())
	}
	s := route.NewSnapshot([]*route.Provider{p}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		pl, _ := s.Plan(h, "codex/m")
		c, lease, _ := pl.Next(ctx)
		lease.Release()
		pl.Succeeded(c, time.Time{}, time.Millisecond)
	}
}
