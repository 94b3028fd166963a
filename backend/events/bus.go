// Package events is the in-process event bus: typed events fanned out to a
// bounded set of subscribers, each with a bounded buffer. A slow subscriber
// loses events (counted), never blocks the publisher: the request path
// publishes and must not wait on the tray or a browser tab.
package events

import (
	"sync"
	"sync/atomic"
	"time"
)

// Kind names an event.
type Kind string

// Kinds published today; later capabilities add their own.
const (
	StatusChanged Kind = "status" // something on the status page changed
	KeysChanged   Kind = "keys"
	// OAuthRefreshFailed: a sign-in's refresh token was refused and the
	// account needs the user to sign in again. Data: route.Change.
	OAuthRefreshFailed Kind = "oauth_refresh_failed"
	// QuotaChanged: quota windows changed (published after they are saved,
	// at most about once a second); GET /api/quota has the figures.
	QuotaChanged Kind = "quota"
	// KeyBudget: a local key used 80% of one of its budgets (once per
	// budget and period). Data: route.Change{Account: key, Window: which
	// budget, Percent, Until: its reset, Message}.
	KeyBudget Kind = "key_budget"
)

// Event is one published fact.
type Event struct {
	Kind Kind      `json:"kind"`
	At   time.Time `json:"at"`
	Data any       `json:"data,omitempty"`
}

// MaxSubscribers bounds fan-out; Subscribe fails beyond it.
const MaxSubscribers = 64

// Bus fans events out.
type Bus struct {
	mu      sync.RWMutex
	subs    map[*Subscription]struct{}
	dropped atomic.Int64
	now     func() time.Time
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}, now: time.Now} }

// Subscription receives events on C until Close.
type Subscription struct {
	C    <-chan Event
	ch   chan Event
	bus  *Bus
	once sync.Once
}

// Subscribe returns a subscription with a buffer of size events, or nil when
// the bus already has MaxSubscribers.
func (b *Bus) Subscribe(size int) *Subscription {
	if size <= 0 {
		size = 16
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= MaxSubscribers {
		return nil
	}
	ch := make(chan Event, size)
	s := &Subscription{C: ch, ch: ch, bus: b}
	b.subs[s] = struct{}{}
	return s
}

// Close unsubscribes and closes C.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.ch)
		s.bus.mu.Unlock()
	})
}

// Publish sends e to every subscriber that has room.
func (b *Bus) Publish(kind Kind, data any) {
	e := Event{Kind: kind, At: b.now(), Data: data}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Dropped counts events lost to full subscriber buffers.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

// Subscribers is the current subscriber count.
func (b *Bus) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}
