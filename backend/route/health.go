package route

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/ir"
)

// Cooldown parameters. Rate limits without a Retry-After back off
// exponentially with jitter; quota exhaustion rests the whole account until
// the upstream's reset time; an auth failure benches only that account.
const (
	backoffBase      = 1 * time.Second
	backoffCap       = 2 * time.Minute
	serverBase       = 2 * time.Second
	serverCap        = 1 * time.Minute
	quotaBase        = 1 * time.Minute
	quotaCap         = 1 * time.Hour
	authBase         = 5 * time.Minute
	authCap          = 1 * time.Hour
	unsupportedRest  = 1 * time.Hour
	maxProviderReset = 24 * time.Hour // never trust a reset further out than this
	maxLevel         = 10
	transientStrikes = 2
)

// anyModel keys an account-wide state (quota, auth).
const anyModel = "*"

// Reason says why a candidate rests.
type Reason string

const (
	ReasonRateLimited   Reason = "rate_limited"
	ReasonQuota         Reason = "quota_exhausted"
	ReasonAuth          Reason = "auth_failed"
	ReasonServer        Reason = "upstream_error"
	ReasonUnsupported   Reason = "model_not_supported"
	ReasonBreakerOpen   Reason = "breaker_open"
	ReasonSaturated     Reason = "saturated"
	ReasonDisabled      Reason = "disabled"
	ReasonNeedsSignIn   Reason = "needs_sign_in" // a sign-in's refresh token was refused
	ReasonOnlyExhausted Reason = "only_when_exhausted"
)

type coolKey struct{ account, model string }

// Cooldown is one resting (account, model) pair, for display and reset.
type Cooldown struct {
	AccountID string    `json:"accountId"`
	Account   string    `json:"account"`
	Provider  string    `json:"provider"`
	Model     string    `json:"model"` // "*" = the whole account
	Reason    Reason    `json:"reason"`
	Until     time.Time `json:"until"`
	Level     int       `json:"level"`
	Message   string    `json:"message"`
}

// strike counts one account×model's transient failures in a row.
type strike struct {
	n        int
	provider string
}

type coolState struct {
	Cooldown
	level int
	setAt time.Time // a success that started earlier must not clear it
}

// Health holds the live routing state: cooldowns, breakers, limits and
// the statistics strategies read. It is shared by all requests.
type Health struct {
	mu        sync.Mutex
	now       func() time.Time
	rng       *rand.Rand
	cool      map[coolKey]*coolState
	strikes   map[coolKey]strike // consecutive transient failures (timeouts, 5xx, cut streams)
	breakers  map[string]*breaker
	limits    map[string]*limiter
	stats     map[string]*stats // by account id (or provider id for keyless)
	rr        map[string]*rrState
	fill      map[string]string // fill-first: the account (or combo target) serving now, by scope
	listeners []func(Change)
	okAt      map[string]time.Time     // provider id → its last success (the dashboard's "tested" state)
	quota     atomic.Pointer[quotaBox] // live quota windows (nil: cooldowns only)
	pricer    atomic.Pointer[Pricer]   // cost-optimized's prices (nil: the catalog's)
	// cooled is signalled (never blocking) when the cooldowns change, so
	// PersistCooldowns saves them without polling.
	cooled chan struct{}
}

// NewHealth returns empty state; now defaults to time.Now and seed makes
// random strategies reproducible in tests.
func NewHealth(now func() time.Time, seed uint64) *Health {
	if now == nil {
		now = time.Now
	}
	return &Health{now: now, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cool: map[coolKey]*coolState{}, strikes: map[coolKey]strike{}, breakers: map[string]*breaker{}, limits: map[string]*limiter{},
		stats: map[string]*stats{}, rr: map[string]*rrState{}, fill: map[string]string{}, okAt: map[string]time.Time{}, cooled: make(chan struct{}, 1)}
}

// touched notes a change of the cooldowns for the persister.
func (h *Health) touched() {
	select {
	case h.cooled <- struct{}{}:
	default:
	}
}

// ChangeKind names a health transition worth telling the user about.
type ChangeKind string

const (
	ProviderTripped   ChangeKind = "provider_tripped"
	ProviderRecovered ChangeKind = "provider_recovered"
	QuotaExhausted    ChangeKind = "account_quota_exhausted"
	CoolingDown       ChangeKind = "account_cooling_down"
	AuthFailed        ChangeKind = "account_auth_failed"
	ComboUnavailable  ChangeKind = "combo_unavailable"
	// QuotaThreshold: a plan window of an account crossed the warning
	// threshold (once per window period).
	QuotaThreshold ChangeKind = "quota_threshold"
	// QuotaBack: an account that was out of quota has headroom again (its
	// reset passed or a poll showed it); its quota rests were cleared.
	QuotaBack ChangeKind = "quota_back"
)

// Change is a transition, delivered to listeners outside the lock.
type Change struct {
	Kind     ChangeKind `json:"kind"`
	Provider string     `json:"provider"`
	Account  string     `json:"account,omitempty"`
	Model    string     `json:"model,omitempty"`
	Until    time.Time  `json:"until,omitzero"`
	Message  string     `json:"message,omitempty"`
	// Window and Percent name the quota window of a quota change ("5-hour",
	// 92) when one is known.
	Window  string `json:"window,omitempty"`
	Percent int    `json:"percent,omitempty"`
}

// OnChange registers a listener (the event bus).
func (h *Health) OnChange(f func(Change)) {
	h.mu.Lock()
	h.listeners = append(h.listeners, f)
	h.mu.Unlock()
}

func (h *Health) emit(cs []Change) {
	if len(cs) == 0 {
		return
	}
	h.mu.Lock()
	ls := append([]func(Change){}, h.listeners...)
	h.mu.Unlock()
	for _, c := range cs {
		for _, l := range ls {
			l(c)
		}
	}
}

func accountKey(c Candidate) string {
	if c.Account != nil {
		return c.Account.ID
	}
	return "provider:" + c.Provider.Entry.ID
}

// restingUntil reports whether c may not be used now, and until when.
func (h *Health) restingUntil(c Candidate, now time.Time) (Reason, time.Time, bool) {
	ak := accountKey(c)
	for _, k := range [2]coolKey{{ak, anyModel}, {ak, c.Model}} {
		if st, ok := h.cool[k]; ok {
			if now.Before(st.Until) {
				return st.Reason, st.Until, true
			}
		}
	}
	return "", time.Time{}, false
}

// jitter spreads d by ±20% so accounts that failed together do not retry
// together.
func (h *Health) jitter(d time.Duration) time.Duration {
	f := 0.8 + 0.4*h.rng.Float64()
	return time.Duration(float64(d) * f)
}

func backoff(base, limit time.Duration, level int) time.Duration {
	d := base << min(level, maxLevel)
	if d > limit || d <= 0 {
		return limit
	}
	return d
}

// ReportFailure records a failed attempt that began at started and returns
// the cooldown set (zero when none). The error's Retry-After or reset time
// wins over backoff. A failure of an attempt that began before the account
// was benched is the same incident: it never escalates the back-off.
func (h *Health) ReportFailure(c Candidate, e *ir.Error, started time.Time) time.Time {
	now := h.now()
	var changes []Change
	h.mu.Lock()
	until := h.coolLocked(c, e, now, started, &changes)
	h.breakerLocked(c.Provider.Entry.ID, c.Provider.Entry.Local).fail(e, now, &changes, c.Provider.Entry.ID)
	if s := h.statsLocked(c); s != nil {
		s.failures++
	}
	h.mu.Unlock()
	h.emit(changes)
	return until
}

func (h *Health) coolLocked(c Candidate, e *ir.Error, now, started time.Time, changes *[]Change) time.Time {
	ak := accountKey(c)
	key, reason, base, limit := coolKey{ak, c.Model}, ReasonServer, serverBase, serverCap
	kind := CoolingDown
	switch e.Kind {
	case ir.KindRateLimited:
		reason, base, limit = ReasonRateLimited, backoffBase, backoffCap
	case ir.KindQuotaExhausted:
		key, reason, base, limit, kind = coolKey{ak, anyModel}, ReasonQuota, quotaBase, quotaCap, QuotaExhausted
	case ir.KindAuth:
		key, reason, base, limit, kind = coolKey{ak, anyModel}, ReasonAuth, authBase, authCap, AuthFailed
	case ir.KindModelNotSupported:
		reason, base, limit = ReasonUnsupported, unsupportedRest, unsupportedRest
	case ir.KindUpstream5xx, ir.KindTimeout, ir.KindNetwork, ir.KindStreamInterrupted:
		// One transient failure is noise (the request already moved on);
		// a second in a row rests the account, growing from there.
		sk := h.strikes[key]
		sk.n++
		sk.provider = c.Provider.Entry.ID
		if h.strikes[key] = sk; sk.n < transientStrikes && e.RetryAfter == 0 {
			return time.Time{}
		}
	default:
		return time.Time{} // request-scoped: no cooldown
	}
	st := h.cool[key]
	switch {
	case st == nil:
		st = &coolState{}
		h.cool[key] = st
	case st.setAt.After(started): // already benched while this attempt ran
		if e.RetryAfter > 0 && now.Add(e.RetryAfter).After(st.Until) {
			st.Until = now.Add(min(e.RetryAfter, maxProviderReset))
			h.touched()
		}
		return st.Until
	case now.Before(st.Until.Add(st.Until.Sub(st.setAt))):
		st.level++ // failing again soon after resting: back off further
	default:
		st.level = 0 // an old incident: start over
	}
	var until time.Time
	switch {
	case !e.ResetAt.IsZero() && e.ResetAt.After(now):
		until = minTime(e.ResetAt, now.Add(maxProviderReset))
	case e.RetryAfter > 0:
		until = now.Add(min(e.RetryAfter, maxProviderReset))
	default:
		until = now.Add(h.jitter(backoff(base, limit, st.level)))
	}
	if until.Before(st.Until) { // never shorten a rest already promised
		until = st.Until
	}
	st.setAt = now
	st.Cooldown = Cooldown{AccountID: ak, Provider: c.Provider.Entry.ID, Model: key.model, Reason: reason,
		Until: until, Level: st.level, Message: e.Message}
	if c.Account != nil {
		st.Account = c.Account.Name
	}
	*changes = append(*changes, Change{Kind: kind, Provider: c.Provider.Entry.ID, Account: st.Account, Model: key.model,
		Until: until, Message: e.Message})
	h.touched()
	return until
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ReportSuccess clears the candidate's cooldowns and feeds the statistics.
// started is when the successful attempt began: a cooldown set after that
// (another request's 429 while this one was streaming) stays.
func (h *Health) ReportSuccess(c Candidate, started time.Time, latency time.Duration) {
	now := h.now()
	var changes []Change
	h.mu.Lock()
	ak := accountKey(c)
	for _, k := range [2]coolKey{{ak, c.Model}, {ak, anyModel}} {
		if st, ok := h.cool[k]; ok && !st.setAt.After(started) {
			delete(h.cool, k)
			h.touched()
		}
		delete(h.strikes, k)
	}
	h.breakerLocked(c.Provider.Entry.ID, c.Provider.Entry.Local).succeed(now, &changes, c.Provider.Entry.ID)
	h.okAt[c.Provider.Entry.ID] = now
	if s := h.statsLocked(c); s != nil {
		s.observe(latency)
	}
	h.mu.Unlock()
	h.emit(changes)
}

// LastSuccess is when a request to the provider last succeeded since
// start (zero: none yet).
func (h *Health) LastSuccess(providerID string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.okAt[providerID]
}

// Cooldowns lists what is resting now.
func (h *Health) Cooldowns() []Cooldown {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Cooldown
	for k, st := range h.cool {
		if now.Before(st.Until) {
			out = append(out, st.Cooldown)
		} else {
			delete(h.cool, k) // expired: keep the map bounded
		}
	}
	return out
}

// Reset clears cooldowns and breakers: everything (provider == ""), one
// provider, or one account.
func (h *Health) Reset(provider, accountID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	// Strikes too: a reset means the next failure starts the count afresh,
	// even for an account that is not resting yet.
	for k, sk := range h.strikes {
		if (provider == "" || sk.provider == provider) && (accountID == "" || k.account == accountID) {
			delete(h.strikes, k)
		}
	}
	for k, st := range h.cool {
		if (provider == "" || st.Provider == provider) && (accountID == "" || k.account == accountID) {
			delete(h.cool, k)
			delete(h.strikes, k)
			h.touched()
			n++
		}
	}
	for id, b := range h.breakers {
		if accountID == "" && (provider == "" || id == provider) && b.state != BreakerClosed {
			b.reset()
			n++
		}
	}
	return n
}

// Restore loads persisted cooldowns (quota resets survive a restart).
func (h *Health) Restore(cs []Cooldown) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cs {
		if now.Before(c.Until) && c.Until.Sub(now) <= maxProviderReset {
			h.cool[coolKey{c.AccountID, c.Model}] = &coolState{Cooldown: c, level: c.Level}
		}
	}
}
