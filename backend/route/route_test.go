package route

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }
func mkProvider(id string, price float64, accts ...string) *Provider {
	p := &Provider{Entry: provider.Entry{ID: id, Prefix: id, Dialect: dialect.OpenAIChat, Auth: provider.AuthBearer,
		Models: []provider.Model{{ID: "m", InputPrice: price, OutputPrice: price}, {ID: "other"}}}}
	for _, a := range accts {
		p.Accounts = append(p.Accounts, &Account{ID: id + ":" + a, Name: a, ProviderID: id, APIKey: "k"})
	}
	return p
}

func snapshot(combos ...Combo) *Snapshot {
	return NewSnapshot([]*Provider{mkProvider("a", 3, "a1", "a2"), mkProvider("b", 1, "b1"), mkProvider("c", 2, "c1")},
		map[string]string{"fast": "b/m"}, combos...)
}

// first returns the first candidate a plan yields (releasing its lease).
func first(t *testing.T, s *Snapshot, h *Health, model string) Candidate {
	t.Helper()
	p, err := s.Plan(h, model)
	if err != nil {
		t.Fatal(err)
	}
	c, lease, ok := p.Next(context.Background())
	if !ok {
		t.Fatalf("no candidate: %+v", p.Notes)
	}
	lease.Release()
	return c
}

func distribution(t *testing.T, s *Snapshot, h *Health, model string, n int) map[string]int {
	got := map[string]int{}
	for i := 0; i < n; i++ {
		got[first(t, s, h, model).Provider.Entry.ID]++
	}
	return got
}

func within(t *testing.T, name string, got, want int, tol float64) {
	t.Helper()
	if math.Abs(float64(got-want)) > tol*float64(want) {
		t.Errorf("%s: got %d, want %d ±%.0f%%", name, got, want, tol*100)
	}
}

func targets(models ...string) []ComboTarget {
	var out []ComboTarget
	for _, m := range models {
		out = append(out, ComboTarget{Model: m})
	}
	return out
}

func TestStrategyDistributions(t *testing.T) {
	const n = 10000
	t.Run("priority", func(t *testing.T) {
		h := NewHealth(newClock().now, 1)
		got := distribution(t, snapshot(Combo{Name: "x", Targets: targets("a/m", "b/m", "c/m")}), h, "x", n)
		if got["a"] != n {
			t.Fatalf("priority spread: %v", got)
		}
	})
	t.Run("round-robin sticky 3", func(t *testing.T) {
		h := NewHealth(newClock().now, 1)
		s := snapshot(Combo{Name: "x", Strategy: RoundRobin, Sticky: 3, Targets: targets("a/m", "b/m", "c/m")})
		var seq []string
		for i := 0; i < 9; i++ {
			seq = append(seq, first(t, s, h, "x").Provider.Entry.ID)
		}
		want := []string{"a", "a", "a", "b", "b", "b", "c", "c", "c"}
		for i := range want {
			if seq[i] != want[i] {
				t.Fatalf("sticky sequence %v, want %v", seq, want)
			}
		}
		got := distribution(t, s, h, "x", n-1) // 9 + 9999 = 10008 = 3*3336
		for _, id := range []string{"a", "b", "c"} {
			within(t, id, got[id]+3, n/3, 0.01)
		}
	})
	t.Run("weighted 6:3:1", func(t *testing.T) {
		h := NewHealth(newClock().now, 42)
		s := snapshot(Combo{Name: "x", Strategy: Weighted, Targets: []ComboTarget{{Model: "a/m", Weight: 6}, {Model: "b/m", Weight: 3}, {Model: "c/m", Weight: 1}}})
		got := distribution(t, s, h, "x", n)
		within(t, "a", got["a"], 6000, 0.05)
		within(t, "b", got["b"], 3000, 0.07)
		within(t, "c", got["c"], 1000, 0.15)
	})
	t.Run("random", func(t *testing.T) {
		h := NewHealth(newClock().now, 7)
		got := distribution(t, snapshot(Combo{Name: "x", Strategy: Random, Targets: targets("a/m", "b/m", "c/m")}), h, "x", n)
		for _, id := range []string{"a", "b", "c"} {
			within(t, id, got[id], n/3, 0.07)
		}
	})
	t.Run("cost-optimized", func(t *testing.T) {
		h := NewHealth(newClock().now, 1)
		p, _ := snapshot(Combo{Name: "x", Strategy: CostOptimized, Targets: targets("a/m", "b/m", "c/m")}).Plan(h, "x")
		var order []string
		for _, st := range p.steps {
			order = append(order, st.cands[0].Provider.Entry.ID)
		}
		if order[0] != "b" || order[1] != "c" || order[2] != "a" {
			t.Fatalf("cheapest first: %v", order)
		}
	})
	t.Run("cost-optimized with the prices in force", func(t *testing.T) {
		h := NewHealth(newClock().now, 1)
		h.SetPricer(func(provider, _ string) (float64, bool) {
			switch provider {
			case "b":
				return 5, true
			case "c":
				return 0, true // a plan or a local model
			}
			return 0, false // a: nobody priced it
		})
		p, _ := snapshot(Combo{Name: "x", Strategy: CostOptimized, Targets: targets("a/m", "b/m", "c/m")}).Plan(h, "x")
		var order []string
		for _, st := range p.steps {
			order = append(order, st.cands[0].Provider.Entry.ID)
		}
		if strings.Join(order, ",") != "c,b,a" {
			t.Fatalf("free, then priced, then unpriced: %v", order)
		}
	})
	t.Run("least-used balances", func(t *testing.T) {
		h := NewHealth(newClock().now, 1)
		got := distribution(t, snapshot(Combo{Name: "x", Strategy: LeastUsed, Targets: targets("a/m", "b/m", "c/m")}), h, "x", 3000)
		for _, id := range []string{"a", "b", "c"} {
			within(t, id, got[id], 1000, 0.01)
		}
	})
	t.Run("p2c prefers the faster", func(t *testing.T) {
		h := NewHealth(newClock().now, 3)
		s := snapshot(Combo{Name: "x", Strategy: P2C, Targets: targets("b/m", "c/m")})
		b, _ := s.Provider("b")
		c, _ := s.Provider("c")
		h.ReportSuccess(Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}, time.Time{}, 400*time.Millisecond)
		h.ReportSuccess(Candidate{Provider: c, Account: c.Accounts[0], Model: "m"}, time.Time{}, 40*time.Millisecond)
		got := distribution(t, s, h, "x", n)
		if got["c"] != n {
			t.Fatalf("p2c with two targets must pick the faster: %v", got)
		}
	})
	t.Run("quota-aware puts resting last", func(t *testing.T) {
		clk := newClock()
		h := NewHealth(clk.now, 1)
		s := snapshot(Combo{Name: "x", Strategy: QuotaAware, Targets: targets("b/m", "c/m")})
		b, _ := s.Provider("b")
		h.ReportFailure(Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}, &ir.Error{Kind: ir.KindQuotaExhausted, RetryAfter: time.Hour}, clk.t)
		if got := first(t, s, h, "x").Provider.Entry.ID; got != "c" {
			t.Fatalf("quota-aware picked %s", got)
		}
	})
}

func TestRetryAfterHonouredToTheSecond(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot()
	b, _ := s.Provider("b")
	cand := Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}
	until := h.ReportFailure(cand, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: 30 * time.Second}, clk.t)
	if !until.Equal(clk.t.Add(30 * time.Second)) {
		t.Fatalf("until %v", until)
	}
	clk.add(29*time.Second + 999*time.Millisecond)
	if _, err := s.Plan(h, "b/m"); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Plan(h, "b/m")
	if _, _, ok := p.Next(context.Background()); ok {
		t.Fatal("used during its Retry-After")
	}
	e := p.Err()
	if e.Kind != ir.KindUnavailable || e.RetryAfter != time.Millisecond || e.HTTPStatus() != 429 {
		t.Fatalf("unavailable error: %+v", e)
	}
	clk.add(time.Millisecond)
	p, _ = s.Plan(h, "b/m")
	if _, lease, ok := p.Next(context.Background()); !ok {
		t.Fatal("not used after its Retry-After")
	} else {
		lease.Release()
	}
	// Reset times in the body (ResetAt) win the same way; quota rests the
	// whole account, other models included.
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindQuotaExhausted, ResetAt: clk.t.Add(3 * time.Hour)}, clk.t)
	p, _ = s.Plan(h, "b/other")
	if _, _, ok := p.Next(context.Background()); ok {
		t.Fatal("quota-exhausted account used for another model")
	}
	if cs := h.Cooldowns(); len(cs) != 1 || !cs[0].Until.Equal(clk.t.Add(3*time.Hour)) || cs[0].Model != "*" {
		t.Fatalf("cooldowns %+v", cs)
	}
	// A reset time absurdly far out is capped.
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindQuotaExhausted, ResetAt: clk.t.Add(30 * 24 * time.Hour)}, clk.t)
	if cs := h.Cooldowns(); cs[0].Until.After(clk.t.Add(maxProviderReset)) {
		t.Fatalf("reset not capped: %v", cs[0].Until)
	}
	if n := h.Reset("b", ""); n == 0 || len(h.Cooldowns()) != 0 {
		t.Fatal("reset did not clear")
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 9)
	s := snapshot()
	b, _ := s.Provider("b")
	cand := Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}
	var prev time.Duration
	for i := 0; i < 20; i++ {
		d := h.ReportFailure(cand, &ir.Error{Kind: ir.KindRateLimited}, clk.t).Sub(clk.t)
		if d > time.Duration(float64(backoffCap)*1.2) {
			t.Fatalf("attempt %d: %v beyond the cap", i, d)
		}
		if i < 5 && i > 0 && d < prev/2 {
			t.Fatalf("attempt %d: %v did not grow from %v", i, d, prev)
		}
		prev = d
	}
	if prev < backoffCap*8/10 {
		t.Fatalf("never reached the cap: %v", prev)
	}
	h.ReportSuccess(cand, clk.t, time.Millisecond)
	if d := h.ReportFailure(cand, &ir.Error{Kind: ir.KindRateLimited}, clk.t).Sub(clk.t); d > 2*backoffBase {
		t.Fatalf("success did not reset the level: %v", d)
	}
}

func TestBreakerOpenHalfOpenClosed(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	var changes []Change
	h.OnChange(func(c Change) { changes = append(changes, c) })
	s := snapshot()
	c, _ := s.Provider("c")
	cand := Candidate{Provider: c, Account: c.Accounts[0], Model: "m"}
	for i := 0; i < breakerThreshold; i++ {
		h.ReportFailure(cand, &ir.Error{Kind: ir.KindUpstream5xx}, clk.t)
		h.mu.Lock()
		clear(h.cool) // only the breaker matters here
		h.mu.Unlock()
	}
	if st := h.Breakers()[0].State; st != BreakerOpen {
		t.Fatalf("state %s after %d failures", st, breakerThreshold)
	}
	p, _ := s.Plan(h, "c/m")
	if _, _, ok := p.Next(context.Background()); ok || p.Notes[0].Result != "skipped:breaker_open" {
		t.Fatalf("open breaker admitted: %+v", p.Notes)
	}
	clk.add(breakerOpenBase)
	p1, _ := s.Plan(h, "c/m")
	_, lease, ok := p1.Next(context.Background())
	if !ok {
		t.Fatal("half-open did not allow a probe")
	}
	p2, _ := s.Plan(h, "c/m")
	if _, _, ok := p2.Next(context.Background()); ok {
		t.Fatal("second request admitted during the probe")
	}
	lease.Release()
	h.ReportSuccess(cand, clk.t, time.Millisecond)
	if st := h.Breakers()[0].State; st != BreakerClosed {
		t.Fatalf("state %s after a good probe", st)
	}
	tripped := 0
	for _, c := range changes {
		if c.Kind == ProviderTripped {
			tripped++
		}
	}
	if tripped != 1 || changes[len(changes)-1].Kind != ProviderRecovered {
		t.Fatalf("events %+v", changes)
	}
	// 429s and 401s never trip the provider breaker.
	for i := 0; i < 20; i++ {
		h.ReportFailure(cand, &ir.Error{Kind: ir.KindRateLimited}, clk.t)
	}
	if st := h.Breakers()[0].State; st != BreakerClosed {
		t.Fatal("rate limits tripped the breaker")
	}
}

func TestAuthFailureBenchesOnlyThatAccount(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot()
	a, _ := s.Provider("a")
	p, _ := s.Plan(h, "a/m")
	c1, l1, _ := p.Next(context.Background())
	l1.Release()
	if c1.Account.Name != "a1" {
		t.Fatalf("first %s", c1.Account.Name)
	}
	if !p.Failed(c1, &ir.Error{Kind: ir.KindAuth, Status: 401}, time.Time{}) {
		t.Fatal("auth failure stopped the plan")
	}
	c2, l2, ok := p.Next(context.Background())
	if !ok || c2.Account.Name != "a2" {
		t.Fatal("sibling account not tried")
	}
	l2.Release()
	// The sibling and other providers keep serving; the bad account rests.
	if got := first(t, s, h, "a/m").Account.Name; got != "a2" {
		t.Fatalf("next request went to %s", got)
	}
	if got := first(t, s, h, "b/m").Provider.Entry.ID; got != "b" {
		t.Fatal("another provider affected")
	}
	_ = a
}

func TestBadRequestStopsContextTooLongAdvances(t *testing.T) {
	h := NewHealth(newClock().now, 1)
	s := snapshot(Combo{Name: "x", Targets: targets("a/m", "b/m")})
	p, _ := s.Plan(h, "x")
	c, l, _ := p.Next(context.Background())
	l.Release()
	if p.Failed(c, &ir.Error{Kind: ir.KindBadRequest}, time.Time{}) {
		t.Fatal("bad request must stop")
	}
	p, _ = s.Plan(h, "x")
	c, l, _ = p.Next(context.Background())
	l.Release()
	p.Failed(c, &ir.Error{Kind: ir.KindContextTooLong}, time.Time{})
	c, l, ok := p.Next(context.Background())
	if !ok || c.Provider.Entry.ID != "b" {
		t.Fatalf("context too long must skip a's other account and go to b, got %+v", c)
	}
	l.Release()
}

func TestOnlyWhenExhausted(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot(Combo{Name: "x", Targets: []ComboTarget{{Model: "b/m"}, {Model: "c/m", OnlyIfExhausted: true}}})
	b, _ := s.Provider("b")
	// b rate limited (not exhausted): c must not be used.
	h.ReportFailure(Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Minute}, clk.t)
	p, _ := s.Plan(h, "x")
	if _, _, ok := p.Next(context.Background()); ok {
		t.Fatalf("exhaustion-only target used while b was only rate limited: %+v", p.Notes)
	}
	h.Reset("", "")
	h.ReportFailure(Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}, &ir.Error{Kind: ir.KindQuotaExhausted, RetryAfter: time.Hour}, clk.t)
	if got := first(t, s, h, "x").Provider.Entry.ID; got != "c" {
		t.Fatalf("exhaustion-only target not used when b was exhausted: %s", got)
	}
}

func TestBoundedQueueAnswers429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHealth(time.Now, 1)
		p := mkProvider("q", 1, "only")
		p.Accounts[0].MaxConcurrent = 1
		s := NewSnapshot([]*Provider{p}, nil)
		plan, _ := s.Plan(h, "q/m")
		_, held, ok := plan.Next(context.Background())
		if !ok {
			t.Fatal("first request refused")
		}
		// A second request waits in the bounded queue, then gives up with 429.
		start := time.Now()
		plan2, _ := s.Plan(h, "q/m")
		if _, _, ok := plan2.Next(context.Background()); ok {
			t.Fatal("admitted beyond max_concurrent")
		}
		if waited := time.Since(start); waited != maxQueueWait {
			t.Fatalf("waited %v, want the bounded %v", waited, maxQueueWait)
		}
		if e := plan2.Err(); e.HTTPStatus() != 429 || e.RetryAfter <= 0 {
			t.Fatalf("want 429 with Retry-After, got %+v", e)
		}
		// When the slot frees during the wait, the waiter gets it.
		go func() { time.Sleep(time.Second); held.Release() }()
		plan3, _ := s.Plan(h, "q/m")
		_, l3, ok := plan3.Next(context.Background())
		if !ok {
			t.Fatal("waiter did not get the freed slot")
		}
		l3.Release()
	})
}

func TestQueueFullAnswersAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHealth(time.Now, 1)
		p := mkProvider("q", 1, "only")
		p.Accounts[0].MaxConcurrent = 1
		s := NewSnapshot([]*Provider{p}, nil)
		plan, _ := s.Plan(h, "q/m")
		_, held, _ := plan.Next(context.Background())
		defer held.Release()
		ctx, cancel := context.WithCancel(context.Background())
		for i := 0; i < maxQueuePerAccount; i++ {
			go func() { pl, _ := s.Plan(h, "q/m"); pl.Next(ctx) }()
		}
		synctest.Wait()
		start := time.Now()
		pl, _ := s.Plan(h, "q/m")
		if _, _, ok := pl.Next(context.Background()); ok || time.Since(start) != 0 {
			t.Fatalf("full queue: ok=%v after %v", ok, time.Since(start))
		}
		cancel()
	})
}

func TestRPMLimit(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	p := mkProvider("r", 1, "only")
	p.Accounts[0].RPM = 2
	s := NewSnapshot([]*Provider{p}, nil)
	for i := 0; i < 2; i++ {
		first(t, s, h, "r/m")
	}
	pl, _ := s.Plan(h, "r/m")
	if lease, _, ok := h.tryAcquire(pl.steps[0].cands[0]); ok {
		lease.Release()
		t.Fatal("third request within a minute admitted at rpm 2")
	}
	clk.add(time.Minute)
	first(t, s, h, "r/m")
}

func TestComboBudget(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot(Combo{Name: "x", Budget: 10 * time.Second, Targets: targets("a/m", "b/m")})
	p, _ := s.Plan(h, "x")
	c, l, _ := p.Next(context.Background())
	l.Release()
	clk.add(11 * time.Second)
	p.Failed(c, &ir.Error{Kind: ir.KindUpstream5xx}, time.Time{})
	if _, _, ok := p.Next(context.Background()); ok {
		t.Fatal("attempt started after the budget")
	}
	if e := p.Err(); e.Kind != ir.KindTimeout || e.HTTPStatus() != 504 {
		t.Fatalf("budget error %+v", e)
	}
}

func TestNestedCombosAndAliases(t *testing.T) {
	h := NewHealth(newClock().now, 1)
	s := snapshot(Combo{Name: "inner", Targets: targets("fast")}, Combo{Name: "outer", Targets: targets("inner", "c/m")})
	p, err := s.Plan(h, "outer")
	if err != nil || len(p.steps) != 2 || p.steps[0].cands[0].Provider.Entry.ID != "b" {
		t.Fatalf("nested: %v %+v", err, p)
	}
	loop := snapshot(Combo{Name: "l1", Targets: targets("l2")}, Combo{Name: "l2", Targets: targets("l1")})
	if _, err := loop.Plan(h, "l1"); err == nil {
		t.Fatal("combo loop accepted")
	}
	var names []string
	for _, m := range s.Models() {
		if m.Combo {
			names = append(names, m.ID)
		}
	}
	if len(names) != 2 {
		t.Fatalf("combos not listed: %v", names)
	}
}

func TestTransientFailuresNeedTwoStrikes(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot()
	b, _ := s.Provider("b")
	cand := Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}
	if u := h.ReportFailure(cand, &ir.Error{Kind: ir.KindUpstream5xx}, clk.t); !u.IsZero() {
		t.Fatal("one 500 rested the account")
	}
	if u := h.ReportFailure(cand, &ir.Error{Kind: ir.KindTimeout}, clk.t); u.IsZero() {
		t.Fatal("two failures in a row did not rest the account")
	}
	h.Reset("", "")
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindUpstream5xx}, clk.t)
	h.ReportSuccess(cand, clk.t, time.Millisecond)
	if u := h.ReportFailure(cand, &ir.Error{Kind: ir.KindUpstream5xx}, clk.t); !u.IsZero() {
		t.Fatal("a success in between did not reset the strikes")
	}
	// A reset clears a pending strike too (a cut stream counts as one):
	// the next failure after it is a first one again.
	h.ReportSuccess(cand, clk.t, time.Millisecond)
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindStreamInterrupted}, clk.t)
	h.Reset("b", "")
	if u := h.ReportFailure(cand, &ir.Error{Kind: ir.KindStreamInterrupted}, clk.t); !u.IsZero() {
		t.Fatal("the health reset kept the stream-cut strike")
	}
	h.Reset("", "")
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindStreamInterrupted}, clk.t)
	h.Reset("other-provider", "")
	if u := h.ReportFailure(cand, &ir.Error{Kind: ir.KindStreamInterrupted}, clk.t); u.IsZero() {
		t.Fatal("a reset of another provider cleared this provider's strike")
	}
}

func TestOlderSuccessKeepsNewerCooldown(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot()
	b, _ := s.Provider("b")
	cand := Candidate{Provider: b, Account: b.Accounts[0], Model: "m"}
	started := clk.t
	clk.add(time.Second)
	h.ReportFailure(cand, &ir.Error{Kind: ir.KindRateLimited, RetryAfter: time.Minute}, clk.t)
	h.ReportSuccess(cand, started, time.Second) // a stream that began before the 429
	if len(h.Cooldowns()) != 1 {
		t.Fatal("a success that started before the 429 cleared its cooldown")
	}
}

func TestBreakerIgnoresAMostlyHealthyProvider(t *testing.T) {
	clk := newClock()
	h := NewHealth(clk.now, 1)
	s := snapshot()
	c, _ := s.Provider("c")
	cand := Candidate{Provider: c, Account: c.Accounts[0], Model: "m"}
	for i := 0; i < 100; i++ { // 20% failures: degraded, not down
		if i%5 == 0 {
			h.ReportFailure(cand, &ir.Error{Kind: ir.KindUpstream5xx}, clk.t)
		} else {
			h.ReportSuccess(cand, clk.t, time.Millisecond)
		}
		clk.add(100 * time.Millisecond)
	}
	if st := h.Breakers()[0].State; st != BreakerClosed {
		t.Fatalf("a provider failing 20%% of requests was tripped: %+v", h.Breakers())
	}
	clk.add(2 * breakerWindow) // old outcomes leave the window
	if b := h.Breakers()[0]; b.Requests != 0 {
		t.Fatalf("window not sliding: %+v", b)
	}
}

// BenchmarkPlan measures the router's pick for one request: resolve a combo
// of three targets, order them, admit the first candidate, release it.
func BenchmarkPlan(b *testing.B) {
	h := NewHealth(nil, 1)
	s := snapshot(Combo{Name: "x", Strategy: RoundRobin, Targets: targets("a/m", "b/m", "c/m")})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := s.Plan(h, "x")
		if err != nil {
			b.Fatal(err)
		}
		c, lease, ok := p.Next(ctx)
		if !ok {
			b.Fatal("no candidate")
		}
		lease.Release()
		p.Succeeded(c, time.Time{}, time.Millisecond)
	}
}

// BenchmarkPlanDirect is the common case: a plain provider/model.
func BenchmarkPlanDirect(b *testing.B) {
	h := NewHealth(nil, 1)
	s := snapshot()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, _ := s.Plan(h, "b/m")
		c, lease, _ := p.Next(ctx)
		lease.Release()
		p.Succeeded(c, time.Time{}, time.Millisecond)
	}
}

// Each provider's account strategy picks the account on every request:
// direct provider/model requests too (they used to take accounts in one
// fixed order), sharing one rotation with combos.
func TestProviderAccountStrategyEverywhere(t *testing.T) {
	firstAccounts := func(s *Snapshot, h *Health, model string, n int) []string {
		var out []string
		for range n {
			out = append(out, first(t, s, h, model).Account.Name)
		}
		return out
	}
	// Default: fill-first, direct and inside a priority combo.
	s := snapshot(Combo{Name: "c", Targets: []ComboTarget{{Model: "a/m"}}})
	h := NewHealth(newClock().now, 1)
	if got := firstAccounts(s, h, "a/m", 3); fmt.Sprint(got) != "[a1 a1 a1]" {
		t.Errorf("default direct order %v, want fill-first", got)
	}
	// Round-robin on the provider: direct requests alternate, and a combo
	// continues the same rotation.
	a := mkProvider("a", 3, "a1", "a2")
	a.AccountStrategy = RoundRobin
	s = NewSnapshot([]*Provider{a, mkProvider("b", 1, "b1")}, nil, Combo{Name: "c", Targets: []ComboTarget{{Model: "a/m"}}})
	h = NewHealth(newClock().now, 1)
	if got := firstAccounts(s, h, "a/m", 4); fmt.Sprint(got) != "[a1 a2 a1 a2]" {
		t.Errorf("round-robin direct order %v", got)
	}
	if got := firstAccounts(s, h, "c", 2); fmt.Sprint(got) != "[a1 a2]" {
		t.Errorf("combo with the provider's round-robin: %v", got)
	}
	// Without a provider strategy a combo's own strategy still picks.
	s = snapshot(Combo{Name: "rr", Strategy: RoundRobin, Targets: []ComboTarget{{Model: "a/m"}}})
	h = NewHealth(newClock().now, 1)
	if got := firstAccounts(s, h, "rr", 4); fmt.Sprint(got) != "[a1 a2 a1 a2]" {
		t.Errorf("combo round-robin over accounts: %v", got)
	}
	// A resting account is skipped whatever the order.
	pa, _ := s.Provider("a")
	h.ReportFailure(Candidate{Provider: pa, Account: pa.Accounts[0], Model: "m"},
		&ir.Error{Kind: ir.KindQuotaExhausted}, newClock().now())
	if got := firstAccounts(s, h, "a/m", 2); fmt.Sprint(got) != "[a2 a2]" {
		t.Errorf("with a1 exhausted: %v", got)
	}
}

// A provider without a usable account fails as KindNoAccount (a setup
// problem, 503), not as a rate limit, and a combo moves past it.
func TestNoUsableAccountKind(t *testing.T) {
	e := provider.Entry{ID: "lan", Prefix: "lan", Dialect: dialect.OpenAIChat, Auth: provider.AuthBearer,
		BaseURL: "http://127.0.0.1:1/v1", Models: []provider.Model{{ID: "m"}}}
	for _, tc := range []struct {
		name  string
		accts []*Account
		want  string
	}{
		{"none", nil, "has no account"},
		{"all disabled", []*Account{{ID: "a", Name: "a", Disabled: true}}, "enable one on the Providers page"},
		{"a subscription without a sign-in", nil, "switchboard login lan"},
	} {
		entry := e
		if strings.HasPrefix(tc.name, "a subscription") {
			entry.Auth = provider.AuthOAuth
		}
		s := NewSnapshot([]*Provider{{Entry: entry, Accounts: tc.accts}}, nil)
		_, err := s.Resolve("lan/m")
		var ie *ir.Error
		if !errors.As(err, &ie) || ie.Kind != ir.KindNoAccount || ie.HTTPStatus() != 503 || !strings.Contains(ie.Message, tc.want) {
			t.Errorf("%s: err = %v, want no_account 503 with %q", tc.name, err, tc.want)
		}
		if Decide(ie) != NextTarget {
			t.Errorf("%s: a combo must move on to its next target", tc.name)
		}
	}
}

// signedOutCred is a sign-in whose refresh token the vendor refuses once
// refused is set.
type signedOutCred struct{ refused bool }

func (c *signedOutCred) Access(context.Context) (provider.Access, error) {
	return provider.Access{}, nil
}
func (c *signedOutCred) Reauthorize(context.Context, string) (provider.Access, error) {
	return provider.Access{}, nil
}
func (c *signedOutCred) NeedsSignIn() bool { return c.refused }

// An account signed out between the plan and its turn (the refresh
// scheduler lost the race at start-up) tells the client to sign in again,
// as resolving would have, not to wait for routes that are not coming back.
func TestSignedOutDuringThePlanSaysSignInAgain(t *testing.T) {
	cred := &signedOutCred{}
	p := &Provider{Entry: provider.Entry{ID: "claude", Prefix: "claude", Dialect: dialect.Anthropic, Auth: provider.AuthOAuth,
		Models: []provider.Model{{ID: "m"}}}, Accounts: []*Account{{ID: "claude:max", Name: "max", ProviderID: "claude", Cred: cred}}}
	other := mkProvider("b", 1, "b1")
	s := NewSnapshot([]*Provider{p, other}, nil, Combo{Name: "x", Targets: targets("claude/m", "b/m")})
	h := NewHealth(newClock().now, 1)

	plan, err := s.Plan(h, "claude/m")
	if err != nil {
		t.Fatal(err)
	}
	cred.refused = true
	if _, _, ok := plan.Next(context.Background()); ok {
		t.Fatal("a signed-out account was tried")
	}
	var ie *ir.Error
	if e := plan.Err(); !errors.As(e, &ie) || ie.Kind != ir.KindAuth || ie.HTTPStatus() != 401 || !strings.Contains(ie.Message, "sign in again") {
		t.Fatalf("err = %v, want a 401 telling the user to sign in again", e)
	}

	// In a combo with somewhere else to go, the other target serves.
	cred.refused = false
	plan, err = s.Plan(h, "x")
	if err != nil {
		t.Fatal(err)
	}
	cred.refused = true
	c, lease, ok := plan.Next(context.Background())
	if !ok || c.Provider.Entry.ID != "b" {
		t.Fatalf("got %v %v, want the combo's next target", c.Label(), ok)
	}
	lease.Release()
	// When the other target rests too, the answer is the rate limit, not
	// the sign-in alone.
	h.ReportFailure(Candidate{Provider: other, Account: other.Accounts[0], Model: "m"}, &ir.Error{Kind: ir.KindRateLimited}, newClock().now())
	cred.refused = false
	plan, _ = s.Plan(h, "x")
	cred.refused = true
	for _, l, ok := plan.Next(context.Background()); ok; _, l, ok = plan.Next(context.Background()) {
		l.Release()
	}
	if e := plan.Err(); !errors.As(e, &ie) || ie.Kind == ir.KindAuth {
		t.Fatalf("err = %v, want the rested target's error", e)
	}
}
