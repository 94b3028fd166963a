package route

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"switchboard/backend/ir"
)

// fakeQuota scripts each account's remaining count out of limit; reserve
// is the fraction below which an account is in reserve.
type fakeQuota struct {
	remaining map[string]int
	limit     int
	reserve   float64
	until     map[string]time.Time
	failures  []string
}

func (f *fakeQuota) Standing(account, model string, now time.Time) Standing {
	if u, ok := f.until[account]; ok && now.Before(u) {
		return Standing{Until: u, Why: "5-hour window used up"}
	}
	r, ok := f.remaining[account]
	if !ok {
		return Standing{Headroom: 1}
	}
	h := float64(r) / float64(f.limit)
	return Standing{Headroom: h, Reserve: h < f.reserve}
}

func (f *fakeQuota) ObserveAnswer(c Candidate, h http.Header, started time.Time) {}

func (f *fakeQuota) ObserveFailure(c Candidate, e *ir.Error, until time.Time) {
	f.failures = append(f.failures, AccountKey(c)+":"+e.Kind.String())
}

func threeAccounts(strategy Strategy) *Snapshot {
	p := mkProvider("a", 1, "a1", "a2", "a3")
	p.AccountStrategy = strategy
	return NewSnapshot([]*Provider{p}, nil)
}

// quota-aware sends each request to the account with the most left, so
// the accounts drain together; any other order (the sort removed) drains
// the first one to zero while others still have plenty.
func TestQuotaAwareOrdersByRealHeadroom(t *testing.T) {
	cases := []struct {
		strategy Strategy
		balanced bool
	}{
		{QuotaAware, true},
		{Priority, false},
		{FillFirst, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.strategy), func(t *testing.T) {
			h := NewHealth(newClock().now, 1)
			q := &fakeQuota{remaining: map[string]int{"a:a1": 30, "a:a2": 100, "a:a3": 60}, limit: 100}
			h.SetQuota(q)
			s := threeAccounts(tc.strategy)
			for range 150 {
				c := first(t, s, h, "a/m")
				q.remaining[c.Account.ID]--
			}
			lo, hi := 100, 0
			for _, r := range q.remaining {
				lo, hi = min(lo, r), max(hi, r)
			}
			if balanced := hi-lo <= 1 && lo > 0; balanced != tc.balanced {
				t.Fatalf("remaining after 150 requests: %v (balanced=%v, want %v)", q.remaining, balanced, tc.balanced)
			}
		})
	}
}

func TestQuotaAwareCombosOrderTargetsByHeadroom(t *testing.T) {
	h := NewHealth(newClock().now, 1)
	h.SetQuota(&fakeQuota{remaining: map[string]int{"b:b1": 10, "c:c1": 70}, limit: 100})
	s := snapshot(Combo{Name: "x", Strategy: QuotaAware, Targets: targets("b/m", "c/m")})
	if got := first(t, s, h, "x").Provider.Entry.ID; got != "c" {
		t.Fatalf("quota-aware combo picked %s, want c (70%% left against 10%%)", got)
	}
}

func TestExhaustedAccountSkippedUntilReset(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	reset := clk.t.Add(time.Hour)
	h.SetQuota(&fakeQuota{limit: 100, until: map[string]time.Time{"a:a1": reset}})
	s := threeAccounts("")
	p, _ := s.Plan(h, "a/m")
	c, lease, ok := p.Next(context.Background())
	if !ok || c.Account.Name != "a2" {
		t.Fatalf("got %+v, want a2", c)
	}
	lease.Release()
	n := p.Notes[0]
	if n.Result != "skipped:quota_exhausted" || n.Until != reset.Format(time.RFC3339) || n.Detail != "5-hour window used up" {
		t.Fatalf("note %+v", n)
	}
	// Only used-up accounts: the client gets 429 with the reset as Retry-After.
	one := NewSnapshot([]*Provider{mkProvider("a", 1, "a1")}, nil)
	p, _ = one.Plan(h, "a/m")
	if _, _, ok := p.Next(context.Background()); ok {
		t.Fatal("an exhausted account was admitted")
	}
	if e := p.Err(); e.HTTPStatus() != 429 || e.RetryAfter != time.Hour {
		t.Fatalf("error %+v", e)
	}
	// An exhausted-only target counts it as exhausted.
	fb := NewSnapshot([]*Provider{mkProvider("a", 1, "a1"), mkProvider("b", 1, "b1")}, nil,
		Combo{Name: "x", Targets: []ComboTarget{{Model: "a/m"}, {Model: "b/m", OnlyIfExhausted: true}}})
	if got := first(t, fb, h, "x").Provider.Entry.ID; got != "b" {
		t.Fatalf("only-when-exhausted target not used: %s", got)
	}
	if st := fb.State(h, "a/m"); st.State != "cooling" || !st.Until.Equal(reset) {
		t.Fatalf("state %+v", st)
	}
	clk.t = reset
	if got := first(t, one, h, "a/m").Account.Name; got != "a1" {
		t.Fatalf("after its reset: %s", got)
	}
}

// The reserve moves traffic to accounts with more left, whatever the
// strategy, and still uses a reserve account when all are in reserve.
func TestReserveMovesTrafficToOtherAccounts(t *testing.T) {
	for _, s := range []Strategy{"", Priority, FillFirst, RoundRobin, QuotaAware} {
		t.Run(string(s)+"-", func(t *testing.T) {
			h := NewHealth(newClock().now, 1)
			q := &fakeQuota{remaining: map[string]int{"a:a1": 5, "a:a2": 8, "a:a3": 40}, limit: 100, reserve: 0.10}
			h.SetQuota(q)
			snap := threeAccounts(s)
			for i := range 6 {
				if got := first(t, snap, h, "a/m").Account.Name; got != "a3" {
					t.Fatalf("request %d went to %s, in reserve", i, got)
				}
			}
			q.remaining["a:a3"] = 9 // all in reserve now: the order is the strategy's again
			got := first(t, snap, h, "a/m").Account.Name
			if (s == "" || s == Priority) && got != "a1" {
				t.Fatalf("all in reserve: %s, want a1", got)
			}
		})
	}
	// Combo targets too: the target whose every account is in reserve goes last.
	h := NewHealth(newClock().now, 1)
	h.SetQuota(&fakeQuota{remaining: map[string]int{"b:b1": 5}, limit: 100, reserve: 0.10})
	s := snapshot(Combo{Name: "x", Targets: targets("b/m", "c/m")})
	if got := first(t, s, h, "x").Provider.Entry.ID; got != "c" {
		t.Fatalf("combo target in reserve used first: %s", got)
	}
}

// fill-first stays on the account that took over when the first one
// failed, after the first recovers; priority snaps back to the first.
func TestFillFirstStaysWherePrioritySnapsBack(t *testing.T) {
	for _, tc := range []struct {
		strategy Strategy
		after    string
	}{{FillFirst, "[a2 a2 a2]"}, {"", "[a2 a2 a2]"}, {Priority, "[a1 a1 a1]"}} {
		t.Run(string(tc.strategy)+"-", func(t *testing.T) {
			clk := newClock()
			h := NewHealth(clk.now, 1)
			s := threeAccounts(tc.strategy)
			p, _ := s.Plan(h, "a/m")
			c, l, _ := p.Next(context.Background())
			l.Release()
			if c.Account.Name != "a1" {
				t.Fatalf("first pick %s", c.Account.Name)
			}
			p.Failed(c, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: 30 * time.Second}, clk.t)
			c, l, _ = p.Next(context.Background())
			l.Release()
			p.Succeeded(c, clk.t, time.Millisecond)
			clk.add(time.Minute) // a1 is rested no more
			var got []string
			for range 3 {
				p, _ := s.Plan(h, "a/m")
				c, l, _ := p.Next(context.Background())
				l.Release()
				p.Succeeded(c, clk.t, time.Millisecond)
				got = append(got, c.Account.Name)
			}
			if fmt.Sprint(got) != tc.after {
				t.Fatalf("after a1 recovered: %v, want %s", got, tc.after)
			}
			// When the account it stays on fails, the next one in turn
			// takes over (a3), not the first.
			if tc.strategy != Priority {
				p, _ := s.Plan(h, "a/m")
				c, l, _ := p.Next(context.Background())
				l.Release()
				p.Failed(c, &ir.Error{Kind: ir.KindQuotaExhausted, RetryAfter: time.Hour}, clk.t)
				c, l, _ = p.Next(context.Background())
				l.Release()
				if c.Account.Name != "a3" {
					t.Fatalf("after a2 ran out: %s, want a3", c.Account.Name)
				}
			}
		})
	}
}

func TestFillFirstComboStaysOnTarget(t *testing.T) {
	for _, tc := range []struct {
		strategy Strategy
		after    string
	}{{FillFirst, "c"}, {Priority, "b"}} {
		clk := newClock()
		h := NewHealth(clk.now, 1)
		s := snapshot(Combo{Name: "x", Strategy: tc.strategy, Targets: targets("b/m", "c/m")})
		p, _ := s.Plan(h, "x")
		c, l, _ := p.Next(context.Background())
		l.Release()
		p.Failed(c, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: 10 * time.Second}, clk.t)
		c, l, _ = p.Next(context.Background())
		l.Release()
		p.Succeeded(c, clk.t, time.Millisecond)
		if c.Provider.Entry.ID != "c" {
			t.Fatalf("%s: fallback %s", tc.strategy, c.Provider.Entry.ID)
		}
		clk.add(time.Minute)
		if got := first(t, s, h, "x").Provider.Entry.ID; got != tc.after {
			t.Fatalf("%s combo after b recovered: %s, want %s", tc.strategy, got, tc.after)
		}
	}
}

func TestClearQuotaEndsOnlyQuotaRestsSetBefore(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := threeAccounts("")
	pa, _ := s.Provider("a")
	a1 := Candidate{Provider: pa, Account: pa.Accounts[0], Model: "m"}
	a1other := Candidate{Provider: pa, Account: pa.Accounts[0], Model: "other"}
	a2 := Candidate{Provider: pa, Account: pa.Accounts[1], Model: "m"}
	h.ReportFailure(a1, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Hour}, clk.t)
	h.ReportFailure(a1other, &ir.Error{Kind: ir.KindQuotaExhausted, RetryAfter: time.Hour}, clk.t)
	h.ReportFailure(a2, &ir.Error{Kind: ir.KindAuth}, clk.t)
	poll := clk.t
	clk.add(time.Second)
	if !h.QuotaRested("a:a1") || h.QuotaRested("a:a2") {
		t.Fatal("QuotaRested")
	}
	if n := h.ClearQuota("a:a1", poll.Add(-time.Millisecond)); n != 0 {
		t.Fatalf("cleared %d rests set after asOf", n)
	}
	if n := h.ClearQuota("a:a1", poll); n != 2 {
		t.Fatalf("cleared %d, want 2", n)
	}
	if n := h.ClearQuota("a:a2", clk.t); n != 0 {
		t.Fatal("an auth rest was cleared as quota")
	}
	if cs := h.Cooldowns(); len(cs) != 1 || cs[0].Reason != ReasonAuth {
		t.Fatalf("left %+v", cs)
	}
}

func TestFailuresReachTheQuota(t *testing.T) {
	h := NewHealth(newClock().now, 1)
	q := &fakeQuota{limit: 1}
	h.SetQuota(q)
	s := threeAccounts("")
	p, _ := s.Plan(h, "a/m")
	c, l, _ := p.Next(context.Background())
	l.Release()
	p.Failed(c, &ir.Error{Kind: ir.KindQuotaExhausted}, time.Time{})
	if fmt.Sprint(q.failures) != "[a:a1:quota_exhausted]" {
		t.Fatalf("%v", q.failures)
	}
}
