package notify

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/route"
)

// Options configure a Service.
type Options struct {
	Notifier Notifier
	Prefs    Prefs // initial preferences (zero value: DefaultPrefs)
	Format   Formatter
	Now      func() time.Time // injected clock (default time.Now)
	Log      *slog.Logger
	// RemindEvery is how often suppressed trips are checked for a
	// "still failing" reminder (default 15s).
	RemindEvery time.Duration
}

// Service turns bus events into notifications through a Policy.
type Service struct {
	n           Notifier
	f           Formatter
	now         func() time.Time
	log         *slog.Logger
	remindEvery time.Duration

	mu     sync.Mutex
	prefs  Prefs
	policy *Policy
	// ticking: the reminder clock runs (for tests: it must not at rest)
	ticking atomic.Bool
}

// New builds a service; Run subscribes it to a bus.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.RemindEvery <= 0 {
		o.RemindEvery = 15 * time.Second
	}
	if o.Prefs.isZero() {
		o.Prefs = DefaultPrefs()
	}
	return &Service{n: o.Notifier, f: o.Format, now: o.Now, log: o.Log, remindEvery: o.RemindEvery,
		prefs: o.Prefs, policy: NewPolicy()}
}

// SetPrefs replaces the preferences (the interval applies from now on).
func (s *Service) SetPrefs(p Prefs) {
	s.mu.Lock()
	s.prefs = p
	s.mu.Unlock()
}

// Prefs returns the preferences in force.
func (s *Service) Prefs() Prefs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prefs
}

// Handle processes one bus event synchronously and returns the
// notifications it raised (shown through the Notifier).
func (s *Service) Handle(e events.Event) []Notification {
	if e.Kind == KindPrefsChanged {
		if p, ok := e.Data.(Prefs); ok {
			s.SetPrefs(p)
		}
		return nil
	}
	if !Notifiable(e.Kind) {
		return nil
	}
	c, ok := change(e.Data)
	if !ok {
		return nil
	}
	now := s.now()
	s.mu.Lock()
	allowed := s.policy.Allow(e.Kind, c, s.prefs, now)
	s.mu.Unlock()
	if !allowed {
		s.log.Debug("notification suppressed", "kind", e.Kind, "provider", c.Provider)
		return nil
	}
	n := s.f.Format(e.Kind, c, now, false)
	s.show(n)
	return []Notification{n}
}

// Remind raises the "still failing" reminders that are due.
func (s *Service) Remind() []Notification {
	now := s.now()
	s.mu.Lock()
	due := s.policy.Due(s.prefs, now)
	s.mu.Unlock()
	var out []Notification
	for _, c := range due {
		n := s.f.Format(KindBreakerOpen, c, now, true)
		s.show(n)
		out = append(out, n)
	}
	return out
}

func (s *Service) show(n Notification) {
	if s.n == nil {
		return
	}
	if err := s.n.Notify(n); err != nil {
		s.log.Warn("notification not shown", "title", n.Title, "err", err)
		return
	}
	s.log.Info("notification shown", "kind", n.Kind, "provider", n.Provider, "title", n.Title)
}

// Listen subscribes to bus now (no event published after it returns is
// missed) and handles events on a goroutine until ctx ends. It reports
// false when the bus has no room for another subscriber.
func (s *Service) Listen(ctx context.Context, bus *events.Bus) bool {
	sub := bus.Subscribe(64)
	if sub == nil {
		s.log.Warn("notifications off: the event bus has no room for another subscriber")
		return false
	}
	go s.loop(ctx, sub)
	return true
}

func (s *Service) loop(ctx context.Context, sub *events.Subscription) {
	defer sub.Close()
	// The reminder clock runs only while a reminder may come due: an app
	// at rest is not woken every few seconds to find nothing to say.
	var t *time.Ticker
	var tick <-chan time.Time
	arm := func() {
		switch pending := s.pending(); {
		case pending && t == nil:
			t = time.NewTicker(s.remindEvery)
			tick = t.C
		case !pending && t != nil:
			t.Stop()
			t, tick = nil, nil
		}
		s.ticking.Store(t != nil)
	}
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			s.Handle(e)
		case <-tick:
			s.Remind()
		}
		arm()
	}
}

// pending reports whether a reminder may come due.
func (s *Service) pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policy.Pending()
}

func change(d any) (route.Change, bool) {
	switch c := d.(type) {
	case route.Change:
		return c, true
	case *route.Change:
		if c != nil {
			return *c, true
		}
	}
	return route.Change{}, false
}
