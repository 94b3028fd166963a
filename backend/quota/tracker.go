package quota

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// Defaults of the settings the tracker reads.
const (
	// DefaultThresholdPercent: the quota_threshold alert fires when a plan
	// window is this used.
	DefaultThresholdPercent = 90
	// DefaultReservePercent: no reserve unless the user sets one (routing
	// then never prefers one account over another for its headroom alone,
	// except under quota-aware).
	DefaultReservePercent = 0
	// MaxReservePercent bounds the reserve: keeping more than half a plan
	// back is not a reserve.
	MaxReservePercent = 50
)

const (
	// minErrorWindow: a rate-limit 429 whose reset is at least this far out
	// is a plan running out (Claude's 5-hour window answers so), recorded
	// as a window; shorter ones stay cooldowns only.
	minErrorWindow = 5 * time.Minute
	// periodSlack: a reset this much later than the one known starts a new
	// window period (resets computed from "reset after N s" jitter).
	periodSlack = 2 * time.Minute
	// rearmGap: without reset times, a window that drops this far below
	// the threshold has started a new period.
	rearmGap = 0.10
)

// Per-window flags: what was told about its current period.
const (
	flagWarned    uint8 = 1 << iota // quota_threshold sent
	flagAnnounced                   // account_quota_exhausted sent
)

// slot is one window of an account with its alert state.
type slot struct {
	Window
	flags uint8
	out   bool   // used up at the last evaluation
	why   string // set while out: what the plan notes say
}

// account is what the tracker knows of one account.
type account struct {
	id, provider, name string
	slots              []slot
	outPlan            bool         // a plan window was used up at the last evaluation
	superseded         string       // a used-up window a success or poll just dropped
	lastUsed           atomic.Int64 // unix nanos of the last answer through it
	poll               pollState
}

// Options wire a Tracker.
type Options struct {
	Now func() time.Time
	// Health is the routing state whose quota rests a reset or a poll
	// showing headroom clears (nil: none).
	Health *route.Health
	// OnChange receives quota_threshold, account_quota_exhausted and
	// quota_back, outside any lock.
	OnChange func(route.Change)
	Log      *slog.Logger
	// Send and Targets enable polling: Send performs a usage call through
	// the gateway's upstream client, Targets lists the sign-in accounts.
	Send    Sender
	Targets func() []Target
	// Cadence overrides the polling cadence (tests); zero fields keep the
	// defaults.
	Cadence Cadence
}

// Tracker holds every account's windows. It is safe for concurrent use;
// reads on the request path take a read lock and allocate nothing.
type Tracker struct {
	now      func() time.Time
	health   *route.Health
	onChange func(route.Change)
	log      *slog.Logger
	send     Sender
	targets  func() []Target
	cad      Cadence

	mu         sync.RWMutex
	accts      map[string]*account
	reserve    float64            // fraction; 0 = none
	threshold  float64            // fraction
	thresholds map[string]float64 // per account id

	dirty chan struct{} // windows changed: Persist saves them
	wake  chan struct{} // the scheduler recomputes its next wake
	wg    sync.WaitGroup
	steps atomic.Int64 // scheduler wake-ups (tests: none while idle)
}

var _ route.Quota = (*Tracker)(nil)

// New returns an empty tracker.
func New(o Options) *Tracker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	t := &Tracker{now: o.Now, health: o.Health, onChange: o.OnChange, log: o.Log, send: o.Send, targets: o.Targets,
		cad: o.Cadence.withDefaults(), accts: map[string]*account{}, threshold: DefaultThresholdPercent / 100.0,
		reserve: DefaultReservePercent / 100.0, dirty: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	return t
}

// SetReserve sets the reserve in percent (0 turns it off).
func (t *Tracker) SetReserve(percent int) {
	t.mu.Lock()
	t.reserve = float64(min(max(percent, 0), MaxReservePercent)) / 100
	t.mu.Unlock()
}

// Reserve is the reserve in percent.
func (t *Tracker) Reserve() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return int(t.reserve*100 + 0.5)
}

// SetThreshold sets the alert threshold in percent, and per account id
// overrides (nil: none).
func (t *Tracker) SetThreshold(percent int, perAccount map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if percent <= 0 || percent > 100 {
		percent = DefaultThresholdPercent
	}
	t.threshold = float64(percent) / 100
	t.thresholds = map[string]float64{}
	for id, p := range perAccount {
		if p > 0 && p <= 100 {
			t.thresholds[id] = float64(p) / 100
		}
	}
}

func (t *Tracker) thresholdLocked(id string) float64 {
	if f, ok := t.thresholds[id]; ok {
		return f
	}
	return t.threshold
}

func (t *Tracker) changed() {
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

// Wake makes the scheduler look at the sign-ins again (routing changed).
func (t *Tracker) Wake() { t.poke() }

// poke wakes the scheduler.
func (t *Tracker) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Standing implements route.Quota: the tightest live window that limits
// model decides the headroom; a used-up one skips the account until the
// latest reset among the used-up windows.
func (t *Tracker) Standing(id, model string, now time.Time) route.Standing {
	st := route.Standing{Headroom: 1}
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.accts[id]
	if a == nil {
		return st
	}
	for i := range a.slots {
		s := &a.slots[i]
		if !s.applies(model) || !s.live(now) {
			continue
		}
		if s.Used >= 1 {
			if u := s.until(); u.After(st.Until) {
				st.Until, st.Why = u, s.why
			}
			continue
		}
		st.Headroom = min(st.Headroom, 1-s.Used)
	}
	if st.Exhausted() {
		st.Headroom = 0
	}
	st.Reserve = t.reserve > 0 && st.Headroom < t.reserve-1e-9 // 10 of 100 left is not below 10%
	return st
}

// ObserveAnswer implements route.Quota: the answer's rate-limit headers
// update the account's windows, and a success supersedes what earlier
// 429s said. It allocates nothing when the answer has no such headers.
func (t *Tracker) ObserveAnswer(c route.Candidate, h http.Header, started time.Time) {
	now := t.now()
	errWindows := false
	if c.Account != nil {
		errWindows = t.touch(c.Account.ID, now)
	}
	var buf [MaxHeaderWindows]Window
	n := ParseHeaders(h, now, &buf)
	if n == 0 && !errWindows {
		return
	}
	t.apply(route.AccountKey(c), who(c), buf[:n], merge{dropErrorsBefore: started})
}

// ObserveFailure implements route.Quota: a 429/402's headers update the
// windows they name; when none of them explains the refusal, the reset
// the upstream gave is recorded as a window of its own. Short rate limits
// stay cooldowns only.
func (t *Tracker) ObserveFailure(c route.Candidate, e *ir.Error, until time.Time) {
	if e.Kind != ir.KindRateLimited && e.Kind != ir.KindQuotaExhausted {
		return
	}
	now := t.now()
	var buf [MaxHeaderWindows]Window
	n := ParseHeaders(e.Header, now, &buf)
	explained := false
	for _, w := range buf[:n] {
		explained = explained || w.Used >= 1
	}
	told := e.RetryAfter > 0 || !e.ResetAt.IsZero()
	reset := e.ResetAt
	if reset.IsZero() && e.RetryAfter > 0 {
		reset = now.Add(e.RetryAfter)
	}
	if reset.IsZero() || until.After(reset) {
		reset = until
	}
	long := e.Kind == ir.KindQuotaExhausted || reset.Sub(now) >= minErrorWindow
	if !explained && told && long && n < MaxHeaderWindows {
		buf[n] = Window{Name: "limit", Used: 1, ResetAt: reset, Source: SourceError, ObservedAt: now, Plan: true}
		n++
	}
	if n == 0 {
		return
	}
	// A quota error was already announced by routing (its cooldown).
	t.apply(route.AccountKey(c), who(c), buf[:n], merge{announced: e.Kind == ir.KindQuotaExhausted})
}

// ident names an account in events.
type ident struct{ provider, name string }

func who(c route.Candidate) ident {
	id := ident{provider: c.Provider.Entry.ID}
	if c.Account != nil {
		id.name = c.Account.Name
	}
	return id
}

// touch notes an answer through the account (the poll cadence follows
// use; an idle account becoming busy wakes the scheduler) and reports
// whether it has windows a 429 left.
func (t *Tracker) touch(id string, now time.Time) (errWindows bool) {
	t.mu.RLock()
	a := t.accts[id]
	if a == nil {
		t.mu.RUnlock()
		return false
	}
	for i := range a.slots {
		errWindows = errWindows || a.slots[i].Source == SourceError
	}
	polled := a.poll.target != nil
	t.mu.RUnlock()
	prev := a.lastUsed.Swap(now.UnixNano())
	if polled && now.Sub(time.Unix(0, prev)) > t.cad.ActiveFor {
		t.poke()
	}
	return errWindows
}

// merge options.
type merge struct {
	// dropErrorsBefore: windows recorded from 429s before this moment are
	// superseded (a success, a poll).
	dropErrorsBefore time.Time
	// usage: a complete picture from the usage endpoint; its windows it no
	// longer lists are dropped.
	usage bool
	// announced: routing already announced the exhaustion.
	announced bool
}

// apply merges windows into an account (creating it) and acts on what
// changed: alerts, and a quota back clears routing's quota rests.
func (t *Tracker) apply(id string, who ident, ws []Window, m merge) {
	now := t.now()
	t.mu.Lock()
	a := t.accountLocked(id, who)
	changed := a.mergeLocked(ws, m, t.thresholdLocked(id))
	outs := a.outCount()
	cs, back := t.evalLocked(a, now, m.announced)
	resched := len(cs) > 0 || a.outCount() != outs
	t.mu.Unlock()
	if changed || len(cs) > 0 {
		t.changed()
	}
	if resched {
		t.poke() // a reset to wake up for, or one less
	}
	asOf := now
	if !m.dropErrorsBefore.IsZero() {
		asOf = m.dropErrorsBefore // a 429 after the poll (or answer) began stays
	}
	t.act(id, cs, back, asOf)
}

func (t *Tracker) accountLocked(id string, who ident) *account {
	a := t.accts[id]
	if a == nil {
		a = &account{id: id}
		t.accts[id] = a
	}
	if who.provider != "" {
		a.provider = who.provider
	}
	if who.name != "" {
		a.name = who.name
	}
	return a
}

func (a *account) outCount() int {
	n := 0
	for i := range a.slots {
		if a.slots[i].out {
			n++
		}
	}
	return n
}

// mergeLocked folds ws into the account: per (name, model) the newest
// figure wins; a later reset starts a new period (its alerts re-arm).
func (a *account) mergeLocked(ws []Window, m merge, threshold float64) bool {
	changed := false
	if !m.dropErrorsBefore.IsZero() || m.usage {
		before := len(a.slots)
		a.slots = slices.DeleteFunc(a.slots, func(s slot) bool {
			if s.Source == SourceError && !m.dropErrorsBefore.IsZero() && !s.ObservedAt.After(m.dropErrorsBefore) {
				if s.out {
					a.superseded = s.Label() // what quota_back names
				}
				return true
			}
			return m.usage && s.Source == SourceUsage && !slices.ContainsFunc(ws, func(w Window) bool {
				return w.Name == s.Name && w.Model == s.Model
			})
		})
		changed = len(a.slots) != before
	}
	for _, w := range ws {
		i := slices.IndexFunc(a.slots, func(s slot) bool { return s.Name == w.Name && s.Model == w.Model })
		if i < 0 {
			a.slots = append(a.slots, slot{Window: w})
			changed = true
			continue
		}
		s := &a.slots[i]
		if w.ObservedAt.Before(s.ObservedAt) {
			continue // older than what is known
		}
		switch {
		case !s.ResetAt.IsZero() && w.ResetAt.After(s.ResetAt.Add(periodSlack)):
			s.flags = 0 // a new period
		case w.ResetAt.IsZero() && w.Used < threshold-rearmGap:
			s.flags &^= flagWarned
		}
		changed = changed || s.Used != w.Used || !s.ResetAt.Equal(w.ResetAt)
		if w.Span == 0 {
			w.Span = s.Span // one source names the length, another not
		}
		s.Window = w
	}
	return changed
}

// evalLocked compares the account's windows with what was last told and
// returns the alerts due, and whether its plan came back.
func (t *Tracker) evalLocked(a *account, now time.Time, announced bool) (cs []route.Change, back bool) {
	threshold := t.thresholdLocked(a.id)
	outPlan := false
	var backWhy string
	for i := range a.slots {
		s := &a.slots[i]
		out := s.usedUp(now)
		switch {
		case out && !s.out:
			s.why = s.Label() + " used up (" + sourceText(s.Source) + ")"
			if s.Plan && s.flags&flagAnnounced == 0 {
				s.flags |= flagAnnounced | flagWarned
				if !announced {
					cs = append(cs, t.change(a, s, route.QuotaExhausted, s.why))
				}
			}
		case !out && s.out && s.Plan:
			backWhy = s.Label()
		}
		s.out = out
		if !out && s.Plan && s.live(now) && s.Used >= threshold && s.flags&flagWarned == 0 {
			s.flags |= flagWarned
			cs = append(cs, t.change(a, s, route.QuotaThreshold,
				s.Label()+" at "+strconv.Itoa(percent(s.Used))+"%"))
		}
		outPlan = outPlan || (out && s.Plan)
	}
	if backWhy == "" {
		backWhy = a.superseded
	}
	a.superseded = ""
	if a.outPlan && !outPlan {
		back = true
		msg := "headroom again"
		if backWhy != "" {
			msg = backWhy + " has headroom again"
		}
		cs = append(cs, route.Change{Kind: route.QuotaBack, Provider: a.provider, Account: a.name, Message: msg, Window: backWhy})
	}
	a.outPlan = outPlan
	return cs, back
}

func (t *Tracker) change(a *account, s *slot, kind route.ChangeKind, msg string) route.Change {
	c := route.Change{Kind: kind, Provider: a.provider, Account: a.name, Model: s.Model, Message: msg,
		Window: s.Label(), Percent: percent(s.Used)}
	if kind == route.QuotaExhausted {
		c.Until = s.until()
	} else {
		c.Until = s.ResetAt
	}
	return c
}

func percent(used float64) int { return int(used*100 + 0.5) }

func sourceText(s Source) string {
	switch s {
	case SourceUsage:
		return "usage endpoint"
	case SourceHeaders:
		return "rate-limit headers"
	}
	return "upstream answer"
}

// act publishes alerts and, when the plan came back, ends the quota rests
// routing set before now.
func (t *Tracker) act(id string, cs []route.Change, back bool, asOf time.Time) {
	if back && t.health != nil {
		t.health.ClearQuota(id, asOf)
	}
	if t.onChange != nil {
		for _, c := range cs {
			t.onChange(c)
		}
	}
}

// sweep handles the resets that passed: error windows go, alerts re-arm
// for the new period, a plan that came back is announced. It returns the
// next moment a reset needs it (zero: none).
func (t *Tracker) sweep(now time.Time) time.Time {
	type done struct {
		id   string
		cs   []route.Change
		back bool
	}
	var acts []done
	var next time.Time
	t.mu.Lock()
	for id, a := range t.accts {
		before := len(a.slots)
		a.slots = slices.DeleteFunc(a.slots, func(s slot) bool { return s.Source == SourceError && !s.live(now) })
		changed := len(a.slots) != before
		for i := range a.slots {
			s := &a.slots[i]
			if !s.live(now) && s.flags != 0 {
				s.flags = 0 // the period is over
				changed = true
				if a.poll.target != nil {
					a.poll.asap = true // fresh figures for the new period
				}
			}
		}
		cs, back := t.evalLocked(a, now, false)
		if changed || len(cs) > 0 {
			acts = append(acts, done{id, cs, back})
		}
		for i := range a.slots {
			s := &a.slots[i]
			if (s.out || s.flags != 0) && s.live(now) {
				if u := s.until(); next.IsZero() || u.Before(next) {
					next = u
				}
			}
		}
	}
	t.mu.Unlock()
	for _, d := range acts {
		t.changed()
		t.act(d.id, d.cs, d.back, now)
	}
	return next
}

// Forget drops what is known of accounts that no longer exist.
func (t *Tracker) Forget(keep map[string]bool) {
	t.mu.Lock()
	n := len(t.accts)
	for id := range t.accts {
		if !keep[id] {
			delete(t.accts, id)
		}
	}
	gone := n != len(t.accts)
	t.mu.Unlock()
	if gone {
		t.changed()
	}
}

// Target is a sign-in account the tracker polls.
type Target struct {
	AccountID string
	Account   string // its name
	Entry     provider.Entry
	Cred      provider.Credential
}
