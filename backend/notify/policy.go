package notify

import (
	"sort"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/route"
)

// Policy decides which events become notifications, so a flapping provider
// cannot cause a storm:
//
//   - at most one alert per (kind, provider) per Prefs.Interval;
//   - the recovery that follows a trip the user was told about is always
//     shown, once; other recoveries obey the interval like any alert;
//   - a trip suppressed by the interval is remembered, and if the provider
//     has not recovered by the time the interval allows another alert, a
//     single "still failing" reminder is due (see Due), so a provider that
//     flapped and then stayed down is not silently down.
//
// A Policy is not safe for concurrent use; the Service owns one.
type Policy struct {
	last      map[policyKey]time.Time
	tripShown map[string]bool         // provider: a trip alert was shown, no recovery since
	pending   map[string]route.Change // provider: a suppressed trip, not recovered yet
}

type policyKey struct {
	kind     events.Kind
	provider string
}

// NewPolicy returns an empty policy.
func NewPolicy() *Policy {
	return &Policy{last: map[policyKey]time.Time{}, tripShown: map[string]bool{}, pending: map[string]route.Change{}}
}

// Allow decides whether an event of kind about c becomes a notification
// at now, and records the decision.
func (p *Policy) Allow(kind events.Kind, c route.Change, prefs Prefs, now time.Time) bool {
	if kind == KindRecovered {
		delete(p.pending, c.Provider)
		shownTrip := p.tripShown[c.Provider]
		delete(p.tripShown, c.Provider)
		if !prefs.Wants(kind) {
			return false
		}
		if shownTrip {
			p.last[policyKey{kind, c.Provider}] = now
			return true
		}
		return p.take(kind, c.Provider, prefs, now)
	}
	if !prefs.Wants(kind) {
		return false
	}
	if kind == KindKeyBudget {
		// Once per budget and period is decided by package keys; the
		// interval bounds a storm per key.
		return p.take(kind, "key:"+c.Account+"/"+c.Window, prefs, now)
	}
	if kind == KindQuotaThreshold || kind == KindQuotaBack {
		// Once per window period is decided upstream (package quota); the
		// interval only bounds a storm, and is per account: two accounts of
		// a provider are two plans.
		return p.take(kind, c.Provider+"/"+c.Account, prefs, now)
	}
	if !p.take(kind, c.Provider, prefs, now) {
		if kind == KindBreakerOpen {
			p.pending[c.Provider] = c
		}
		return false
	}
	if kind == KindBreakerOpen {
		p.tripShown[c.Provider] = true
		delete(p.pending, c.Provider)
	}
	return true
}

// take applies the interval to (kind, provider).
func (p *Policy) take(kind events.Kind, provider string, prefs Prefs, now time.Time) bool {
	k := policyKey{kind, provider}
	if last, ok := p.last[k]; ok && now.Sub(last) < prefs.Interval() {
		return false
	}
	p.last[k] = now
	return true
}

// Due returns the suppressed trips whose interval has passed without a
// recovery (oldest provider id first) and records them as shown.
func (p *Policy) Due(prefs Prefs, now time.Time) []route.Change {
	if len(p.pending) == 0 {
		return nil
	}
	var out []route.Change
	for prov, c := range p.pending {
		if !prefs.Wants(KindBreakerOpen) {
			delete(p.pending, prov)
			continue
		}
		if p.take(KindBreakerOpen, prov, prefs, now) {
			out = append(out, c)
			p.tripShown[prov] = true
			delete(p.pending, prov)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out
}

// Pending reports whether any reminder may become due.
func (p *Policy) Pending() bool { return len(p.pending) > 0 }
