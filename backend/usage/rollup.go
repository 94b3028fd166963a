package usage

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"

	"switchboard/backend/store"
)

// Rollups: request log rows summed per UTC hour, in two tables (migration
// 0009): usage_dims one dimension at a time (a few rows per hour, with
// latency histograms: what the page reads unfiltered) and usage_hourly all
// dimensions at once (filtered views). rollup_state.last_id says which rows
// are in both (every id up to it): Analytics reads the rollups plus the raw
// rows after that id, so a row is counted once whether or not it was rolled
// up yet, and a row written late (a long stream started in an hour already
// rolled up) still lands in its own hour. Retention deletes only rows
// already in.

const hourMS = 3600_000

// rollupBatch bounds one transaction, so the request log writer never
// waits long for the write lock, and one batch holds a core for about
// 2 ms (measured on a log of 312k rows: 1000 rows took 7–8 ms, 250 took
// 2–3). Go hands its P to other goroutines only after a while, and a
// request that arrives on the same core waits for the batch.
const rollupBatch = 250

// dimKey is one rollup row of usage_dims.
type dimKey struct {
	dim    string
	hour   int64
	v1, v2 string
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
func Rollup(ctx context.Context, db *store.DB) (int, error) { return rollup(ctx, db, yieldAfter) }

// pause is what upkeep does between two of its batches; took is how long
// the last one ran (yieldAfter, Maintainer.betweenBatches).
type pause func(ctx context.Context, took time.Duration) error

func rollup(ctx context.Context, db *store.DB, between pause) (int, error) {
	total := 0
	for {
		t0 := time.Now()
		n, err := rollupOnce(ctx, db, rollupBatch)
		total += n
		if err != nil || n < rollupBatch {
			return total, err
		}
		if err := between(ctx, time.Since(t0)); err != nil {
			return total, err
		}
	}
}

// yieldAfter pauses three times as long as a batch of upkeep work took
// (up to maxYield): a long pass then uses at most about a quarter of a
// core and of the database's write lock, and the requests beside it keep
// theirs (measured: a steady stream's p99 stays within noise; with half,
// it rose 2.3 → 12.9 ms).
func yieldAfter(ctx context.Context, took time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(min(max(3*took, 5*time.Millisecond), maxYield)):
		return nil
	}
}

// maxYield bounds one pause between upkeep batches.
const maxYield = 250 * time.Millisecond

// hourlyUpsert adds a batch of rows to usage_hourly in one statement.
const hourlyUpsert = `INSERT INTO usage_hourly(hour, provider, account, model, key_name, tool, combo, billing,
	requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning,
	cost_usd, unpriced, value_usd, value_unknown)
	SELECT ts - ts % 3600000, provider, account, upstream_model, key_name, tool, combo, billing, COUNT(*),
	SUM(status >= 400), SUM(attempts > 1), SUM(tokens_in), SUM(tokens_out), SUM(tokens_cached),
	SUM(tokens_cache_write), SUM(tokens_reasoning), SUM(COALESCE(cost_usd, 0)), SUM(` + unpricedSQL + `),
	SUM(COALESCE(value_usd, 0)), SUM(` + valueUnknownSQL + `)
	FROM request_logs WHERE id > ? AND id <= ? GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
	ON CONFLICT(hour, provider, account, model, key_name, tool, combo, billing) DO UPDATE SET ` + addSums

// addSums is an upsert's update of the additive columns the rollup tables share.
const addSums = `requests = requests + excluded.requests, errors = errors + excluded.errors,
	fallbacks = fallbacks + excluded.fallbacks, tokens_in = tokens_in + excluded.tokens_in,
	tokens_out = tokens_out + excluded.tokens_out, tokens_cached = tokens_cached + excluded.tokens_cached,
	tokens_cache_write = tokens_cache_write + excluded.tokens_cache_write,
	tokens_reasoning = tokens_reasoning + excluded.tokens_reasoning, cost_usd = cost_usd + excluded.cost_usd,
	unpriced = unpriced + excluded.unpriced, value_usd = value_usd + excluded.value_usd,
	value_unknown = value_unknown + excluded.value_unknown`

func rollupOnce(ctx context.Context, db *store.DB, limit int) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	defer tx.Rollback()
	var last int64
	var hi sql.NullInt64
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT last_id FROM rollup_state`).Scan(&last); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	err = tx.QueryRowContext(ctx, `SELECT MAX(id), COUNT(*) FROM (SELECT id FROM request_logs WHERE id > ? ORDER BY id LIMIT ?)`,
		last, limit).Scan(&hi, &n)
	if err != nil || n == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, hourlyUpsert, last, hi.Int64); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	groups, pairs, err := readDims(ctx, tx, last, hi.Int64)
	if err != nil {
		return 0, err
	}
	i := 0
	for k, g := range groups {
		if i++; i%64 == 0 {
			runtime.Gosched()
		}
		if err := foldDim(ctx, tx, k, g); err != nil {
			return 0, err
		}
	}
	if err := foldPairs(ctx, tx, pairs); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rollup_state SET last_id = ?`, hi.Int64); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("usage: rollup: %w", err)
	}
	return n, nil
}

// readDims sums the rows with ids in (lo, hi] per hour and per value of
// each dimension, and of each ordered pair of dimensions (usage_pairs).
// The pairs are summed here rather than by one INSERT … SELECT over a
// cross join with the dimension names: that statement cost SQLite ~8× the
// time of this loop.
func readDims(ctx context.Context, tx *sql.Tx, lo, hi int64) (map[dimKey]*sums, map[pairKey]*sums, error) {
	rows, err := tx.QueryContext(ctx, `SELECT ts, provider, account, upstream_model, key_name, tool, combo, billing,
		status, attempts, tokens_in, tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning,
		cost_usd, value_usd, latency_ms, ttft_ms FROM request_logs WHERE id > ? AND id <= ?`, lo, hi)
	if err != nil {
		return nil, nil, fmt.Errorf("usage: rollup: %w", err)
	}
	defer rows.Close()
	groups := map[dimKey]*sums{}
	pairs := map[pairKey]*sums{}
	add := func(k dimKey, s *sums) {
		g := groups[k]
		if g == nil {
			g = &sums{}
			groups[k] = g
		}
		g.merge(s)
	}
	for i := 0; rows.Next(); i++ {
		if i%64 == 63 {
			// Upkeep runs beside requests on few cores: let them in often
			// (Go preempts a busy goroutine only every 10 ms).
			runtime.Gosched()
		}
		var ts, latency, ttft int64
		var prov, account, model, key, tool, combo, bl string
		var status, attempts int
		var s sums
		var cost, value sql.NullFloat64
		if err := rows.Scan(&ts, &prov, &account, &model, &key, &tool, &combo, &bl, &status, &attempts,
			&s.in, &s.out, &s.cached, &s.cacheWrite, &s.reasoning, &cost, &value, &latency, &ttft); err != nil {
			return nil, nil, fmt.Errorf("usage: rollup: %w", err)
		}
		hour := ts - ts%hourMS
		s.requests = 1
		used := s.in+s.out > 0
		if status >= 400 {
			s.errors = 1
		}
		if attempts > 1 {
			s.fallbacks = 1
		}
		s.cost, s.value = cost.Float64, value.Float64
		if !cost.Valid && used {
			s.unpriced = 1
		}
		if bl == string(BillingPlan) && !value.Valid && used {
			s.valueUnknown = 1
		}
		for _, d := range [...]dimKey{{"", hour, "", ""}, {"provider", hour, prov, ""}, {"account", hour, account, ""},
			{"model", hour, model, ""}, {"key", hour, key, ""}, {"tool", hour, tool, ""}, {"combo", hour, combo, ""}} {
			add(d, &s)
		}
		addPairs(pairs, hour, &[numDims]string{prov, account, model, key, tool, combo}, &s)
		// Latency only where it is shown: per provider and model, of
		// successful requests.
		if status < 400 {
			s.latency.add(latency)
			if ttft > 0 {
				s.ttft.add(ttft)
			}
		}
		add(dimKey{"pm", hour, prov, model}, &s)
	}
	return groups, pairs, rows.Err()
}

// numDims is len(Dimensions).
const numDims = 6

// pairKey is one rollup row of usage_pairs: f and g index Dimensions
// (g = -1: the filter value's totals).
type pairKey struct {
	f, g   int8
	hour   int64
	fv, gv string
}

// addPairs adds one row's s (before its latency is added: pairs keep no
// histograms) under every ordered pair of
// its dimension values vals (in Dimensions' order).
func addPairs(pairs map[pairKey]*sums, hour int64, vals *[numDims]string, s *sums) {
	for f := range vals {
		for g := -1; g < len(vals); g++ {
			if g == f {
				continue
			}
			k := pairKey{f: int8(f), g: int8(g), hour: hour, fv: vals[f]}
			if g >= 0 {
				k.gv = vals[g]
			}
			p := pairs[k]
			if p == nil {
				p = &sums{}
				pairs[k] = p
			}
			p.merge(s)
		}
	}
}

// foldPairs adds pairs to usage_pairs.
func foldPairs(ctx context.Context, tx *sql.Tx, pairs map[pairKey]*sums) error {
	st, err := tx.PrepareContext(ctx, `INSERT INTO usage_pairs(fdim, fval, gdim, hour, gval, requests, errors, fallbacks,
		tokens_in, tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd,
		value_unknown) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(fdim, fval, gdim, hour, gval) DO UPDATE SET `+addSums)
	if err != nil {
		return fmt.Errorf("usage: rollup pairs: %w", err)
	}
	defer st.Close()
	i := 0
	for k, p := range pairs {
		if i++; i%64 == 0 {
			runtime.Gosched()
		}
		gdim := ""
		if k.g >= 0 {
			gdim = Dimensions[k.g]
		}
		if _, err := st.ExecContext(ctx, Dimensions[k.f], k.fv, gdim, k.hour, k.gv, p.requests, p.errors, p.fallbacks,
			p.in, p.out, p.cached, p.cacheWrite, p.reasoning, p.cost, p.unpriced, p.value, p.valueUnknown); err != nil {
			return fmt.Errorf("usage: rollup pairs: %w", err)
		}
	}
	return nil
}

// foldDim adds g to its usage_dims row.
func foldDim(ctx context.Context, tx *sql.Tx, k dimKey, g *sums) error {
	var cur sums
	var lat, ttft []byte
	err := tx.QueryRowContext(ctx, `SELECT requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached,
		tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown, latency_hist, ttft_hist
		FROM usage_dims WHERE dim = ? AND hour = ? AND v1 = ? AND v2 = ?`, k.dim, k.hour, k.v1, k.v2).
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
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO usage_dims(dim, hour, v1, v2, requests, errors, fallbacks,
		tokens_in, tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd,
		value_unknown, latency_hist, ttft_hist) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		k.dim, k.hour, k.v1, k.v2, cur.requests, cur.errors, cur.fallbacks, cur.in, cur.out, cur.cached,
		cur.cacheWrite, cur.reasoning, cur.cost, cur.unpriced, cur.value, cur.valueUnknown,
		cur.latency.encode(), cur.ttft.encode())
	if err != nil {
		return fmt.Errorf("usage: rollup: %w", err)
	}
	return nil
}
