package usage

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Analytics with filters usage_pairs cannot answer (two or more, or one
// over hours from before the pairs existed) reads usage_hourly, whose rows
// for a month can number as many as the log's when dimensions rarely
// repeat together. It is read once, here, and totals, series, breakdown
// and top spenders summed from the same rows, rather than by four
// aggregate queries that each scan them.

// add sums o into s.
func (s *Sums) add(o *Sums) {
	s.Requests += o.Requests
	s.Errors += o.Errors
	s.Fallbacks += o.Fallbacks
	s.TokensIn += o.TokensIn
	s.TokensOut += o.TokensOut
	s.TokensCached += o.TokensCached
	s.TokensCacheWrite += o.TokensCacheWrite
	s.TokensReasoning += o.TokensReasoning
	s.CostUSD += o.CostUSD
	s.Unpriced += o.Unpriced
	s.ValueUSD += o.ValueUSD
	s.ValueUnknown += o.ValueUnknown
}

// hourlyAnswers reports whether q is read from usage_hourly.
func (q *AnalyticsQuery) hourlyAnswers(m marks) bool {
	_, _, one := q.single()
	return q.filtered() && (!one || q.From < m.pairsFrom)
}

// scanHourly fills rep's totals, series, breakdown and top spenders from
// one read of usage_hourly and the raw rows after the mark.
func scanHourly(ctx context.Context, tx *sql.Tx, q *AnalyticsQuery, m marks, rep *Report) error {
	hw, hargs := filterSQL(q, false)
	rw, rargs := filterSQL(q, true)
	query := `SELECT hour, ` + dimColumn[q.GroupBy] + `, key_name, requests, errors, fallbacks, tokens_in, tokens_out,
		tokens_cached, tokens_cache_write, tokens_reasoning, cost_usd, unpriced, value_usd, value_unknown
		FROM usage_hourly WHERE hour >= ? AND hour < ?` + hw + `
		UNION ALL
		SELECT ts - ts % 3600000, ` + rawColumn[q.GroupBy] + `, key_name, 1, status >= 400, attempts > 1, tokens_in,
		tokens_out, tokens_cached, tokens_cache_write, tokens_reasoning, COALESCE(cost_usd, 0), ` + unpricedSQL + `,
		COALESCE(value_usd, 0), ` + valueUnknownSQL + `
		FROM request_logs WHERE id > ? AND +ts >= ? AND +ts < ?` + rw
	args := append(append(append([]any{q.From, q.To}, hargs...), m.lastID, q.From, q.To), rargs...)
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("usage: analytics: %w", err)
	}
	defer rows.Close()
	step, off := int64(hourMS), int64(0)
	if q.Bucket == "day" {
		step, off = 24*hourMS, int64(q.TZOffsetMin)*60_000
	}
	series := map[int64]*Sums{}
	byGroup, byKey := map[string]*Sums{}, map[string]*Sums{}
	into := func(m map[string]*Sums, k string, s *Sums) {
		if m[k] == nil {
			m[k] = &Sums{}
		}
		m[k].add(s)
	}
	for rows.Next() {
		var t int64
		var g, k string
		var s Sums
		if err := rows.Scan(&t, &g, &k, &s.Requests, &s.Errors, &s.Fallbacks, &s.TokensIn, &s.TokensOut, &s.TokensCached,
			&s.TokensCacheWrite, &s.TokensReasoning, &s.CostUSD, &s.Unpriced, &s.ValueUSD, &s.ValueUnknown); err != nil {
			return fmt.Errorf("usage: analytics: %w", err)
		}
		rep.Totals.add(&s)
		b := ((t+off)/step)*step - off
		if series[b] == nil {
			series[b] = &Sums{}
		}
		series[b].add(&s)
		into(byGroup, g, &s)
		into(byKey, k, &s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage: analytics: %w", err)
	}
	for _, b := range slices.Sorted(maps.Keys(series)) {
		rep.Series = append(rep.Series, Point{T: b, Sums: *series[b]})
	}
	rep.Breakdown, rep.TopSpenders = bySpend(byGroup, 50), bySpend(byKey, 10)
	return nil
}

// bySpend is groups in spendOrder, at most limit.
func bySpend(m map[string]*Sums, limit int) []Group {
	out := make([]Group, 0, len(m))
	for k, s := range m {
		out = append(out, Group{Key: k, Sums: *s})
	}
	slices.SortFunc(out, func(a, b Group) int {
		if sa, sb := a.CostUSD+a.ValueUSD, b.CostUSD+b.ValueUSD; sa != sb {
			if sa > sb {
				return -1
			}
			return 1
		}
		if a.Requests != b.Requests {
			if a.Requests > b.Requests {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out[:min(len(out), limit)]
}
