package usage

import (
	"context"
	"database/sql"
	"fmt"

	"switchboard/backend/store"
)

// Rollups: request log rows summed per UTC hour and dimension in
// usage_hourly. rollup_state.last_id says which rows are in (every id up
// to it): Analytics reads the rollups plus the raw rows after that id, so
// a row is counted once whether or not it was rolled up yet, and a row
// written late (a long stream started in an hour already rolled up) is
// still folded into its own hour. Retention deletes only rows already in.

const hourMS = 3600_000

// rollupBatch bounds one transaction, so the request log writer never
// waits long for the write lock.
const rollupBatch = 5000

type hourKey struct {
	hour                                           int64
	provider, account, model, key, tool, combo, bl string
}

// sums are the additive figures of a rollup row.
type sums struct {
	requests, errors, fallbacks            int64
	in, out, cached, cacheWrite, reasoning int64
	cost                                   float64
	unpriced                               int64
	value                                  float64
	valueUnknown                           int64
	latency, ttft                          hist
}

func (a *sums) merge(b *sums) {
	a.requests += b.requests
	a.errors += b.errors
	a.fallbacks += b.fallbacks
	a.in += b.in
	a.out += b.out
	a.cached += b.cached
	a.cacheWrite += b.cacheWrite
	a.reasoning += b.reasoning
	a.cost += b.cost
	a.unpriced += b.unpriced
	a.value += b.value
	a.valueUnknown += b.valueUnknown
	a.latency.merge(b.latency)
	a.ttft.merge(b.ttft)
}

// RolledUpTo is the id of the last request log row in the rollups.
func RolledUpTo(ctx context.Context, db *store.DB) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, `SELECT last_id FROM rollup_state`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("usage: rollup state: %w", err)
	}
	return id, nil
}

// Rollup folds every request log row written since the last pass into the
// hourly rollups, in batches; it returns how many rows it folded.
func Rollup(ctx context.Context, db *store.DB) (int, error) {
	total := 0
	for {
		n, err := rollupOnce(ctx, db, rollupBatch)
		total += n
		if err != nil || n < rollupBatch {
			return total, err
		}
	}
}

// rowColumns are what a rollup reads of a row: aggregated in SQL they would
// lose the histograms.
const rollupSelect = `SELECT id, ts, provider, account, upstream_model, key_name, tool, combo, billing,
	status, attempts, tokens_in, tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning,
	cost_usd, value_usd, latency_ms, ttft_ms FROM request_logs WHERE id > ? ORDER BY id LIMIT ?`

func rollupOnce(ctx context.Context, db *store.DB, limit int) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT last_id FROM rollup_state`).Scan(&last); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	groups, maxID, n, err := readForRollup(ctx, tx, last, limit)
	if err != nil || n == 0 {
		return 0, err
	}
	for k, g := range groups {
		if err := foldGroup(ctx, tx, k, g); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rollup_state SET last_id = ?`, maxID); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	return n, nil
}

// readForRollup sums up to limit rows after id last per hour and dimension.
func readForRollup(ctx context.Context, tx *sql.Tx, last int64, limit int) (map[hourKey]*sums, int64, int, error) {
	rows, err := tx.QueryContext(ctx, rollupSelect, last, limit)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("usage: rollup: %w", err)
	}
	defer rows.Close()
	groups := map[hourKey]*sums{}
	maxID, n := last, 0
	for rows.Next() {
		var id, ts, latency, ttft int64
		var k hourKey
		var status, attempts int
		var s sums
		var cost, value sql.NullFloat64
		if err := rows.Scan(&id, &ts, &k.provider, &k.account, &k.model, &k.key, &k.tool, &k.combo, &k.bl,
			&status, &attempts, &s.in, &s.out, &s.cached, &s.cacheWrite, &s.reasoning, &cost, &value,
			&latency, &ttft); err != nil {
			return nil, 0, 0, fmt.Errorf("usage: rollup: %w", err)
		}
		k.hour = ts - ts%hourMS
		s.requests = 1
		used := s.in+s.out > 0
		if status >= 400 {
			s.errors = 1
		} else {
			s.latency.add(latency)
			if ttft > 0 {
				s.ttft.add(ttft)
			}
		}
		if attempts > 1 {
			s.fallbacks = 1
		}
		s.cost, s.value = cost.Float64, value.Float64
		if !cost.Valid && used {
			s.unpriced = 1
		}
		if k.bl == string(BillingPlan) && !value.Valid && used {
			s.valueUnknown = 1
		}
		g := groups[k]
		if g == nil {
			g = &sums{}
			groups[k] = g
		}
		g.merge(&s)
		maxID, n = id, n+1
	}
	return groups, maxID, n, rows.Err()
}

// foldGroup adds g to its rollup row.
func foldGroup(ctx context.Context, tx *sql.Tx, k hourKey, g *sums) error {
	var cur sums
	var lat, ttft []byte
	err := tx.QueryRowContext(ctx, `SELECT requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached,
		tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown, latency_hist, ttft_hist
		FROM usage_hourly WHERE hour = ? AND provider = ? AND account = ? AND model = ? AND key_name = ?
		AND tool = ? AND combo = ? AND billing = ?`, k.hour, k.provider, k.account, k.model, k.key, k.tool, k.combo, k.bl).
		Scan(&cur.requests, &cur.errors, &cur.fallbacks, &cur.in, &cur.out, &cur.cached, &cur.cacheWrite,
			&cur.reasoning, &cur.cost, &cur.unpriced, &cur.value, &cur.valueUnknown, &lat, &ttft)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return fmt.Errorf("usage: rollup: %w", err)
	default:
		cur.latency, cur.ttft = decodeHist(lat), decodeHist(ttft)
	}
	cur.merge(g)
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO usage_hourly(hour, provider, account, model, key_name,
		tool, combo, billing, requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached, tokens_cache_write,
		tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown, latency_hist, ttft_hist)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		k.hour, k.provider, k.account, k.model, k.key, k.tool, k.combo, k.bl, cur.requests, cur.errors,
		cur.fallbacks, cur.in, cur.out, cur.cached, cur.cacheWrite, cur.reasoning, cur.cost, cur.unpriced,
		cur.value, cur.valueUnknown, cur.latency.encode(), cur.ttft.encode())
	if err != nil {
		return fmt.Errorf("usage: rollup: %w", err)
	}
	return nil
}
