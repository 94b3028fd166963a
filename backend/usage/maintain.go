package usage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/store"
)

// MaintainEvery is how often the retention pass runs: an idle desktop app
// wakes for it at most this often. The first pass runs MaintainAfterStart
// after start (not at once: start-up has work of its own).
var (
	MaintainEvery      = time.Hour
	MaintainAfterStart = 10 * time.Second
)

// A due pass waits for the gateway to have been without requests for
// MaintainQuiet (it rolls up and deletes rows for a while on the core the
// requests use), but not past MaintainMaxWait. Kicks (a changed retention)
// do not wait.
var (
	MaintainQuiet   = time.Second
	MaintainMaxWait = 10 * time.Minute
)

// Maintainer runs the request log's upkeep on a timer and after start:
// rows from before costs were recorded are priced, new rows rolled up,
// and old ones deleted per the retention.
type Maintainer struct {
	db        *store.DB
	log       *slog.Logger
	prices    func() *Prices
	retention atomic.Pointer[Retention]
	kick      chan struct{}
	traffic   *Traffic // nil: passes do not wait for quiet
	mu        sync.Mutex
	last      PassReport
}

// PassReport is the last pass's outcome (Settings shows it).
type PassReport struct {
	At    int64  `json:"at"` // unix ms; 0: none yet
	Error string `json:"error,omitempty"`
	PruneResult
}

// NewMaintainer prepares the upkeep; prices gives the prices in force.
func NewMaintainer(db *store.DB, log *slog.Logger, prices func() *Prices, r Retention) *Maintainer {
	m := &Maintainer{db: db, log: log, prices: prices, kick: make(chan struct{}, 1)}
	m.retention.Store(&r)
	return m
}

// WaitForQuiet makes due passes wait for the gateway's traffic to stop
// (see MaintainQuiet).
func (m *Maintainer) WaitForQuiet(t *Traffic) { m.traffic = t }

// Retention is the retention in force.
func (m *Maintainer) Retention() Retention { return *m.retention.Load() }

// SetRetention changes the retention and runs a pass soon.
func (m *Maintainer) SetRetention(r Retention) {
	m.retention.Store(&r)
	m.Kick()
}

// Kick asks for a pass now (without waiting for it).
func (m *Maintainer) Kick() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Last is the last pass's outcome.
func (m *Maintainer) Last() PassReport {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Run passes once after start, then every MaintainEvery and when kicked,
// until ctx ends.
func (m *Maintainer) Run(ctx context.Context) {
	t := time.NewTimer(MaintainAfterStart)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !m.awaitQuiet(ctx) {
				return
			}
		case <-m.kick:
		}
		m.Pass(ctx, time.Now())
		t.Reset(MaintainEvery)
	}
}

// awaitQuiet returns once no request has been in flight or begun for
// MaintainQuiet, MaintainMaxWait has passed, or a kick came; false when
// ctx ends first.
func (m *Maintainer) awaitQuiet(ctx context.Context) bool {
	if m.traffic == nil {
		return true
	}
	tick := time.NewTicker(MaintainQuiet)
	defer tick.Stop()
	giveUp := time.Now().Add(MaintainMaxWait)
	_, seen := m.traffic.Idle(0)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-m.kick:
			return true
		case now := <-tick.C:
			var quiet bool
			if quiet, seen = m.traffic.Idle(seen); quiet || now.After(giveUp) {
				return true
			}
		}
	}
}

// Pass prices legacy rows, rolls up and applies the retention once.
func (m *Maintainer) Pass(ctx context.Context, now time.Time) PassReport {
	rep := PassReport{At: now.UnixMilli()}
	n, err := PriceLegacy(ctx, m.db, m.prices())
	if n > 0 {
		m.log.Info("request log: rows from before costs were recorded priced", "rows", n)
	}
	if err == nil {
		rep.PruneResult, err = Prune(ctx, m.db, m.Retention(), now)
	}
	if err != nil {
		rep.Error = err.Error()
		if ctx.Err() == nil {
			m.log.Warn("request log upkeep failed", "err", err)
		}
	} else if rep.DeletedOld+rep.DeletedCap > 0 || rep.Reclaimed > 0 {
		m.log.Info("request log retention", "deleted_old", rep.DeletedOld, "deleted_for_size", rep.DeletedCap,
			"used_bytes", rep.UsedBytes, "over_cap", rep.OverCap, "gave_back_bytes", rep.Reclaimed)
	}
	m.mu.Lock()
	m.last = rep
	m.mu.Unlock()
	return rep
}
