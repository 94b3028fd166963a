package route

import (
	"context"
	"fmt"
	"time"

	"switchboard/backend/ir"
)

// Combo is a named, ordered list of targets clients use as a model name.
type Combo struct {
	Name     string        `json:"name"`
	Strategy Strategy      `json:"strategy"`
	Sticky   int           `json:"sticky"`
	Budget   time.Duration `json:"budget"`
	Targets  []ComboTarget `json:"targets"`
}

// ComboTarget is one step: a model (prefix/model, alias or another combo),
// optionally pinned to one account.
type ComboTarget struct {
	Model           string `json:"model"`
	Account         string `json:"account,omitempty"`
	Weight          int    `json:"weight,omitempty"`
	OnlyIfExhausted bool   `json:"onlyWhenExhausted,omitempty"`
}

// step is one target of a plan with its candidates.
type step struct {
	label           string
	cands           []Candidate
	onlyIfExhausted bool
	// fillKey is set when the accounts are ordered fill-first: the scope
	// whose serving account a success updates.
	fillKey string
	// fills are the fill-first combos this step is a target of: a success
	// makes it the target they stay on.
	fills []fillMark
}

// fillMark names a fill-first scope and the identity to remember in it.
type fillMark struct{ key, id string }

// Note records what the router did with one candidate, for the log.
type Note struct {
	Target string `json:"target"`
	Result string `json:"result"` // ok | error kind | skipped:<reason>
	Status int    `json:"status,omitempty"`
	Until  string `json:"until,omitempty"`
	Error  string `json:"error,omitempty"`
	// Detail says more about a skip: the quota window that is used up.
	Detail string `json:"detail,omitempty"`
	// AtMS is when the candidate was tried or skipped, in ms since the
	// plan began; MS how long a tried one took (to its last byte).
	AtMS int64 `json:"atMs,omitempty"`
	MS   int64 `json:"ms,omitempty"`
}

// Plan walks a request's candidates in order, skipping what rests, and
// decides after each failure what comes next. One Plan per request.
type Plan struct {
	h        *Health
	combo    string
	steps    []step
	si, ci   int
	deadline time.Time
	budget   time.Duration

	Notes     []Note
	began     time.Time   // when the plan was made (Note.AtMS)
	earliest  time.Time   // soonest moment a skipped candidate frees up
	saturated []Candidate // at their limits: worth a bounded wait
	exhausted bool        // every candidate so far rested or failed for quota
	skipStep  bool
	last      *ir.Error
	signIn    *ir.Error // what to tell the user when only signed-out accounts were skipped
}

// Plan builds the plan for a model string: a combo, or what Resolve finds.
func (s *Snapshot) Plan(h *Health, model string) (*Plan, error) {
	p := &Plan{h: h, exhausted: true, began: h.now()}
	if cb, ok := s.combos[model]; ok {
		p.combo = cb.Name
		if cb.Budget > 0 {
			p.budget = cb.Budget
			p.deadline = h.now().Add(cb.Budget)
		}
		steps, err := s.comboSteps(h, cb, 0)
		if err != nil {
			return nil, err
		}
		p.steps = steps
		return p, nil
	}
	cands, err := s.Resolve(model)
	if err != nil {
		return nil, err
	}
	p.steps = groupSteps(cands)
	h.mu.Lock()
	for i := range p.steps {
		p.steps[i].cands = h.orderAccountsLocked(nil, &p.steps[i])
	}
	h.mu.Unlock()
	return p, nil
}

// groupSteps turns a flat candidate list into one step per provider/model.
func groupSteps(cands []Candidate) []step {
	var out []step
	for _, c := range cands {
		label := c.Provider.Entry.ID + "/" + c.Model
		if n := len(out); n > 0 && out[n-1].label == label {
			out[n-1].cands = append(out[n-1].cands, c)
			continue
		}
		out = append(out, step{label: label, cands: []Candidate{c}})
	}
	return out
}

func (s *Snapshot) comboSteps(h *Health, cb *Combo, depth int) ([]step, error) {
	if depth > maxAliasDepth {
		return nil, ir.Errorf(ir.KindBadRequest, "combo %q nests more than %d deep (or loops)", cb.Name, maxAliasDepth)
	}
	type built struct {
		steps []step
		it    item
	}
	var all []built
	for ti, t := range cb.Targets {
		var steps []step
		if inner, ok := s.combos[t.Model]; ok {
			st, err := s.comboSteps(h, inner, depth+1)
			if err != nil {
				return nil, err
			}
			steps = st
		} else {
			cands, err := s.Resolve(t.Model)
			if err != nil {
				continue // an unroutable target is skipped, the others still serve
			}
			if t.Account != "" {
				cands = pinAccount(cands, t.Account)
			}
			steps = groupSteps(cands)
		}
		var id string
		if cb.Strategy == FillFirst {
			id = targetID(ti, t)
		}
		for i := range steps {
			steps[i].onlyIfExhausted = steps[i].onlyIfExhausted || t.OnlyIfExhausted
			if cb.Strategy == FillFirst {
				steps[i].fills = append(steps[i].fills, fillMark{"combo:" + cb.Name, id})
			}
		}
		if len(steps) > 0 {
			it := h.targetItem(steps, t.Weight)
			it.id = id
			all = append(all, built{steps, it})
		}
	}
	if len(all) == 0 {
		return nil, &ir.Error{Kind: ir.KindNotFound, Message: fmt.Sprintf("combo %q has no routable target", cb.Name)}
	}
	items := make([]item, len(all))
	for i := range all {
		items[i] = all[i].it
	}
	h.mu.Lock()
	perm := h.order(cb.Strategy, "combo:"+cb.Name, cb.Sticky, items)
	var out []step
	for _, i := range perm {
		for _, st := range all[i].steps {
			st.cands = h.orderAccountsLocked(cb, &st)
			out = append(out, st)
		}
	}
	h.mu.Unlock()
	return out, nil
}

// targetID identifies a combo target across plans (fill-first remembers
// it): its position and what it names.
func targetID(i int, t ComboTarget) string {
	return fmt.Sprintf("%d:%s@%s", i, t.Model, t.Account)
}

func pinAccount(cands []Candidate, account string) []Candidate {
	var out []Candidate
	for _, c := range cands {
		if c.Account != nil && (c.Account.Name == account || c.Account.ID == account) {
			out = append(out, c)
		}
	}
	return out
}

// targetItem summarises a target for the strategies.
func (h *Health) targetItem(steps []step, weight int) item {
	h.mu.Lock()
	defer h.mu.Unlock()
	it := item{weight: weight, score: -1, reserve: true}
	now := h.now()
	for _, st := range steps {
		for _, c := range st.cands {
			ci := h.itemLocked(c, now)
			it.reserve = it.reserve && ci.reserve // a target is in reserve when all its accounts are
			if it.score < 0 || ci.score < it.score {
				it.score = ci.score
			}
			it.uses += ci.uses
			it.headroom = max(it.headroom, ci.headroom)
			if ci.priced && (!it.priced || ci.price < it.price) { // the cheapest of its accounts
				it.price, it.priced = ci.price, true
			}
		}
	}
	return it
}

func (h *Health) itemLocked(c Candidate, now time.Time) item {
	s := h.statsLocked(c)
	it := item{score: s.score(), uses: s.uses, headroom: 1}
	it.price, it.priced = h.price(c)
	if _, _, resting := h.restingUntil(c, now); resting {
		it.headroom = 0
		return it
	}
	if l := h.limits[accountKey(c)]; l != nil && l.rpm > 0 {
		it.headroom = 1 - float64(len(l.window))/float64(l.rpm)
	}
	if q := h.quotaView(); q != nil {
		st := q.Standing(accountKey(c), c.Model, now)
		switch {
		case st.Exhausted():
			it.headroom = 0
		case st.Headroom < it.headroom:
			it.headroom = st.Headroom
		}
		it.reserve = st.Reserve
	}
	return it
}

// orderAccountsLocked orders a step's accounts: by the provider's account
// strategy when it has one, else inside a combo (cb) by the combo's, else
// fill-first. The rotation state is the provider's, so direct requests and
// combos share one round-robin over its accounts. Whatever the strategy,
// accounts below the quota reserve go behind the others.
func (h *Health) orderAccountsLocked(cb *Combo, st *step) []Candidate {
	if len(st.cands) < 2 {
		return st.cands
	}
	s, sticky, key := st.cands[0].Provider.AccountStrategy, 0, "accounts:"+st.label
	if s == "" && cb != nil {
		s, sticky, key = cb.Strategy, cb.Sticky, "accounts:"+cb.Name+":"+st.label
	}
	if s == "" {
		s = FillFirst
	}
	now := h.now()
	switch s {
	case Priority:
		return h.reserveLast(st.cands, now) // declared order
	case FillFirst:
		st.fillKey = key
		return h.reserveLast(h.fillRotate(key, st.cands), now)
	}
	items := make([]item, len(st.cands))
	for i, c := range st.cands {
		items[i] = h.itemLocked(c, now)
	}
	perm := h.order(s, key, sticky, items)
	out := make([]Candidate, len(perm))
	for i, j := range perm {
		out[i] = st.cands[j]
	}
	return out
}

// fillRotate starts the accounts at the one fill-first is staying on in
// scope key (priority order until one has served), the rest following in
// turn: when it can no longer serve, the next one takes over and stays.
func (h *Health) fillRotate(key string, cands []Candidate) []Candidate {
	cur, ok := h.fill[key]
	if !ok {
		return cands
	}
	for i, c := range cands {
		if accountKey(c) == cur {
			if i == 0 {
				return cands
			}
			out := make([]Candidate, 0, len(cands))
			return append(append(out, cands[i:]...), cands[:i]...)
		}
	}
	return cands
}

// Next returns the next candidate to try with its lease, skipping what
// rests (cooldown, open breaker, disabled, saturated), or false when
// nothing is left. When only saturated candidates remain it waits briefly
// (bounded queue) for one of them.
func (p *Plan) Next(ctx context.Context) (Candidate, *Lease, bool) {
	for p.si < len(p.steps) {
		if p.budgetSpent() {
			return Candidate{}, nil, false
		}
		st := &p.steps[p.si]
		if p.skipStep || p.ci >= len(st.cands) {
			p.si, p.ci, p.skipStep = p.si+1, 0, false
			continue
		}
		if p.ci == 0 && st.onlyIfExhausted && !p.exhausted {
			p.note(st.label, "skipped:"+string(ReasonOnlyExhausted), time.Time{})
			p.skipStep = true
			continue
		}
		c := st.cands[p.ci]
		p.ci++
		if lease, ok := p.admit(c); ok {
			return c, lease, true
		}
	}
	return p.waitSaturated(ctx)
}

func (p *Plan) budgetSpent() bool {
	if p.deadline.IsZero() || p.h.now().Before(p.deadline) {
		return false
	}
	if p.last == nil || p.last.Kind != ir.KindTimeout {
		p.last = &ir.Error{Kind: ir.KindTimeout, Status: 504,
			Message: fmt.Sprintf("combo %q spent its %s time budget without an answer", p.combo, p.budget)}
	}
	return true
}

// admit checks one candidate against the live state.
func (p *Plan) admit(c Candidate) (*Lease, bool) {
	now := p.h.now()
	if c.Account != nil && !c.Account.Usable() {
		reason := c.Account.skipReason()
		p.note(c.Label(), "skipped:"+string(reason), time.Time{})
		if reason == ReasonNeedsSignIn && p.signIn == nil {
			// The account was usable when the plan was made: a refresh
			// refused in the meantime (the scheduler's, at start-up).
			p.signIn = c.Provider.UnusableError()
		}
		p.exhausted = false
		return nil, false
	}
	if st := p.h.standing(c, now); st.Exhausted() {
		// Known used up: skipped without a request until its reset.
		p.Notes = append(p.Notes, Note{Target: c.Label(), Result: "skipped:" + string(ReasonQuota),
			Until: st.Until.UTC().Format(time.RFC3339), Detail: st.Why, AtMS: p.sinceBegan(now)})
		p.soonest(st.Until)
		return nil, false
	}
	p.h.mu.Lock()
	reason, until, resting := p.h.restingUntil(c, now)
	p.h.mu.Unlock()
	if resting {
		p.note(c.Label(), "skipped:"+string(reason), until)
		p.soonest(until)
		if reason != ReasonQuota {
			p.exhausted = false
		}
		return nil, false
	}
	p.h.mu.Lock()
	ok, until := p.h.breakerLocked(c.Provider.Entry.ID, c.Provider.Entry.Local).admit(now)
	p.h.mu.Unlock()
	if !ok {
		p.note(c.Label(), "skipped:"+string(ReasonBreakerOpen), until)
		p.soonest(until)
		p.exhausted = false
		return nil, false
	}
	lease, retryAt, ok := p.h.tryAcquire(c)
	if !ok {
		p.note(c.Label(), "skipped:"+string(ReasonSaturated), retryAt)
		p.soonest(retryAt)
		p.saturated = append(p.saturated, c)
		p.exhausted = false
		return nil, false
	}
	return lease, true
}

func (p *Plan) waitSaturated(ctx context.Context) (Candidate, *Lease, bool) {
	for len(p.saturated) > 0 {
		c := p.saturated[0]
		p.saturated = p.saturated[1:]
		if p.budgetSpent() {
			return Candidate{}, nil, false
		}
		if lease, ok := p.h.acquireWait(ctx, c); ok {
			return c, lease, true
		}
	}
	return Candidate{}, nil, false
}

func (p *Plan) soonest(t time.Time) {
	if !t.IsZero() && (p.earliest.IsZero() || t.Before(p.earliest)) {
		p.earliest = t
	}
}

// sinceBegan is t in ms since the plan began (at least 0).
func (p *Plan) sinceBegan(t time.Time) int64 { return max(t.Sub(p.began).Milliseconds(), 0) }

// timed sets a tried candidate's start and duration on n.
func (p *Plan) timed(n Note, started time.Time) Note {
	n.AtMS = p.sinceBegan(started)
	n.MS = max(p.h.now().Sub(started).Milliseconds(), 0)
	return n
}

func (p *Plan) note(target, result string, until time.Time) {
	n := Note{Target: target, Result: result, AtMS: p.sinceBegan(p.h.now())}
	if !until.IsZero() {
		n.Until = until.UTC().Format(time.RFC3339)
	}
	p.Notes = append(p.Notes, n)
}

// Failed records a failed attempt that began at started and reports
// whether to go on.
func (p *Plan) Failed(c Candidate, e *ir.Error, started time.Time) bool {
	until := p.h.ReportFailure(c, e, started)
	if q := p.h.quotaView(); q != nil {
		q.ObserveFailure(c, e, until)
	}
	p.soonest(until)
	p.Notes = append(p.Notes, p.timed(Note{Target: c.Label(), Result: e.Kind.String(), Status: e.HTTPStatus(), Error: e.Message}, started))
	p.last = e
	if e.Kind != ir.KindQuotaExhausted {
		p.exhausted = false
	}
	switch Decide(e) {
	case Stop:
		return false
	case NextTarget:
		p.skipStep = true
	}
	return true
}

// Skip records that c cannot serve this particular request (the request
// needs what its dialect lacks) and moves to the next target. It is not
// the upstream's fault: nothing is reported to the health state.
func (p *Plan) Skip(c Candidate, e *ir.Error) {
	p.Notes = append(p.Notes, Note{Target: c.Label(), Result: "unfit", Status: e.HTTPStatus(), Error: e.Message, AtMS: p.sinceBegan(p.h.now())})
	p.last = e
	p.skipStep = true
}

// Succeeded records a success of an attempt that started at started.
func (p *Plan) Succeeded(c Candidate, started time.Time, latency time.Duration) {
	p.h.ReportSuccess(c, started, latency)
	p.stay(c)
	p.Notes = append(p.Notes, p.timed(Note{Target: c.Label(), Result: "ok"}, started))
}

// Abandoned records an attempt the client (or a shutdown) ended before its
// answer was complete: not the upstream's fault, so the health state does
// not learn from it; the log tells what happened.
func (p *Plan) Abandoned(c Candidate, e *ir.Error, started time.Time) {
	n := Note{Target: c.Label(), Result: "canceled"}
	if e != nil {
		n.Error = e.Message
	}
	p.Notes = append(p.Notes, p.timed(n, started))
}

// stay makes c the account (and its step the combo target) fill-first
// stays on from now on.
func (p *Plan) stay(c Candidate) {
	for i := range p.steps {
		st := &p.steps[i]
		if st.fillKey == "" && len(st.fills) == 0 {
			continue
		}
		for _, sc := range st.cands {
			if sc.Provider != c.Provider || sc.Account != c.Account || sc.Model != c.Model {
				continue
			}
			p.h.mu.Lock()
			if st.fillKey != "" {
				p.h.fill[st.fillKey] = accountKey(c)
			}
			for _, f := range st.fills {
				p.h.fill[f.key] = f.id
			}
			p.h.mu.Unlock()
			return
		}
	}
}

// Err is what to tell the client when Next ran out: the last upstream
// error, or — when everything rested — a 429 with the earliest time
// anything frees up, so clients back off instead of hammering.
func (p *Plan) Err() *ir.Error {
	if p.last != nil && p.last.Kind == ir.KindTimeout && !p.deadline.IsZero() {
		return p.last
	}
	rested := len(p.Notes) > 0
	for _, n := range p.Notes {
		if len(n.Result) < 8 || n.Result[:8] != "skipped:" {
			rested = false
		}
	}
	if p.signIn != nil && p.onlySignedOut() {
		return p.signIn // "sign in again" says what to do; a 429 would only make the client wait
	}
	if rested || p.last == nil {
		e := &ir.Error{Kind: ir.KindUnavailable, Message: "every route for this model is cooling down, saturated or disabled"}
		if !p.earliest.IsZero() {
			// A moment already past (a saturated slot we waited on) still
			// deserves a short back-off rather than none.
			d := p.earliest.Sub(p.h.now())
			if d <= 0 {
				d = time.Second
			}
			e.RetryAfter = d
			e.Message += fmt.Sprintf("; retry in %s", d.Round(time.Second))
		}
		if p.combo != "" {
			p.h.emit([]Change{{Kind: ComboUnavailable, Provider: p.combo, Message: e.Message}})
		}
		return e
	}
	return p.last
}

// onlySignedOut reports a plan whose every candidate was skipped because
// its sign-in needs the user.
func (p *Plan) onlySignedOut() bool {
	for _, n := range p.Notes {
		if n.Result != "skipped:"+string(ReasonNeedsSignIn) {
			return false
		}
	}
	return len(p.Notes) > 0
}

// Combo names the combo the plan walks ("" for a direct model).
func (p *Plan) Combo() string { return p.combo }

// Deadline is when a combo's budget runs out (zero: no budget).
func (p *Plan) Deadline() time.Time { return p.deadline }
