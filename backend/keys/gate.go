package keys

import (
	"net/http"
	"strings"
	"time"

	"switchboard/backend/ir"
)

// Name is the key's name (what request logs record).
func (g *Gate) Name() string { return g.key.Name }

// Check refuses a disabled or expired key with 401, the status clients
// treat as "this key does not work". It runs right after authentication.
func (g *Gate) Check(now time.Time) *ir.Error {
	c := g.pol
	switch {
	case c.Disabled:
		return &ir.Error{Kind: ir.KindAuth, Status: http.StatusUnauthorized, Type: TypeKeyDisabled,
			Message: "the Switchboard key \"" + g.key.Name + "\" is disabled; enable it in the dashboard or with `switchboard keys set " + g.key.Name + " --enable`"}
	case c.expires > 0 && now.UnixMilli() >= c.expires:
		return &ir.Error{Kind: ir.KindAuth, Status: http.StatusUnauthorized, Type: TypeKeyExpired,
			Message: "the Switchboard key \"" + g.key.Name + "\" expired at " + c.ExpiresAt}
	}
	return nil
}

// Admit checks one request for model against the key's policy before it is
// routed: the model patterns (403), requests and tokens per minute (429
// with Retry-After) and the budgets (429, quota shape). An admitted request
// counts against the requests per minute; tokens and money are debited
// when its log row is recorded (Debit). Allocation-free unless it refuses.
func (g *Gate) Admit(model string, now time.Time) *ir.Error {
	c := g.pol
	if !c.allows(model) {
		return &ir.Error{Kind: ir.KindAuth, Status: http.StatusForbidden, Type: TypeModelDenied,
			Message: "the Switchboard key \"" + g.key.Name + "\" may not use model \"" + model + "\" (allowed: " +
				strings.Join(c.Models, ", ") + ")"}
	}
	return g.m.admit(g.key.Name, c, now)
}

// Restricted reports a key limited to some model patterns.
func (g *Gate) Restricted() bool { return len(g.pol.Models) > 0 }

// Allows reports whether the key's model patterns admit model.
func (g *Gate) Allows(model string) bool { return g.pol.allows(model) }

// Final reports a refusal that retrying cannot fix before a reset or an
// operator's change (clients are told not to retry): everything but the
// per-minute rates.
func Final(e *ir.Error) bool {
	switch e.Type {
	case TypeBudget, TypeModelDenied, TypeKeyDisabled, TypeKeyExpired:
		return true
	}
	return false
}

// Debit adds a finished request's tokens (input + output) and estimated
// cost to key name's counters. priced is false when the model has no known
// price (its cost then counts as 0). Crossing WarnAt of a budget calls the
// OnWarning listener, once per budget and period.
func (s *Service) Debit(name string, tokens int64, cost float64, priced bool) {
	if name == "" {
		return
	}
	names := s.byName.Load()
	if names == nil {
		return
	}
	e, ok := (*names)[name]
	if !ok {
		return // revoked meanwhile
	}
	ws := e.m.debit(name, e.pol, tokens, cost, priced, s.now())
	if len(ws) == 0 {
		return
	}
	if f := s.onWarn.Load(); f != nil {
		for _, w := range ws {
			(*f)(w)
		}
	}
}

// OnWarning registers the listener of budget warnings (the event bus).
func (s *Service) OnWarning(f func(Warning)) { s.onWarn.Store(&f) }

// SeedSpend sets each key's spend today and this month from the request
// log (at start, so budgets hold across restarts). Keys not named keep
// zero.
func (s *Service) SeedSpend(spend map[string]Seed) {
	names := s.byName.Load()
	if names == nil {
		return
	}
	now := s.now()
	for name, e := range *names {
		e.m.seed(spend[name], e.pol, now)
	}
}

// Warnings lists the budgets of every key at or past WarnAt now, for the
// tray (most used first).
func (s *Service) Warnings() []Warning {
	var out []Warning
	for _, k := range s.List() {
		if k.Usage == nil {
			continue
		}
		p, u := k.Policy, k.Usage
		add := func(budget, unit string, used, limit float64, resetAt string) {
			if limit > 0 && used >= WarnAt*limit {
				out = append(out, Warning{Key: k.Name, Budget: budget, Unit: unit, Used: used, Limit: limit,
					Percent: int(100 * used / limit), ResetAt: resetAt})
			}
		}
		add("daily", "usd", u.Today.USD, p.DailyUSD, u.Today.ResetAt)
		add("daily", "tokens", float64(u.Today.Tokens), float64(p.DailyTokens), u.Today.ResetAt)
		add("monthly", "usd", u.Month.USD, p.MonthlyUSD, u.Month.ResetAt)
		add("monthly", "tokens", float64(u.Month.Tokens), float64(p.MonthlyTokens), u.Month.ResetAt)
	}
	for i := 1; i < len(out); i++ { // few entries: insertion sort, most used first
		for j := i; j > 0 && out[j].Percent > out[j-1].Percent; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
