package route

import (
	"time"

	"switchboard/backend/ir"
)

// BreakerState is a provider circuit breaker's state.
type BreakerState string

const (
	BreakerClosed   BreakerState = "closed"
	BreakerOpen     BreakerState = "open"
	BreakerHalfOpen BreakerState = "half_open"
)

// Breaker parameters: API-key providers trip after 5 server-side failures
// within a minute; local servers after 2. The open period doubles on each
// failed probe, capped.
const (
	breakerWindow    = time.Minute
	breakerThreshold = 5
	breakerLocalTrip = 2
	breakerOpenBase  = 30 * time.Second
	breakerOpenCap   = 5 * time.Minute
)

// breaker counts server-side failures (5xx, timeouts, network) only:
// 429/401 belong to accounts, not to the provider's health.
type breaker struct {
	state     BreakerState
	failures  []time.Time // within the window
	openUntil time.Time
	opens     int  // consecutive openings, for the doubling
	probing   bool // a half-open probe is in flight
	threshold int
}

func (h *Health) breakerLocked(provider string, local bool) *breaker {
	b := h.breakers[provider]
	if b == nil {
		b = &breaker{state: BreakerClosed, threshold: breakerThreshold}
		if local {
			b.threshold = breakerLocalTrip
		}
		h.breakers[provider] = b
	}
	return b
}

func tripsBreaker(k ir.ErrorKind) bool {
	switch k {
	case ir.KindUpstream5xx, ir.KindTimeout, ir.KindNetwork, ir.KindStreamInterrupted:
		return true
	}
	return false
}

func (b *breaker) fail(e *ir.Error, now time.Time, changes *[]Change, provider string) {
	if !tripsBreaker(e.Kind) {
		b.probing = false
		return
	}
	if b.state == BreakerHalfOpen {
		b.open(now, changes, provider, "the probe request failed: "+e.Message)
		return
	}
	cut := now.Add(-breakerWindow)
	kept := b.failures[:0]
	for _, t := range b.failures {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	b.failures = append(kept, now)
	if b.state == BreakerClosed && len(b.failures) >= b.threshold {
		b.open(now, changes, provider, e.Message)
	}
}

func (b *breaker) open(now time.Time, changes *[]Change, provider, msg string) {
	b.state = BreakerOpen
	b.probing = false
	b.openUntil = now.Add(backoff(breakerOpenBase, breakerOpenCap, b.opens))
	b.opens++
	b.failures = b.failures[:0]
	*changes = append(*changes, Change{Kind: ProviderTripped, Provider: provider, Until: b.openUntil, Message: msg})
}

func (b *breaker) succeed(now time.Time, changes *[]Change, provider string) {
	recovered := b.state != BreakerClosed
	b.reset()
	if recovered {
		*changes = append(*changes, Change{Kind: ProviderRecovered, Provider: provider})
	}
}

func (b *breaker) reset() {
	b.state, b.opens, b.probing = BreakerClosed, 0, false
	b.failures = b.failures[:0]
}

// admit reports whether a request may go to the provider now. An open
// breaker lets exactly one probe through once its period is over.
func (b *breaker) admit(now time.Time) (bool, time.Time) {
	switch b.state {
	case BreakerOpen:
		if now.Before(b.openUntil) {
			return false, b.openUntil
		}
		b.state, b.probing = BreakerHalfOpen, true
		return true, time.Time{}
	case BreakerHalfOpen:
		if b.probing {
			return false, now.Add(time.Second)
		}
		b.probing = true
		return true, time.Time{}
	}
	return true, time.Time{}
}

// BreakerView is a breaker for display.
type BreakerView struct {
	Provider  string       `json:"provider"`
	State     BreakerState `json:"state"`
	Failures  int          `json:"failures"`
	OpenUntil time.Time    `json:"openUntil,omitempty"`
}

// Breakers lists every provider's breaker that has seen traffic.
func (h *Health) Breakers() []BreakerView {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]BreakerView, 0, len(h.breakers))
	for id, b := range h.breakers {
		v := BreakerView{Provider: id, State: b.state, Failures: len(b.failures)}
		if b.state != BreakerClosed {
			v.OpenUntil = b.openUntil
		}
		out = append(out, v)
	}
	return out
}
