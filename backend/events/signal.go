package events

import (
	"sync"
	"sync/atomic"
)

// Signal tells waiters that something changed, coalescing: any number of
// Notify calls between two receives wake a waiter once. It replaces
// "check every second" loops: an idle app has nothing to wake for, and a
// busy one pays a few non-blocking channel sends per Notify.
type Signal struct {
	mu   sync.Mutex
	subs atomic.Pointer[[]chan struct{}] // copy on write: Notify takes no lock
}

// Notify wakes every waiter that is not already due to wake.
func (s *Signal) Notify() {
	p := s.subs.Load()
	if p == nil {
		return
	}
	for _, c := range *p {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Wait returns a channel that receives after each Notify (coalesced) and
// the function that stops it.
func (s *Signal) Wait() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s.mu.Lock()
	var next []chan struct{}
	if p := s.subs.Load(); p != nil {
		next = append(next, *p...)
	}
	next = append(next, c)
	s.subs.Store(&next)
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.subs.Load()
		if p == nil {
			return
		}
		var rest []chan struct{}
		for _, x := range *p {
			if x != c {
				rest = append(rest, x)
			}
		}
		s.subs.Store(&rest)
	}
}
