package keys

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/store"
)

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "openai/gpt-4o", true},
		{"openai/*", "openai/gpt-4o", true},
		{"openai/*", "anthropic/claude", false},
		{"claude-*", "Claude-Sonnet-4", true}, // case-insensitive
		{"*-mini", "gpt-4o-mini", true},
		{"*-mini", "gpt-4o", false},
		{"gpt-?o", "gpt-4o", true},
		{"gpt-?o", "gpt-4.1o", false},
		{"coding", "coding", true},
		{"coding", "coding2", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
		{"**", "x", true},
	} {
		if got := globMatch(c.p, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	good := Policy{Models: []string{"a/*"}, RPM: 1, TPM: 2, DailyUSD: 1.5, MonthlyUSD: 10, DailyTokens: 5, MonthlyTokens: 9,
		ExpiresAt: "2030-01-02"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Policy{Models: []string{" ", "a b"}, RPM: -1, DailyUSD: -2, MonthlyTokens: -1, ExpiresAt: "tomorrow"}
	err := bad.Validate()
	if err == nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad policy accepted: %v", err)
	}
	for _, want := range []string{"empty", "spaces", "negative", "USD", "token budgets", "expiresAt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// clock is a settable time for the services under test.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestService(t *testing.T) (*Service, *clock) {
	t.Helper()
	s, err := New(context.Background(), openDB(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2031, 5, 14, 10, 0, 0, 0, time.Local)}
	s.now = c.now
	return s, c
}

func gateOf(t *testing.T, s *Service, secret string) *Gate {
	t.Helper()
	g, ok := s.Authenticate(secret)
	if !ok {
		t.Fatal("key not authenticated")
	}
	return g
}

func TestPolicyStoredAndEnforced(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestService(t)
	_, secret, err := s.CreateWithPolicy(ctx, "ci", SourceCLI, Policy{Models: []string{"cheap-*", " coding "}, RPM: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Stored: a fresh service reads it back, patterns trimmed.
	s2, _ := New(ctx, s.db)
	if k, ok := s2.Get("ci"); !ok || strings.Join(k.Policy.Models, ",") != "cheap-*,coding" || k.Policy.RPM != 2 {
		t.Fatalf("policy not stored: %+v", k.Policy)
	}
	g := gateOf(t, s, secret)
	if e := g.Admit("openai/gpt-4o", clk.t); e == nil || e.HTTPStatus() != http.StatusForbidden || e.Kind != ir.KindAuth || !Final(e) {
		t.Fatalf("model outside the patterns admitted: %+v", e)
	}
	for i := range 2 {
		if e := g.Admit("cheap-fast", clk.t); e != nil {
			t.Fatalf("request %d refused: %v", i, e)
		}
	}
	e := g.Admit("coding", clk.t)
	if e == nil || e.Kind != ir.KindRateLimited || e.HTTPStatus() != 429 || e.RetryAfter < time.Second || Final(e) {
		t.Fatalf("third request in a minute: %+v", e)
	}
	// Two requests at 10:00:00 are in the previous minute at 10:01:00 and
	// weigh less as it slides away: at 10:01:31 a third fits.
	clk.t = clk.t.Add(61 * time.Second)
	if e := g.Admit("coding", clk.t); e == nil {
		t.Fatal("the sliding window forgot the last minute")
	}
	clk.t = clk.t.Add(30 * time.Second)
	if e := g.Admit("coding", clk.t); e != nil {
		t.Fatalf("refused after the window slid: %v", e)
	}
}

func TestRetryAfterIsWhenTheWindowFrees(t *testing.T) {
	var w window
	now := int64(120_000) // a minute boundary
	w.roll(now)
	w.cur = 10
	// limit 10, all used at the window's start: the next minute starts
	// with prev=10, and one more fits once 10*(1-f) <= 9, f = 0.1.
	got := w.wait(now, 1, 10)
	if got != 66*time.Second {
		t.Fatalf("wait %v, want 66s", got)
	}
	w.roll(now + minuteMS + 6_000)
	if e := w.estimate(now + minuteMS + 6_000); e > 9.0001 {
		t.Fatalf("estimate %v at the promised time", e)
	}
}

func TestKeyCheckDisabledAndExpired(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestService(t)
	_, secret, _ := s.CreateWithPolicy(ctx, "temp", SourceDashboard, Policy{ExpiresAt: clk.t.Add(time.Hour).Format(time.RFC3339)})
	g := gateOf(t, s, secret)
	if e := g.Check(clk.t); e != nil {
		t.Fatalf("valid key refused: %v", e)
	}
	if e := g.Check(clk.t.Add(time.Hour)); e == nil || e.HTTPStatus() != 401 || e.Type != TypeKeyExpired {
		t.Fatalf("expired key: %+v", e)
	}
	if _, err := s.SetPolicy(ctx, "temp", Policy{Disabled: true}); err != nil {
		t.Fatal(err)
	}
	g = gateOf(t, s, secret)
	if e := g.Check(clk.t); e == nil || e.HTTPStatus() != 401 || e.Type != TypeKeyDisabled {
		t.Fatalf("disabled key: %+v", e)
	}
}

func TestBudgetsWarnOnceAndRefuse(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestService(t)
	var warns []Warning
	s.OnWarning(func(w Warning) { warns = append(warns, w) })
	_, secret, _ := s.CreateWithPolicy(ctx, "team", SourceCLI, Policy{DailyUSD: 1, MonthlyTokens: 10_000, TPM: 100_000})
	g := gateOf(t, s, secret)
	s.Debit("team", 1000, 0.5, true)
	if len(warns) != 0 {
		t.Fatalf("warned at 50%%: %+v", warns)
	}
	s.Debit("team", 1000, 0.35, true) // $0.85: past 80% of the daily budget
	s.Debit("team", 100, 0.01, true)  // still past it: no second warning
	if len(warns) != 1 || warns[0].Budget != "daily" || warns[0].Unit != "usd" || warns[0].Percent != 85 {
		t.Fatalf("warnings %+v", warns)
	}
	if e := g.Admit("m", clk.t); e != nil {
		t.Fatalf("refused under budget: %v", e)
	}
	s.Debit("team", 100, 0.2, true) // $1.06
	e := g.Admit("m", clk.t)
	if e == nil || e.Kind != ir.KindQuotaExhausted || e.HTTPStatus() != 429 || !Final(e) || e.Type != TypeBudget {
		t.Fatalf("over budget: %+v", e)
	}
	midnight := time.Date(2031, 5, 15, 0, 0, 0, 0, time.Local)
	if e.RetryAfter != midnight.Sub(clk.t) || !strings.Contains(e.Message, "daily budget of $1.00") {
		t.Fatalf("retry after %v, message %q", e.RetryAfter, e.Message)
	}
	// The next day the daily budget is fresh; the month's tokens go on.
	clk.t = midnight.Add(time.Minute)
	if e := g.Admit("m", clk.t); e != nil {
		t.Fatalf("refused on a new day: %v", e)
	}
	s.Debit("team", 6000, 0, false) // 8200 of 10000 monthly tokens
	if len(warns) != 2 || warns[1].Budget != "monthly" || warns[1].Unit != "tokens" {
		t.Fatalf("monthly token warning: %+v", warns)
	}
	u := s.List()[0].Usage
	if u.Today.Tokens != 6000 || u.Today.Unpriced != 1 || u.Month.Tokens != 8200 || u.Today.USD != 0 {
		t.Fatalf("usage %+v", u)
	}
	s.Debit("team", 2000, 0, true)
	if e := g.Admit("m", clk.t); e == nil || !strings.Contains(e.Message, "monthly token budget") {
		t.Fatalf("monthly tokens: %+v", e)
	}
	if ws := s.Warnings(); len(ws) != 1 || ws[0].Percent != 102 {
		t.Fatalf("tray warnings %+v", ws)
	}
}

// Budgets hold across a restart: the spend is seeded from the log, and a
// budget already past the warning line does not warn again.
func TestSeedSpend(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestService(t)
	var warns []Warning
	s.OnWarning(func(w Warning) { warns = append(warns, w) })
	_, secret, _ := s.CreateWithPolicy(ctx, "team", SourceCLI, Policy{DailyUSD: 1, TPM: 50})
	s.SeedSpend(map[string]Seed{"team": {Today: Spend{USD: 0.9, Tokens: 40, Requests: 3}, Month: Spend{USD: 2, Tokens: 90, Requests: 9}}})
	s.Debit("team", 5, 0.05, true)
	if len(warns) != 0 {
		t.Fatalf("warned again after a restart: %+v", warns)
	}
	u := s.List()[0].Usage
	if u.Today.Requests != 4 || u.Month.Tokens != 95 {
		t.Fatalf("usage after seed %+v", u)
	}
	g := gateOf(t, s, secret)
	s.Debit("team", 60, 0, true) // tokens per minute used up
	e := g.Admit("m", clk.t)
	if e == nil || e.Kind != ir.KindRateLimited || !strings.Contains(e.Message, "50 tokens per minute") {
		t.Fatalf("tpm: %+v", e)
	}
}

func TestAdmitDoesNotAllocate(t *testing.T) {
	s, clk := newTestService(t)
	_, secret, _ := s.CreateWithPolicy(context.Background(), "hot", SourceCLI,
		Policy{Models: []string{"a/*", "coding"}, RPM: 1 << 30, TPM: 1 << 30, DailyUSD: 1e9, MonthlyTokens: 1 << 40})
	g := gateOf(t, s, secret)
	if n := testing.AllocsPerRun(1000, func() {
		if g.Check(clk.t) != nil || g.Admit("coding", clk.t) != nil {
			t.Fatal("refused")
		}
	}); n != 0 {
		t.Fatalf("Check+Admit allocate %v times", n)
	}
}

// BenchmarkGate is what a request pays for its key's policy: Check at
// authentication and Admit before routing (model patterns, rates, budgets).
func BenchmarkGate(b *testing.B) {
	s, err := New(context.Background(), openDBB(b))
	if err != nil {
		b.Fatal(err)
	}
	_, secret, _ := s.CreateWithPolicy(context.Background(), "bench", SourceCLI,
		Policy{Models: []string{"openai/*", "anthropic/*", "coding"}, RPM: 1 << 30, TPM: 1 << 30, DailyUSD: 1e9, MonthlyTokens: 1 << 40})
	g, _ := s.Authenticate(secret)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if g.Check(now) != nil || g.Admit("coding", now) != nil {
			b.Fatal("refused")
		}
	}
}

func openDBB(b *testing.B) *store.DB {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "sb.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
