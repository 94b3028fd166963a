package usage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"switchboard/backend/store"
)

// Retention bounds the request log: rows older than Days and, while the
// database holds more than MaxMiB, the oldest rows are deleted, after
// being rolled up (Analytics keeps their history hour by hour).
type Retention struct {
	Days   int `json:"days"`
	MaxMiB int `json:"maxDbMib"`
}

// Defaults and bounds of the retention settings.
const (
	DefaultRetentionDays = 30
	DefaultMaxDBMiB      = 1024
	MaxRetentionDays     = 3650
	MinMaxDBMiB          = 16
)

// DefaultRetention is used until the user sets one.
func DefaultRetention() Retention {
	return Retention{Days: DefaultRetentionDays, MaxMiB: DefaultMaxDBMiB}
}

// Validate reports a setting out of bounds.
func (r Retention) Validate() error {
	var errs []error
	if r.Days < 1 || r.Days > MaxRetentionDays {
		errs = append(errs, fmt.Errorf("retention days %d is not from 1 to %d", r.Days, MaxRetentionDays))
	}
	if r.MaxMiB < MinMaxDBMiB {
		errs = append(errs, fmt.Errorf("database size cap %d MiB is below %d MiB", r.MaxMiB, MinMaxDBMiB))
	}
	return errors.Join(errs...)
}

// deleteBatch bounds one delete transaction: the request log writer (and
// everything else that writes) waits at most for one batch.
const deleteBatch = 500

// PruneResult says what a retention pass did.
type PruneResult struct {
	RolledUp   int   `json:"rolledUp"`
	DeletedOld int64 `json:"deletedOld"` // past the retention days
	DeletedCap int64 `json:"deletedCap"` // to get under the size cap
	UsedBytes  int64 `json:"usedBytes"`
	OverCap    bool  `json:"overCap"` // still over the cap with no raw rows left to delete
	// Reclaimed is what the file gave back to the file system (free pages
	// past reclaimMinBytes, see store.Reclaim).
	Reclaimed int64 `json:"reclaimedBytes"`
}

// Free pages are given back once they add up to reclaimMinBytes,
// reclaimStep pages per transaction (store.Reclaim).
const (
	reclaimMinBytes = 8 << 20
	reclaimStep     = 256
)

// reclaim gives the database's free pages back when there are enough.
func reclaim(ctx context.Context, db *store.DB, between pause) (int64, error) {
	n, err := db.Reclaim(ctx, reclaimMinBytes, reclaimStep, func(took time.Duration) error { return between(ctx, took) })
	if err != nil {
		return n, fmt.Errorf("usage: retention: %w", err)
	}
	return n, nil
}

// Prune runs a retention pass: roll up what is new, delete rows past the
// retention days, then the oldest rows while the database is over its
// size cap, then give the freed space back; deletes go in small batches
// with a pause between them.
func Prune(ctx context.Context, db *store.DB, r Retention, now time.Time) (res PruneResult, err error) {
	return prune(ctx, db, r, now, yieldAfter)
}

func prune(ctx context.Context, db *store.DB, r Retention, now time.Time, between pause) (res PruneResult, err error) {
	defer func() {
		if err == nil {
			res.Reclaimed, err = reclaim(ctx, db, between)
		}
	}()
	if res.RolledUp, err = rollup(ctx, db, between); err != nil {
		return res, err
	}
	cutoff := now.Add(-time.Duration(r.Days) * 24 * time.Hour).UnixMilli()
	for {
		n, err := deleteOldest(ctx, db, cutoff, deleteBatch, between)
		res.DeletedOld += n
		if err != nil {
			return res, err
		}
		if n < deleteBatch {
			break
		}
	}
	capBytes := int64(r.MaxMiB) << 20
	for {
		st, err := Size(ctx, db)
		if err != nil {
			return res, err
		}
		res.UsedBytes = st.UsedBytes
		if st.UsedBytes <= capBytes {
			return res, nil
		}
		n, err := deleteOldest(ctx, db, 0, capStep(ctx, db, st.UsedBytes, capBytes), between)
		res.DeletedCap += n
		if err != nil {
			return res, err
		}
		if n == 0 {
			res.OverCap = true
			return res, nil
		}
	}
}

// capStep is how many of the oldest rows to delete next to get from used
// bytes down to the cap: their share of the excess, assuming rows of
// average size (the loop measures again after each step).
func capStep(ctx context.Context, db *store.DB, used, capBytes int64) int {
	var rows int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM request_logs`).Scan(&rows); err != nil || used <= 0 {
		return deleteBatch
	}
	n := rows*(used-capBytes)/used + 1
	return int(min(max(n, 1), deleteBatch))
}

// deleteOldest deletes up to limit of the oldest rolled-up rows, all of
// them before cutoff (0: whatever their age), and pauses briefly.
func deleteOldest(ctx context.Context, db *store.DB, cutoff int64, limit int, between pause) (int64, error) {
	q := `DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs
		WHERE id <= (SELECT last_id FROM rollup_state)`
	args := []any{}
	if cutoff > 0 {
		q += ` AND ts < ?`
		args = append(args, cutoff)
	}
	q += ` ORDER BY id LIMIT ?)`
	args = append(args, limit)
	t0 := time.Now()
	r, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("usage: retention: %w", err)
	}
	n, _ := r.RowsAffected()
	if n > 0 { // let queued writes and the requests in between batches
		return n, between(ctx, time.Since(t0))
	}
	return n, nil
}

// StorageSize describes the database on disk.
type StorageSize struct {
	FileBytes  int64 `json:"fileBytes"` // the database file and its write-ahead log
	UsedBytes  int64 `json:"usedBytes"` // pages holding data (freed pages are reused before the file grows)
	Rows       int64 `json:"rows"`      // request log rows
	OldestTS   int64 `json:"oldestTs"`  // unix ms of the oldest request log row (0: none)
	HourRows   int64 `json:"hourRows"`  // rollup rows
	OldestHour int64 `json:"oldestHour"`
}

// Size measures the database.
func Size(ctx context.Context, db *store.DB) (StorageSize, error) {
	var st StorageSize
	var pages, free, pageSize int64
	for q, dst := range map[string]*int64{`PRAGMA page_count`: &pages, `PRAGMA freelist_count`: &free, `PRAGMA page_size`: &pageSize} {
		if err := db.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return st, fmt.Errorf("usage: size: %w", err)
		}
	}
	st.UsedBytes = (pages - free) * pageSize
	for _, f := range []string{db.Path, db.Path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			st.FileBytes += fi.Size()
		}
	}
	return st, nil
}

// Counts adds the row counts and ages to a size (a count of a million
// rows takes tens of milliseconds: the Settings page asks, not the timer).
func Counts(ctx context.Context, db *store.DB, st *StorageSize) error {
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(ts), 0) FROM request_logs`).Scan(&st.Rows, &st.OldestTS)
	if err == nil {
		err = db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(hour), 0) FROM usage_hourly`).Scan(&st.HourRows, &st.OldestHour)
	}
	if err != nil {
		return fmt.Errorf("usage: size: %w", err)
	}
	return nil
}

// PriceLegacy prices rows written before costs were recorded (billing
// ”) at the current prices, one update per provider and model, and
// returns how many it priced.
func PriceLegacy(ctx context.Context, db *store.DB, p *Prices) (int64, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT provider, upstream_model FROM request_logs WHERE billing = ''`)
	if err != nil {
		return 0, fmt.Errorf("usage: price old rows: %w", err)
	}
	var models []pm
	for rows.Next() {
		var k pm
		if err := rows.Scan(&k.provider, &k.model); err != nil {
			rows.Close()
			return 0, fmt.Errorf("usage: price old rows: %w", err)
		}
		models = append(models, k)
	}
	rows.Close()
	var total int64
	for _, k := range models {
		costExpr, valueExpr, args := p.legacySQL(k.provider, k.model)
		r, err := db.ExecContext(ctx, `UPDATE request_logs SET billing = ?, cost_usd = `+costExpr+`, value_usd = `+valueExpr+`
			WHERE billing = '' AND provider = ? AND upstream_model = ?`, append(args, k.provider, k.model)...)
		if err != nil {
			return total, fmt.Errorf("usage: price old rows: %w", err)
		}
		n, _ := r.RowsAffected()
		total += n
	}
	return total, nil
}

// legacySQL is Quote as SQL over a row's token columns.
func (p *Prices) legacySQL(providerID, model string) (cost, value string, args []any) {
	const zeroIfUnused = `CASE WHEN tokens_in + tokens_out = 0 THEN 0 ELSE `
	expr := func(pr Price) (string, []any) {
		return `(max(tokens_in - tokens_cached - tokens_cache_write, 0) * ? + tokens_cached * ? + tokens_cache_write * ?
			+ max(tokens_out - tokens_reasoning, 0) * ? + tokens_reasoning * ?) / 1e6`,
			[]any{pr.In, or(pr.Cached, pr.In), or(pr.CacheWrite, pr.In), pr.Out, or(pr.Reasoning, pr.Out)}
	}
	b := p.billing(providerID, model)
	args = []any{string(b)}
	switch b {
	case BillingFree:
		return "0", "NULL", args
	case BillingPlan:
		if pr, _, ok := p.value(providerID, model); ok {
			e, a := expr(pr)
			return "0", e, append(args, a...)
		}
		return "0", zeroIfUnused + `NULL END`, args
	}
	if pr, ok := p.price(providerID, model); ok {
		e, a := expr(pr)
		return e, "NULL", append(args, a...)
	}
	return zeroIfUnused + `NULL END`, "NULL", args
}
