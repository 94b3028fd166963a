package usage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/store"
)

// RowCost is the one place a log row's money is estimated (per-key budgets
// and the metrics use it): catalog prices of its provider and upstream
// model. known is false when the model has no price (then 0 is returned,
// and a budget in USD does not see the request). A row without tokens
// costs nothing, priced or not.
func RowCost(r *Row) (usd float64, known bool) {
	if r.UnitKind != "" { // a media request: priced per unit (images, seconds…), not per token
		return r.UnitsCostUSD, true
	}
	if r.TokensIn == 0 && r.TokensOut == 0 {
		return 0, true
	}
	p, ok := rowPrice(r.Provider, r.UpstreamModel)
	if !ok {
		return 0, false
	}
	return p.Cost(int64(r.TokensIn), int64(r.TokensCached), int64(r.TokensOut)), true
}

// catalogPrices indexes CatalogPrice's figures once: RowCost runs for every
// recorded request, and a catalog lookup copies the provider's entry.
var catalogPrices = sync.OnceValue(func() map[string]map[string]Price {
	out := map[string]map[string]Price{}
	for _, e := range provider.All() {
		ms := map[string]Price{}
		for _, m := range e.Models {
			if p, ok := CatalogPrice(e.ID, m.ID); ok {
				ms[m.ID] = p
			}
		}
		out[e.ID] = ms
	}
	return out
})

// rowPrice is CatalogPrice without copying anything.
func rowPrice(providerID, model string) (Price, bool) {
	p, ok := catalogPrices()[providerID][model]
	return p, ok
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

// SpendByKey sums the log per key since monthStart, and since dayStart of
// that, pricing each provider and model like RowCost. One grouped query
// over the ts index (at start: budgets hold across restarts).
func SpendByKey(ctx context.Context, db *store.DB, dayStart, monthStart time.Time) (map[string]KeySpend, error) {
	day := dayStart.UnixMilli()
	rows, err := db.QueryContext(ctx, `SELECT key_name, provider, upstream_model, ts >= ?, COUNT(*),
		COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(tokens_cached), 0),
		COALESCE(SUM(CASE WHEN tokens_in + tokens_out > 0 AND unit_kind = '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(units_cost_usd), 0)
		FROM request_logs WHERE ts >= ? AND key_name != '' GROUP BY 1, 2, 3, 4`, day, monthStart.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("usage: spend by key: %w", err)
	}
	defer rows.Close()
	out := map[string]KeySpend{}
	for rows.Next() {
		var key, prov, model string
		var today bool
		var n, in, outTok, cached, withTokens int64
		var unitsUSD float64
		if err := rows.Scan(&key, &prov, &model, &today, &n, &in, &outTok, &cached, &withTokens, &unitsUSD); err != nil {
			return nil, fmt.Errorf("usage: spend by key: %w", err)
		}
		p := PeriodSpend{Requests: n, Tokens: in + outTok, USD: unitsUSD}
		if withTokens > 0 {
			if price, ok := rowPrice(prov, model); ok {
				p.USD += price.Cost(in, cached, outTok)
			} else {
				p.Unpriced = withTokens
			}
		}
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
