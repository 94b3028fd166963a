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
	_, err := quietFor(ctx, m.traffic, MaintainQuiet, MaintainMaxWait, m.kick)
	return err == nil
}

// quietFor looks at t every quiet and returns true once a look finds no
// request in flight and none begun since the last, false once maxWait has
// passed without one. A kick (nil: none) ends the wait as quiet; ctx's end
// ends it with ctx's error.
func quietFor(ctx context.Context, t *Traffic, quiet, maxWait time.Duration, kick <-chan struct{}) (bool, error) {
	tick := time.NewTicker(quiet)
	defer tick.Stop()
	giveUp := time.Now().Add(maxWait)
	_, seen := t.Idle(0)
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-kick:
			return true, nil
		case now := <-tick.C:
			var idle bool
			if idle, seen = t.Idle(seen); idle {
				return true, nil
			}
			if now.After(giveUp) {
				return false, nil
			}
		}
	}
}

// Between two of a pass's batches the upkeep waits for a lull in the
// gateway's traffic: no request in flight and none begun for UpkeepLull.
// A batch is a few ms of SQLite in cgo calls, and a request that arrives
// on the same core waits for it: after 60 s of c=32 load (about 800k
// rows), the pass that followed put the p99 of c=1 requests beside it at
// +5.5 ms (11× the bare proxy's). Under steady traffic there is no lull; after
// UpkeepMaxLullWait a batch goes anyway, in the first moment with no
// request in flight, so a pass still ends (about 250 rows a second).
var (
	UpkeepLull        = 10 * time.Millisecond
	UpkeepMaxLullWait = time.Second
)

// betweenBatches rests after a batch (yieldAfter: at most a quarter of a
// core) and then waits for a lull (see UpkeepLull).
func (m *Maintainer) betweenBatches(ctx context.Context, took time.Duration) error {
	if err := yieldAfter(ctx, took); err != nil || m.traffic == nil {
		return err
	}
	return awaitLull(ctx, m.traffic, UpkeepLull, UpkeepMaxLullWait)
}

// awaitLull returns once t has had no request in flight or begun for
// lull, or, after maxWait, once no request is in flight (or after
// lullGrace more when requests overlap without a gap).
func awaitLull(ctx context.Context, t *Traffic, lull, maxWait time.Duration) error {
	if quiet, err := quietFor(ctx, t, lull, maxWait, nil); quiet || err != nil {
		return err
	}
	return awaitGap(ctx, t)
}

// lullGrace bounds awaitGap's wait.
const lullGrace = 20 * time.Millisecond

// awaitGap waits for a moment with no request in flight (a request just
// ended; the next has not begun), for at most lullGrace.
func awaitGap(ctx context.Context, t *Traffic) error {
	deadline := time.Now().Add(lullGrace)
	for t.InFlight() > 0 && time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(50 * time.Microsecond)
	}
	return ctx.Err()
}

// Pass prices legacy rows, rolls up and applies the retention once.
func (m *Maintainer) Pass(ctx context.Context, now time.Time) PassReport {
	rep := PassReport{At: now.UnixMilli()}
	n, err := PriceLegacy(ctx, m.db, m.prices())
	if n > 0 {
		m.log.Info("request log: rows from before costs were recorded priced", "rows", n)
	}
	if err == nil {
		rep.PruneResult, err = prune(ctx, m.db, m.Retention(), now, m.betweenBatches)
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
