package quota

import (
	"time"

	"switchboard/backend/route"
)

// Account states.
const (
	StateOK        = "ok"
	StateReserve   = "reserve"   // headroom below the reserve: routing prefers others
	StateExhausted = "exhausted" // a window is used up: skipped until its reset
)

// WindowView is one window as the Limits page, the Overview and the tray
// show it.
type WindowView struct {
	Name  string `json:"name"`  // stable id within the account ("5h", "primary", "requests")
	Label string `json:"label"` // "5-hour", "Weekly (Opus)", "Requests"
	Model string `json:"model,omitempty"`
	// Percent used, 0 … 100; 0 once the reset passed (Stale).
	Percent   float64   `json:"percent"`
	Remaining *int64    `json:"remaining,omitempty"` // counts, when the vendor gives them
	Limit     *int64    `json:"limit,omitempty"`
	ResetAt   time.Time `json:"resetAt,omitzero"`
	SpanSec   int64     `json:"spanSec,omitempty"` // the window's length, when known
	Source    Source    `json:"source"`            // usage | headers | error
	// ObservedAt is when the figure was read (its freshness).
	ObservedAt time.Time `json:"observedAt"`
	Plan       bool      `json:"plan"` // a plan window, not a per-minute rate limit
	Exhausted  bool      `json:"exhausted"`
	// Stale: the reset passed (or, without one, the figure is old): the
	// window has started afresh and no newer figure came yet.
	Stale bool `json:"stale"`
}

// AccountView is one account's quota.
type AccountView struct {
	AccountID    string       `json:"accountId"`
	Account      string       `json:"account"`
	Provider     string       `json:"provider"`
	ProviderName string       `json:"providerName"`
	State        string       `json:"state"` // ok | reserve | exhausted
	Tightest     *WindowView  `json:"tightest,omitempty"`
	Windows      []WindowView `json:"windows"`
	// ExhaustedUntil is set in state exhausted: when routing uses it again.
	ExhaustedUntil time.Time `json:"exhaustedUntil,omitzero"`
	// Polled: a usage endpoint is asked (sign-ins of Claude, Codex, Copilot);
	// the Limits page's refresh button applies.
	Polled     bool      `json:"polled"`
	LastPollAt time.Time `json:"lastPollAt,omitzero"`
	NextPollAt time.Time `json:"nextPollAt,omitzero"`
	PollError  string    `json:"pollError,omitempty"`
}

// Overview is GET /api/quota.
type Overview struct {
	ReservePercent int `json:"reservePercent"`
	// ReserveFromConfig: the config file sets the reserve (the settings'
	// value does not apply).
	ReserveFromConfig bool          `json:"reserveFromConfig"`
	ThresholdPercent  int           `json:"thresholdPercent"`
	Accounts          []AccountView `json:"accounts"`
}

// ProviderLine is one provider's quota for the tray: the tightest window
// of the account with the most headroom (the one routing turns to), and
// the provider's state: exhausted when every account is used up, reserve
// when every usable one is below the reserve.
type ProviderLine struct {
	Provider     string      `json:"provider"`
	ProviderName string      `json:"providerName"`
	Account      string      `json:"account"` // whose window it is
	State        string      `json:"state"`   // ok | reserve | exhausted
	Window       *WindowView `json:"window,omitempty"`
	// ExhaustedUntil: in state exhausted, when the first account is back.
	ExhaustedUntil time.Time `json:"exhaustedUntil,omitzero"`
}

func (t *Tracker) viewLocked(a *account, now time.Time) []WindowView {
	out := make([]WindowView, 0, len(a.slots))
	for i := range a.slots {
		s := &a.slots[i]
		v := WindowView{Name: s.Name, Label: s.Label(), Model: s.Model, Percent: float64(percent(s.Used)),
			ResetAt: s.ResetAt, SpanSec: int64(s.Span / time.Second), Source: s.Source, ObservedAt: s.ObservedAt,
			Plan: s.Plan, Exhausted: s.usedUp(now), Stale: !s.live(now)}
		if s.Limit > 0 {
			rem, lim := s.Remaining, s.Limit
			v.Remaining, v.Limit = &rem, &lim
		}
		if v.Stale {
			v.Percent = 0
			if v.Limit != nil {
				*v.Remaining = *v.Limit
			}
		}
		out = append(out, v)
	}
	return out
}

// tightest is the live window closest to used up (a plan window wins a tie).
func tightest(ws []WindowView) *WindowView {
	var best *WindowView
	for i := range ws {
		w := &ws[i]
		if w.Stale {
			continue
		}
		if best == nil || w.Percent > best.Percent || (w.Percent == best.Percent && w.Plan && !best.Plan) {
			best = w
		}
	}
	if best == nil {
		return nil
	}
	cp := *best
	return &cp
}

// Account returns one account's view (ok is false when nothing is known
// of it).
func (t *Tracker) Account(id string) (AccountView, bool) {
	now := t.now()
	t.mu.RLock()
	a := t.accts[id]
	t.mu.RUnlock()
	if a == nil {
		return AccountView{AccountID: id, State: StateOK, Windows: []WindowView{}}, false
	}
	return t.accountView(a, now), true
}

func (t *Tracker) accountView(a *account, now time.Time) AccountView {
	st := t.Standing(a.id, "", now)
	t.mu.RLock()
	defer t.mu.RUnlock()
	v := AccountView{AccountID: a.id, Account: a.name, Provider: a.provider, State: StateOK, Windows: t.viewLocked(a, now)}
	v.Tightest = tightest(v.Windows)
	switch {
	case st.Exhausted():
		v.State, v.ExhaustedUntil = StateExhausted, st.Until
	case st.Reserve:
		v.State = StateReserve
	}
	if a.poll.target != nil {
		v.Polled, v.LastPollAt, v.PollError = true, a.poll.last, a.poll.err
		if a.poll.running == nil {
			v.NextPollAt = t.dueLocked(a, now)
		}
	}
	return v
}

// Overview lists every account of the routing snapshot in routing order
// (and keyless providers whose answers carried rate-limit headers).
func (t *Tracker) Overview(snap *route.Snapshot) Overview {
	now := t.now()
	t.mu.RLock()
	o := Overview{ReservePercent: int(t.reserve*100 + 0.5), ThresholdPercent: int(t.threshold*100 + 0.5), Accounts: []AccountView{}}
	t.mu.RUnlock()
	for _, p := range snap.Providers() {
		add := func(id, name string) {
			t.mu.RLock()
			a := t.accts[id]
			t.mu.RUnlock()
			var v AccountView
			if a != nil {
				v = t.accountView(a, now)
			} else {
				v = AccountView{AccountID: id, State: StateOK, Windows: []WindowView{}}
			}
			v.Account, v.Provider, v.ProviderName = name, p.Entry.ID, p.Entry.Name
			o.Accounts = append(o.Accounts, v)
		}
		if len(p.Accounts) == 0 {
			id := route.AccountKey(route.Candidate{Provider: p})
			t.mu.RLock()
			known := t.accts[id] != nil
			t.mu.RUnlock()
			if known {
				add(id, "")
			}
			continue
		}
		for _, a := range p.Accounts {
			if !a.Disabled {
				add(a.ID, a.Name)
			}
		}
	}
	return o
}

// ProviderLines is each provider's quota line for the tray, in routing
// order; providers nothing is known of are left out.
func (t *Tracker) ProviderLines(snap *route.Snapshot) []ProviderLine {
	o := t.Overview(snap)
	var out []ProviderLine
	idx := map[string]int{}
	for _, a := range o.Accounts {
		if len(a.Windows) == 0 {
			continue
		}
		i, ok := idx[a.Provider]
		if !ok {
			idx[a.Provider] = len(out)
			out = append(out, lineOf(a))
			continue
		}
		l := &out[i]
		switch {
		case a.State == StateExhausted:
			if l.State == StateExhausted && a.ExhaustedUntil.Before(l.ExhaustedUntil) {
				*l = lineOf(a) // all out: the one back first
			}
		case l.State == StateExhausted || rank(a) < rankLine(l):
			*l = lineOf(a)
		}
	}
	return out
}

func lineOf(a AccountView) ProviderLine {
	return ProviderLine{Provider: a.Provider, ProviderName: a.ProviderName, Account: a.Account, State: a.State,
		Window: a.Tightest, ExhaustedUntil: a.ExhaustedUntil}
}

// rank orders usable accounts: out of reserve first, then the least used.
func rank(a AccountView) float64 { return rankOf(a.State, a.Tightest) }

func rankLine(l *ProviderLine) float64 { return rankOf(l.State, l.Window) }

func rankOf(state string, w *WindowView) float64 {
	r := 0.0
	if w != nil {
		r = w.Percent
	}
	if state == StateReserve {
		r += 1000
	}
	return r
}
