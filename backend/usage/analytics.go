package usage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/backend/store"
)

// Analytics: aggregates of the request log over a time range, read from
// the hourly rollups plus the raw rows not rolled up yet (see rollup.go),
// so history outlives the raw rows and nothing is counted twice.

// AnalyticsQuery selects what to aggregate. The range is widened to whole
// hours (rollups are hourly).
type AnalyticsQuery struct {
	From int64 `json:"from"` // unix ms, inclusive
	To   int64 `json:"to"`   // unix ms, exclusive (0: now)
	// Bucket is the series' step: hour or day ("" picks hour up to 3 days).
	Bucket string `json:"bucket"`
	// TZOffsetMin is minutes east of UTC: days start at local midnight.
	TZOffsetMin int `json:"tzOffsetMin"`
	// GroupBy is the breakdown's dimension (Dimensions; default provider).
	GroupBy string `json:"groupBy"`
	// Filters: only rows matching every one set.
	Provider string `json:"provider"`
	Account  string `json:"account"`
	Model    string `json:"model"` // upstream model
	Key      string `json:"key"`
	Tool     string `json:"tool"`
	Combo    string `json:"combo"`
}

// Dimensions lists the breakdowns and filters, as they are named in a
// query, with their column.
var Dimensions = []string{"provider", "account", "model", "key", "tool", "combo"}

var dimColumn = map[string]string{"provider": "provider", "account": "account", "model": "model",
	"key": "key_name", "tool": "tool", "combo": "combo"}

// Sums are the additive figures of a range, bucket or group.
type Sums struct {
	Requests         int64   `json:"requests"`
	Errors           int64   `json:"errors"`
	Fallbacks        int64   `json:"fallbacks"` // answered after more than one attempt
	TokensIn         int64   `json:"tokensIn"`
	TokensOut        int64   `json:"tokensOut"`
	TokensCached     int64   `json:"tokensCached"`
	TokensCacheWrite int64   `json:"tokensCacheWrite"`
	TokensReasoning  int64   `json:"tokensReasoning"`
	CostUSD          float64 `json:"costUsd"`
	Unpriced         int64   `json:"unpriced"` // requests with tokens and no known price
	ValueUSD         float64 `json:"valueUsd"` // API-equivalent value of subscription requests (savings)
	ValueUnknown     int64   `json:"valueUnknown"`
}

// Point is one bucket of the series.
type Point struct {
	T int64 `json:"t"` // unix ms at the bucket's start
	Sums
}

// Group is one value of a dimension.
type Group struct {
	Key string `json:"key"`
	Sums
}

// Percentiles are latency and time-to-first-token percentiles (ms) of the
// successful requests to one provider's model.
type Percentiles struct {
	Provider  string `json:"provider"`
	Model     string `json:"model"`
	Requests  int64  `json:"requests"`
	P50       int64  `json:"p50"`
	P95       int64  `json:"p95"`
	P99       int64  `json:"p99"`
	TTFTCount int64  `json:"ttftCount"`
	TTFTP50   int64  `json:"ttftP50"`
	TTFTP95   int64  `json:"ttftP95"`
	TTFTP99   int64  `json:"ttftP99"`
}

// Report is the Analytics page's data.
type Report struct {
	From        int64         `json:"from"`
	To          int64         `json:"to"`
	Bucket      string        `json:"bucket"`
	GroupBy     string        `json:"groupBy"`
	Totals      Sums          `json:"totals"`
	Series      []Point       `json:"series"`
	Breakdown   []Group       `json:"breakdown"`
	Latency     []Percentiles `json:"latency"`
	TopSpenders []Group       `json:"topSpenders"` // keys by cost plus plan value
	// LatencyUnfiltered: the latency table covers every request to its
	// providers' models (it keeps only the provider and model filters).
	LatencyUnfiltered bool `json:"latencyUnfiltered"`
}

// maxBuckets bounds a series (hourly over 90 days).
const maxBuckets = 24 * 90

// Normalize fills defaults and checks the query.
func (q *AnalyticsQuery) Normalize(now time.Time) error {
	if q.To <= 0 {
		q.To = now.UnixMilli()
	}
	if q.From <= 0 {
		q.From = q.To - 24*hourMS
	}
	q.From -= q.From % hourMS
	if r := q.To % hourMS; r != 0 {
		q.To += hourMS - r
	}
	if q.From >= q.To {
		return fmt.Errorf("from must be before to")
	}
	if q.Bucket == "" {
		q.Bucket = "hour"
		if q.To-q.From > 3*24*hourMS {
			q.Bucket = "day"
		}
	}
	step := int64(hourMS)
	switch q.Bucket {
	case "hour":
	case "day":
		step = 24 * hourMS
	default:
		return fmt.Errorf("bucket %q is not hour or day", q.Bucket)
	}
	if (q.To-q.From)/step > maxBuckets {
		return fmt.Errorf("the range has more than %d %ss; pick a larger bucket or a shorter range", maxBuckets, q.Bucket)
	}
	if q.TZOffsetMin < -14*60 || q.TZOffsetMin > 14*60 {
		return fmt.Errorf("tzOffsetMin %d is not a time zone offset", q.TZOffsetMin)
	}
	if q.GroupBy == "" {
		q.GroupBy = "provider"
	}
	if dimColumn[q.GroupBy] == "" {
		return fmt.Errorf("groupBy %q is not one of %s", q.GroupBy, strings.Join(Dimensions, ", "))
	}
	return nil
}

// rawColumn is a dimension's column in request_logs (the empty name: the total).
var rawColumn = map[string]string{"": "''", "provider": "provider", "account": "account", "model": "upstream_model",
	"key": "key_name", "tool": "tool", "combo": "combo"}

// filtered reports a query with a filter: with one, it reads usage_pairs;
// with more, usage_hourly, which has every dimension of a row; without
// one, usage_dims' few rows per hour.
func (q *AnalyticsQuery) filtered() bool {
	return q.Provider != "" || q.Account != "" || q.Model != "" || q.Key != "" || q.Tool != "" || q.Combo != ""
}

// single reports the dimension and value of q's filter when it has
// exactly one (usage_pairs answers those).
func (q *AnalyticsQuery) single() (dim, val string, ok bool) {
	n := 0
	for _, f := range [...]struct{ dim, v string }{{"provider", q.Provider}, {"account", q.Account}, {"model", q.Model},
		{"key", q.Key}, {"tool", q.Tool}, {"combo", q.Combo}} {
		if f.v != "" {
			dim, val, n = f.dim, f.v, n+1
		}
	}
	return dim, val, n == 1
}

// The raw rows are those after the rollup mark: "+ts" keeps SQLite from
// walking the ts index over the whole range (a million rows for 30 days)
// instead of the few rows after the mark.

// source is the union of rollups and raw rows for q with dimension dim
// (empty for the total) as column g, as one SQL table expression with its
// arguments: usage_pairs for one filter, usage_dims for none (the other
// queries go to scanHourly).
func (q *AnalyticsQuery) source(dim string, m marks) (string, []any) {
	rw, rargs := filterSQL(q, true)
	var rollup string
	var args []any
	if fdim, fval, ok := q.single(); ok {
		// One filter: its own rows in usage_pairs (its totals when the
		// breakdown is the filtered dimension itself or none).
		gdim, g := dim, "gval"
		if dim == fdim || dim == "" {
			gdim, g = "", "fval"
			if dim == "" {
				g = "''"
			}
		}
		rollup = `SELECT hour AS t, ` + g + ` AS g, requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached,
			tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown
			FROM usage_pairs WHERE fdim = ? AND fval = ? AND gdim = ? AND hour >= ? AND hour < ?`
		args = []any{fdim, fval, gdim, q.From, q.To}
	} else {
		rollup = `SELECT hour AS t, v1 AS g, requests, errors, fallbacks, tokens_in, tokens_out, tokens_cached,
			tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown
			FROM usage_dims WHERE dim = ? AND hour >= ? AND hour < ?`
		args = []any{dim, q.From, q.To}
	}
	src := `(` + rollup + `
		UNION ALL
		SELECT ts - ts % 3600000, ` + rawColumn[dim] + `, 1, status >= 400, attempts > 1, tokens_in, tokens_out,
		tokens_cached, tokens_cache_write, tokens_reasoning, COALESCE(cost_usd, 0), ` + unpricedSQL + `,
		COALESCE(value_usd, 0), ` + valueUnknownSQL + `
		FROM request_logs WHERE id > ? AND +ts >= ? AND +ts < ?` + rw + `)`
	args = append(args, m.lastID, q.From, q.To)
	return src, append(args, rargs...)
}

// marks are the rollup state a report reads: rows with ids up to lastID are
// in the rollups; usage_pairs is complete from the hour pairsFrom.
type marks struct{ lastID, pairsFrom int64 }

const sumColumns = `COUNT(*) > 0, COALESCE(SUM(requests), 0), COALESCE(SUM(errors), 0), COALESCE(SUM(fallbacks), 0),
	COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(tokens_cached), 0),
	COALESCE(SUM(tokens_cache_write), 0), COALESCE(SUM(tokens_reasoning), 0), COALESCE(SUM(cost_usd), 0),
	COALESCE(SUM(unpriced), 0), COALESCE(SUM(value_usd), 0), COALESCE(SUM(value_unknown), 0)`

func (s *Sums) dest() []any {
	var any_ bool
	return []any{&any_, &s.Requests, &s.Errors, &s.Fallbacks, &s.TokensIn, &s.TokensOut, &s.TokensCached,
		&s.TokensCacheWrite, &s.TokensReasoning, &s.CostUSD, &s.Unpriced, &s.ValueUSD, &s.ValueUnknown}
}

// Analyze aggregates the request log for q.
func Analyze(ctx context.Context, db *store.DB, q AnalyticsQuery, now time.Time) (Report, error) {
	if err := q.Normalize(now); err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	rep := Report{From: q.From, To: q.To, Bucket: q.Bucket, GroupBy: q.GroupBy,
		Series: []Point{}, Breakdown: []Group{}, Latency: []Percentiles{}, TopSpenders: []Group{}}
	// One read transaction: the rollup mark and both sources are seen at
	// the same moment, whatever a concurrent rollup does.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return rep, fmt.Errorf("usage: analytics: %w", err)
	}
	defer tx.Rollback()
	var mark marks
	if err := tx.QueryRowContext(ctx, `SELECT last_id, pairs_from FROM rollup_state`).Scan(&mark.lastID, &mark.pairsFrom); err != nil {
		return rep, fmt.Errorf("usage: analytics: %w", err)
	}
	if q.hourlyAnswers(mark) {
		if err := scanHourly(ctx, tx, &q, mark, &rep); err != nil {
			return rep, err
		}
	} else if err := aggregate(ctx, tx, &q, mark, &rep); err != nil {
		return rep, err
	}
	rep.LatencyUnfiltered = q.Account != "" || q.Key != "" || q.Tool != "" || q.Combo != ""
	if rep.Latency, err = latency(ctx, tx, &q, mark.lastID); err != nil {
		return rep, err
	}
	return rep, nil
}

// aggregate fills rep's totals, series, breakdown and top spenders with
// one aggregate query each over the rollups that answer q (a few rows per
// hour) and the raw rows after the mark.
func aggregate(ctx context.Context, tx *sql.Tx, q *AnalyticsQuery, mark marks, rep *Report) error {
	src, args := q.source("", mark)
	if err := tx.QueryRowContext(ctx, `SELECT `+sumColumns+` FROM `+src, args...).Scan(rep.Totals.dest()...); err != nil {
		return fmt.Errorf("usage: analytics totals: %w", err)
	}
	var err error
	if rep.Series, err = series(ctx, tx, q, src, args); err != nil {
		return err
	}
	src, args = q.source(q.GroupBy, mark)
	if rep.Breakdown, err = groups(ctx, tx, src, args, 50); err != nil {
		return err
	}
	src, args = q.source("key", mark)
	rep.TopSpenders, err = groups(ctx, tx, src, args, 10)
	return err
}

// spendOrder puts the groups that used the most money (paid or through a
// plan) first.
const spendOrder = `SUM(cost_usd) + SUM(value_usd) DESC, SUM(requests) DESC, g`

// ErrBadQuery marks a query the caller must correct.
var ErrBadQuery = fmt.Errorf("invalid analytics query")

func series(ctx context.Context, tx *sql.Tx, q *AnalyticsQuery, src string, args []any) ([]Point, error) {
	bucket := "t"
	if q.Bucket == "day" {
		off := int64(q.TZOffsetMin) * 60_000
		bucket = fmt.Sprintf("((t + %d) / 86400000) * 86400000 - %d", off, off)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+bucket+` AS b, `+sumColumns+` FROM `+src+` GROUP BY b ORDER BY b`, args...)
	if err != nil {
		return nil, fmt.Errorf("usage: analytics series: %w", err)
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var p Point
		if err := rows.Scan(append([]any{&p.T}, p.dest()...)...); err != nil {
			return nil, fmt.Errorf("usage: analytics series: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func groups(ctx context.Context, tx *sql.Tx, src string, args []any, limit int) ([]Group, error) {
	rows, err := tx.QueryContext(ctx, `SELECT g, `+sumColumns+` FROM `+src+` GROUP BY g ORDER BY `+spendOrder+
		fmt.Sprintf(` LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("usage: analytics groups: %w", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		var g Group
		if err := rows.Scan(append([]any{&g.Key}, g.dest()...)...); err != nil {
			return nil, fmt.Errorf("usage: analytics groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// latency merges the rollups' histograms with the raw rows' values per
// provider and model (only the provider and model filters apply).
func latency(ctx context.Context, tx *sql.Tx, q *AnalyticsQuery, mark int64) ([]Percentiles, error) {
	type pmHist struct{ lat, ttft hist }
	acc := map[pm]*pmHist{}
	get := func(k pm) *pmHist {
		h := acc[k]
		if h == nil {
			h = &pmHist{}
			acc[k] = h
		}
		return h
	}
	pmq := AnalyticsQuery{Provider: q.Provider, Model: q.Model}
	var where string
	var args []any
	if q.Provider != "" {
		where, args = where+" AND v1 = ?", append(args, q.Provider)
	}
	if q.Model != "" {
		where, args = where+" AND v2 = ?", append(args, q.Model)
	}
	rows, err := tx.QueryContext(ctx, `SELECT v1, v2, latency_hist, ttft_hist FROM usage_dims
		WHERE dim = 'pm' AND hour >= ? AND hour < ?`+where, append([]any{q.From, q.To}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("usage: analytics latency: %w", err)
	}
	for rows.Next() {
		var k pm
		var lat, ttft []byte
		if err := rows.Scan(&k.provider, &k.model, &lat, &ttft); err != nil {
			rows.Close()
			return nil, fmt.Errorf("usage: analytics latency: %w", err)
		}
		h := get(k)
		h.lat.merge(decodeHist(lat))
		h.ttft.merge(decodeHist(ttft))
	}
	rows.Close()
	where, args = filterSQL(&pmq, true)
	rows, err = tx.QueryContext(ctx, `SELECT provider, upstream_model, latency_ms, ttft_ms FROM request_logs
		WHERE id > ? AND +ts >= ? AND +ts < ? AND status < 400`+where, append([]any{mark, q.From, q.To}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("usage: analytics latency: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k pm
		var lat, ttft int64
		if err := rows.Scan(&k.provider, &k.model, &lat, &ttft); err != nil {
			return nil, fmt.Errorf("usage: analytics latency: %w", err)
		}
		h := get(k)
		h.lat.add(lat)
		if ttft > 0 {
			h.ttft.add(ttft)
		}
	}
	out := []Percentiles{}
	for k, h := range acc {
		if h.lat.count() == 0 || k.provider == "" {
			continue
		}
		out = append(out, Percentiles{Provider: k.provider, Model: k.model, Requests: h.lat.count(),
			P50: h.lat.quantile(0.5), P95: h.lat.quantile(0.95), P99: h.lat.quantile(0.99),
			TTFTCount: h.ttft.count(), TTFTP50: h.ttft.quantile(0.5), TTFTP95: h.ttft.quantile(0.95), TTFTP99: h.ttft.quantile(0.99)})
	}
	slices.SortFunc(out, func(a, b Percentiles) int {
		if a.Requests != b.Requests {
			return int(b.Requests - a.Requests)
		}
		return strings.Compare(a.Provider+"/"+a.Model, b.Provider+"/"+b.Model)
	})
	return out, rows.Err()
}

// filterSQL is q's filters as AND conditions on usage_hourly or, raw,
// on request_logs.
func filterSQL(q *AnalyticsQuery, raw bool) (string, []any) {
	var b strings.Builder
	var args []any
	for _, f := range []struct{ dim, v string }{{"provider", q.Provider}, {"account", q.Account}, {"model", q.Model},
		{"key", q.Key}, {"tool", q.Tool}, {"combo", q.Combo}} {
		if f.v == "" {
			continue
		}
		col := dimColumn[f.dim]
		if raw {
			// Raw rows are read by rowid after the rollup mark: no index.
			col = "+" + rawColumn[f.dim]
		}
		b.WriteString(" AND " + col + " = ?")
		args = append(args, f.v)
	}
	return b.String(), args
}
