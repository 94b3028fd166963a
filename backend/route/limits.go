package route

import (
	"context"
	"time"
)

// Limits: a bounded wait queue per account. When an account is at its
// concurrency or RPM limit a request may wait briefly for a slot; when the
// queue is full, or the wait would be long, the router moves on (or answers
// 429 with the earliest Retry-After) instead of queueing forever.
const (
	maxQueuePerAccount = 32
	maxQueueWait       = 10 * time.Second
)

type limiter struct {
	maxConc int
	rpm     int
	slots   chan struct{} // nil when unlimited
	window  []time.Time   // request starts in the last minute (RPM)
	waiting int
}

func (h *Health) limiterLocked(c Candidate) *limiter {
	if c.Account == nil || (c.Account.MaxConcurrent <= 0 && c.Account.RPM <= 0) {
		return nil
	}
	l := h.limits[c.Account.ID]
	if l == nil || l.maxConc != c.Account.MaxConcurrent || l.rpm != c.Account.RPM {
		l = &limiter{maxConc: c.Account.MaxConcurrent, rpm: c.Account.RPM}
		if l.maxConc > 0 {
			l.slots = make(chan struct{}, l.maxConc)
		}
		h.limits[c.Account.ID] = l
	}
	return l
}

// rpmWait is how long until the RPM window has room (0 = now).
func (l *limiter) rpmWait(now time.Time) time.Duration {
	if l.rpm <= 0 {
		return 0
	}
	cut := now.Add(-time.Minute)
	kept := l.window[:0]
	for _, t := range l.window {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	l.window = kept
	if len(l.window) < l.rpm {
		return 0
	}
	return l.window[0].Add(time.Minute).Sub(now)
}

// Lease is a granted slot; Release it when the attempt ends.
type Lease struct {
	release func()
}

// Release frees the slot (safe on a nil or zero lease).
func (l *Lease) Release() {
	if l != nil && l.release != nil {
		l.release()
		l.release = nil
	}
}

// tryAcquire takes a slot without waiting. ok=false reports when the
// candidate could be retried (for Retry-After).
func (h *Health) tryAcquire(c Candidate) (*Lease, time.Time, bool) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inflightLocked(c, 1)
	l := h.limiterLocked(c)
	if l == nil {
		return h.leaseLocked(c, nil), time.Time{}, true
	}
	if w := l.rpmWait(now); w > 0 {
		h.inflightLocked(c, -1)
		return nil, now.Add(w), false
	}
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		default:
			h.inflightLocked(c, -1)
			return nil, now.Add(time.Second), false
		}
	}
	l.window = append(l.window, now)
	return h.leaseLocked(c, l), time.Time{}, true
}

func (h *Health) leaseLocked(c Candidate, l *limiter) *Lease {
	return &Lease{release: func() {
		h.mu.Lock()
		h.inflightLocked(c, -1)
		h.mu.Unlock()
		if l != nil && l.slots != nil {
			<-l.slots
		}
	}}
}

// acquireWait waits for a slot within the bounded queue and ctx. It gives up
// at once when the queue is full or the RPM window will not open in time.
func (h *Health) acquireWait(ctx context.Context, c Candidate) (*Lease, bool) {
	h.mu.Lock()
	l := h.limiterLocked(c)
	if l == nil || l.waiting >= maxQueuePerAccount {
		h.mu.Unlock()
		return nil, false
	}
	l.waiting++
	h.mu.Unlock()
	defer func() { h.mu.Lock(); l.waiting--; h.mu.Unlock() }()
	deadline := time.NewTimer(maxQueueWait)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if lease, _, ok := h.tryAcquire(c); ok {
			return lease, true
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-deadline.C:
			return nil, false
		case <-tick.C:
		}
	}
}
