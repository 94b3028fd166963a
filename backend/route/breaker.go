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

// Breaker parameters: a provider trips when, within the last minute, at
// least 5 requests failed server-side (2 for local servers) AND they were at
// least half of its requests: a provider failing 15% of the time is
// degraded, and its failures fall back per request; one failing most of the
// time is down. The open period doubles on each failed probe, capped.
const (
	breakerWindow    = time.Minute
	breakerBuckets   = 12
	breakerThreshold = 5
	breakerLocalTrip = 2
	breakerMinRatio  = 0.5
	breakerOpenBase  = 30 * time.Second
	breakerOpenCap   = 5 * time.Minute
)

// bucket counts outcomes in one slice of the window.
type bucket struct {
	start         time.Time
	total, failed int
}

// breaker counts server-side failures (5xx, timeouts, network) only:
// 429/401 belong to accounts, not to the provider's health.
type breaker struct {
	state     BreakerState
	buckets   [breakerBuckets]bucket
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
	bk := b.bucket(now)
	bk.total++
	bk.failed++
	total, failed := b.counts(now)
	if b.state == BreakerClosed && failed >= b.threshold && float64(failed) >= breakerMinRatio*float64(total) {
		b.open(now, changes, provider, e.Message)
	}
}

// bucket returns the current bucket, recycling a stale one.
func (b *breaker) bucket(now time.Time) *bucket {
	width := breakerWindow / breakerBuckets
	start := now.Truncate(width)
	bk := &b.buckets[(start.UnixNano()/int64(width))%breakerBuckets]
	if !bk.start.Equal(start) {
		*bk = bucket{start: start}
	}
	return bk
}

// counts sums the buckets inside the window.
func (b *breaker) counts(now time.Time) (total, failed int) {
	cut := now.Add(-breakerWindow)
	for i := range b.buckets {
		if bk := &b.buckets[i]; bk.start.After(cut) {
			total += bk.total
			failed += bk.failed
		}
	}
	return total, failed
}

func (b *breaker) open(now time.Time, changes *[]Change, provider, msg string) {
	b.state = BreakerOpen
	b.probing = false
	b.openUntil = now.Add(backoff(breakerOpenBase, breakerOpenCap, b.opens))
	b.opens++
	b.buckets = [breakerBuckets]bucket{}
	*changes = append(*changes, Change{Kind: ProviderTripped, Provider: provider, Until: b.openUntil, Message: msg})
}

func (b *breaker) succeed(now time.Time, changes *[]Change, provider string) {
	if b.state == BreakerClosed {
		b.bucket(now).total++
		return
	}
	b.reset()
	recovered := true
	if recovered {
		*changes = append(*changes, Change{Kind: ProviderRecovered, Provider: provider})
	}
}

func (b *breaker) reset() {
	b.state, b.opens, b.probing = BreakerClosed, 0, false
	b.buckets = [breakerBuckets]bucket{}
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
	Failures  int          `json:"failures"` // server-side failures in the last minute
	Requests  int          `json:"requests"` // requests in the last minute
	OpenUntil time.Time    `json:"openUntil,omitzero"`
}

// Breakers lists every provider's breaker that has seen traffic.
func (h *Health) Breakers() []BreakerView {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]BreakerView, 0, len(h.breakers))
	for id, b := range h.breakers {
		total, failed := b.counts(h.now())
		v := BreakerView{Provider: id, State: b.state, Failures: failed, Requests: total}
		if b.state != BreakerClosed {
			v.OpenUntil = b.openUntil
		}
		out = append(out, v)
	}
	return out
}
