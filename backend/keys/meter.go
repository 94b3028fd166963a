package keys

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"switchboard/backend/ir"
)

// minuteMS is the span of the rate windows.
const minuteMS = int64(60_000)

// WarnAt is the share of a budget at which a key's warning fires (once per
// budget and period).
const WarnAt = 0.8

// window counts events per fixed minute and estimates the last 60 seconds
// as a sliding window (the previous minute weighted by how much of it is
// still inside): O(1), no allocation, no per-event timestamps.
type window struct{ start, cur, prev int64 }

func (w *window) roll(now int64) {
	m := now - now%minuteMS
	switch m {
	case w.start:
	case w.start + minuteMS:
		w.start, w.prev, w.cur = m, w.cur, 0
	default:
		w.start, w.prev, w.cur = m, 0, 0
	}
}

func (w *window) estimate(now int64) float64 {
	f := float64(now-w.start) / float64(minuteMS)
	return float64(w.prev)*(1-f) + float64(w.cur)
}

// wait is how long until estimate+need fits in limit, nothing else being
// added meanwhile (a minute when need alone exceeds it).
func (w *window) wait(now int64, need, limit float64) time.Duration {
	var at float64 // ms since w.start
	switch cur := float64(w.cur); {
	case cur+need <= limit:
		if w.prev == 0 {
			return 0
		}
		at = (1 - (limit-cur-need)/float64(w.prev)) * float64(minuteMS)
	case need > limit || cur == 0:
		at = 2 * float64(minuteMS)
	default: // in the next minute this one is the previous
		at = float64(minuteMS) + (1-(limit-need)/cur)*float64(minuteMS)
	}
	return max(time.Duration(at-float64(now-w.start))*time.Millisecond, 0)
}

// period is a budget period's spend: a local calendar day or month.
type period struct {
	end      int64 // unix ms: when it resets (0: not started)
	usd      float64
	tokens   int64
	requests int64
	unpriced int64 // requests with tokens on a model without a known price
}

// Warned bits: which budget warnings went out this period.
const (
	warnDayUSD uint8 = 1 << iota
	warnDayTokens
	warnMonthUSD
	warnMonthTokens
)

// meter is one key's live counters. It is kept by key name, so reloads of
// the key list (and a config key whose secret changed) keep the counts.
type meter struct {
	mu       sync.Mutex
	req, tok window
	day, mon period
	warned   uint8
}

// roll starts new periods that are due.
func (m *meter) roll(now time.Time) {
	ms := now.UnixMilli()
	m.req.roll(ms)
	m.tok.roll(ms)
	if ms >= m.day.end {
		m.day = period{end: dayEnd(now).UnixMilli()}
		m.warned &^= warnDayUSD | warnDayTokens
	}
	if ms >= m.mon.end {
		m.mon = period{end: monthEnd(now).UnixMilli()}
		m.warned &^= warnMonthUSD | warnMonthTokens
	}
}

// DayStart and MonthStart are the starts of the budget periods holding now
// (local time, like the tray's "today").
func DayStart(now time.Time) time.Time {
	y, mo, d := now.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, now.Location())
}

// MonthStart is the first of now's month, local midnight.
func MonthStart(now time.Time) time.Time {
	y, mo, _ := now.Date()
	return time.Date(y, mo, 1, 0, 0, 0, 0, now.Location())
}

func dayEnd(now time.Time) time.Time   { return DayStart(now).AddDate(0, 0, 1) }
func monthEnd(now time.Time) time.Time { return MonthStart(now).AddDate(0, 1, 0) }

// admit checks a request of key name against c and counts it. It holds
// the meter's lock for a few comparisons and allocates only to refuse.
func (m *meter) admit(name string, c *compiled, now time.Time) *ir.Error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	ms := now.UnixMilli()
	if c.RPM > 0 && m.req.estimate(ms)+1 > float64(c.RPM) {
		return rateRefusal(fmt.Sprintf("key %q is over its limit of %d requests per minute", name, c.RPM),
			m.req.wait(ms, 1, float64(c.RPM)), "requests")
	}
	if c.TPM > 0 && m.tok.estimate(ms) >= float64(c.TPM) {
		return rateRefusal(fmt.Sprintf("key %q used its %d tokens per minute", name, c.TPM),
			m.tok.wait(ms, 1, float64(c.TPM)), "tokens")
	}
	switch {
	case c.DailyUSD > 0 && m.day.usd >= c.DailyUSD:
		return budgetRefusal(name, "daily", usd(c.DailyUSD), usd(m.day.usd), m.day.end, ms)
	case c.DailyTokens > 0 && m.day.tokens >= c.DailyTokens:
		return budgetRefusal(name, "daily token", tok(c.DailyTokens), tok(m.day.tokens), m.day.end, ms)
	case c.MonthlyUSD > 0 && m.mon.usd >= c.MonthlyUSD:
		return budgetRefusal(name, "monthly", usd(c.MonthlyUSD), usd(m.mon.usd), m.mon.end, ms)
	case c.MonthlyTokens > 0 && m.mon.tokens >= c.MonthlyTokens:
		return budgetRefusal(name, "monthly token", tok(c.MonthlyTokens), tok(m.mon.tokens), m.mon.end, ms)
	}
	m.req.cur++
	return nil
}

func usd(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) }
func tok(v int64) string   { return strconv.FormatInt(v, 10) + " tokens" }

// Error types of policy refusals (ir.Error.Type), for logs and clients.
const (
	TypeRateLimit    = "key_rate_limit"
	TypeBudget       = "key_budget_exceeded"
	TypeModelDenied  = "key_model_not_allowed"
	TypeKeyDisabled  = "key_disabled"
	TypeKeyExpired   = "key_expired"
	retryAfterFloor  = time.Second
	budgetStatusCode = http.StatusTooManyRequests
)

func rateRefusal(msg string, wait time.Duration, what string) *ir.Error {
	wait = max(wait, retryAfterFloor)
	secs := int64(math.Ceil(wait.Seconds()))
	return &ir.Error{Kind: ir.KindRateLimited, Status: http.StatusTooManyRequests, Type: TypeRateLimit,
		RetryAfter: time.Duration(secs) * time.Second,
		Message:    msg + "; retry in " + strconv.FormatInt(secs, 10) + "s (" + what + " limit of this Switchboard key)"}
}

// budgetRefusal is 429 with the quota shape of each dialect (OpenAI's
// insufficient_quota, Anthropic's rate_limit_error, Gemini's
// RESOURCE_EXHAUSTED) and Retry-After until the period resets.
func budgetRefusal(name, what, limit, spent string, end, now int64) *ir.Error {
	reset := time.UnixMilli(end)
	return &ir.Error{Kind: ir.KindQuotaExhausted, Status: budgetStatusCode, Type: TypeBudget,
		RetryAfter: time.Duration(end-now) * time.Millisecond, ResetAt: reset,
		Message: fmt.Sprintf("budget exceeded: key %q has used its %s budget of %s (%s so far); it resets at %s",
			name, what, limit, spent, reset.Format(time.RFC3339))}
}

// Warning says a key crossed WarnAt of one of its budgets.
type Warning struct {
	Key     string  `json:"key"`
	Budget  string  `json:"budget"` // daily | monthly
	Unit    string  `json:"unit"`   // usd | tokens
	Used    float64 `json:"used"`
	Limit   float64 `json:"limit"`
	Percent int     `json:"percent"`
	ResetAt string  `json:"resetAt"` // RFC 3339
}

// debit adds what a finished request used and returns the warnings it
// crossed (at most one per budget and period).
func (m *meter) debit(name string, c *compiled, tokens int64, cost float64, priced bool, now time.Time) []Warning {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	m.tok.cur += tokens
	for _, p := range [2]*period{&m.day, &m.mon} {
		p.requests++
		p.tokens += tokens
		p.usd += cost
		if !priced && tokens > 0 {
			p.unpriced++
		}
	}
	if c == nil {
		return nil
	}
	return m.warnings(name, c)
}

// warnings returns the budgets past WarnAt not warned about yet this
// period, and marks them.
func (m *meter) warnings(name string, c *compiled) []Warning {
	var out []Warning
	check := func(bit uint8, budget, unit string, used, limit float64, p *period) {
		if limit <= 0 || used < WarnAt*limit || m.warned&bit != 0 {
			return
		}
		m.warned |= bit
		out = append(out, Warning{Key: name, Budget: budget, Unit: unit, Used: used, Limit: limit,
			Percent: int(math.Floor(100 * used / limit)), ResetAt: time.UnixMilli(p.end).UTC().Format(time.RFC3339)})
	}
	check(warnDayUSD, "daily", "usd", m.day.usd, c.DailyUSD, &m.day)
	check(warnDayTokens, "daily", "tokens", float64(m.day.tokens), float64(c.DailyTokens), &m.day)
	check(warnMonthUSD, "monthly", "usd", m.mon.usd, c.MonthlyUSD, &m.mon)
	check(warnMonthTokens, "monthly", "tokens", float64(m.mon.tokens), float64(c.MonthlyTokens), &m.mon)
	return out
}

// Spend is what a key used in one period.
type Spend struct {
	USD      float64 `json:"usd"`
	Tokens   int64   `json:"tokens"`
	Requests int64   `json:"requests"`
	// Unpriced counts requests on models without a known price: USD is
	// then a lower bound.
	Unpriced int64  `json:"unpriced"`
	ResetAt  string `json:"resetAt"` // RFC 3339
}

// Usage is a key's spend today and this month (local calendar).
type Usage struct {
	Today Spend `json:"today"`
	Month Spend `json:"month"`
}

func (p period) spend() Spend {
	return Spend{USD: p.usd, Tokens: p.tokens, Requests: p.requests, Unpriced: p.unpriced,
		ResetAt: time.UnixMilli(p.end).UTC().Format(time.RFC3339)}
}

func (m *meter) usage(now time.Time) Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	return Usage{Today: m.day.spend(), Month: m.mon.spend()}
}

// Seed is a key's spend read from the request log at start.
type Seed struct {
	Today, Month Spend
}

// seed replaces the period counts with what the log says and marks the
// budgets already past WarnAt as warned (the warning went out before the
// restart, or the user sees the figures now).
func (m *meter) seed(s Seed, c *compiled, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(now)
	m.day.usd, m.day.tokens, m.day.requests, m.day.unpriced = s.Today.USD, s.Today.Tokens, s.Today.Requests, s.Today.Unpriced
	m.mon.usd, m.mon.tokens, m.mon.requests, m.mon.unpriced = s.Month.USD, s.Month.Tokens, s.Month.Requests, s.Month.Unpriced
	if c != nil {
		m.warnings("", c)
	}
}
