package usage

import (
	"context"
	"fmt"
	"time"

	"switchboard/backend/store"
)

// RowCost is a log row's money as per-key budgets and the metrics see it:
// the cost Record priced it at (price.go; a media request's unit cost, a
// subscription's 0). known is false when the model has no price (then 0 is
// returned, and a budget in USD does not see the request).
func RowCost(r *Row) (usd float64, known bool) {
	if r.Billing == "" { // not through Record yet: price it the same way
		CatalogPrices().priceRow(r)
	}
	return r.CostUSD, r.CostKnown
}

// PeriodSpend is what one key used in a period.
type PeriodSpend struct {
	USD      float64
	Tokens   int64 // input + output
	Requests int64
	Unpriced int64 // requests with tokens on a model without a known price
}

// KeySpend is a key's spend since local midnight and since the 1st.
type KeySpend struct{ Today, Month PeriodSpend }

const spendByKeySQL = `SELECT key_name, ts >= ?, COUNT(*),
	COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0),
	COALESCE(SUM(COALESCE(cost_usd, CASE WHEN unit_kind != '' THEN units_cost_usd END, 0)), 0),
	COALESCE(SUM(CASE WHEN cost_usd IS NULL AND unit_kind = '' AND tokens_in + tokens_out > 0 THEN 1 ELSE 0 END), 0)
	FROM request_logs WHERE ts >= ? AND key_name != '' GROUP BY 1, 2`

// SpendByKey sums the log per key since monthStart, and since dayStart of
// that, from the cost every row was priced at when it was recorded. One
// grouped query, which SQLite answers by walking request_logs_key_ts in
// key order (at start: budgets hold across restarts).
func SpendByKey(ctx context.Context, db *store.DB, dayStart, monthStart time.Time) (map[string]KeySpend, error) {
	day := dayStart.UnixMilli()
	rows, err := db.QueryContext(ctx, spendByKeySQL, day, monthStart.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("usage: spend by key: %w", err)
	}
	defer rows.Close()
	out := map[string]KeySpend{}
	for rows.Next() {
		var key string
		var today bool
		var n, in, outTok, unpriced int64
		var usd float64
		if err := rows.Scan(&key, &today, &n, &in, &outTok, &usd, &unpriced); err != nil {
			return nil, fmt.Errorf("usage: spend by key: %w", err)
		}
		p := PeriodSpend{Requests: n, Tokens: in + outTok, USD: usd, Unpriced: unpriced}
		ks := out[key]
		ks.Month.add(p)
		if today {
			ks.Today.add(p)
		}
		out[key] = ks
	}
	return out, rows.Err()
}

func (a *PeriodSpend) add(b PeriodSpend) {
	a.USD += b.USD
	a.Tokens += b.Tokens
	a.Requests += b.Requests
	a.Unpriced += b.Unpriced
}
