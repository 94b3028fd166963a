package quota

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"switchboard/backend/internal/debounce"
)

// Save replaces the stored windows with the live ones.
func (t *Tracker) Save(ctx context.Context, db *sql.DB) error {
	type row struct {
		id, provider, name string
		s                  slot
	}
	t.mu.RLock()
	var rows []row
	for _, id := range sortedIDs(t.accts) {
		a := t.accts[id]
		for _, s := range a.slots {
			rows = append(rows, row{id, a.provider, a.name, s})
		}
	}
	t.mu.RUnlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("quota: save: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM quota_windows`); err != nil {
		return fmt.Errorf("quota: save: %w", err)
	}
	for _, r := range rows {
		w := r.s.Window
		if _, err := tx.ExecContext(ctx, `INSERT INTO quota_windows(account_id, name, model, provider, account, used,
			remaining, lim, span_ms, reset_ts, source, observed_ts, plan, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.id, w.Name, w.Model, r.provider, r.name, w.Used, w.Remaining, w.Limit, w.Span.Milliseconds(),
			unixMilli(w.ResetAt), string(w.Source), unixMilli(w.ObservedAt), w.Plan, r.s.flags); err != nil {
			return fmt.Errorf("quota: save: %w", err)
		}
	}
	return tx.Commit()
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Load restores the stored windows, before Run: alerts already sent for a
// period are not sent again, a window that reset while Switchboard was off
// re-arms quietly, and the polls wait for their cadence after the last
// stored poll.
func (t *Tracker) Load(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT account_id, name, model, provider, account, used, remaining, lim, span_ms,
		reset_ts, source, observed_ts, plan, flags FROM quota_windows`)
	if err != nil {
		return fmt.Errorf("quota: load: %w", err)
	}
	defer rows.Close()
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for rows.Next() {
		var (
			id, provider, name, source string
			w                          Window
			span, reset, observed      int64
			flags                      uint8
		)
		if err := rows.Scan(&id, &w.Name, &w.Model, &provider, &name, &w.Used, &w.Remaining, &w.Limit, &span,
			&reset, &source, &observed, &w.Plan, &flags); err != nil {
			return fmt.Errorf("quota: load: %w", err)
		}
		w.Span, w.ResetAt, w.Source, w.ObservedAt = time.Duration(span)*time.Millisecond, fromMilli(reset), Source(source), fromMilli(observed)
		a := t.accountLocked(id, ident{provider, name})
		a.slots = append(a.slots, slot{Window: w, flags: flags})
		if w.Source == SourceUsage && w.ObservedAt.After(a.poll.last) && !w.ObservedAt.After(now) {
			a.poll.last = w.ObservedAt
		}
	}
	for _, a := range t.accts {
		for i := range a.slots {
			s := &a.slots[i]
			if s.usedUp(now) {
				// Known used up before the restart: announced already.
				s.out, s.why = true, s.Label()+" used up ("+sourceText(s.Source)+")"
				a.outPlan = a.outPlan || s.Plan
			}
		}
	}
	return rows.Err()
}

// Persist saves the windows whenever they change, batching the changes of
// delay into one write, until ctx ends (then it saves once more); onSaved
// runs after each save (live views refresh then). It sleeps while nothing
// changes.
func (t *Tracker) Persist(ctx context.Context, db *sql.DB, delay time.Duration, onErr func(error), onSaved func()) {
	debounce.Saves(ctx, t.dirty, delay, func(ctx context.Context) {
		if err := t.Save(ctx, db); err != nil {
			if onErr != nil {
				onErr(err)
			}
			return
		}
		if onSaved != nil {
			onSaved()
		}
	})
}
