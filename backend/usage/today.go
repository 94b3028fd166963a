package usage

import (
	"context"
	"fmt"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/store"
)

// Totals sums the request log over a period (the tray's "today" line).
type Totals struct {
	Since     int64   `json:"since"` // unix ms, inclusive
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"` // status >= 400
	TokensIn  int64   `json:"tokensIn"`
	TokensOut int64   `json:"tokensOut"`
	CostUSD   float64 `json:"costUsd"` // estimated from catalog prices
	// Unpriced counts requests that used tokens on a model without a known
	// price (custom providers, models missing from the catalog): the cost
	// is then a lower bound.
	Unpriced int64 `json:"unpriced"`
}

// Price is a model's USD price per million tokens: input, output, and
// input read from the vendor's prompt cache (0: billed as input).
type Price struct{ In, Out, Cached float64 }

// PriceFunc returns a model's prices and whether they are known.
type PriceFunc func(providerID, model string) (Price, bool)

// CatalogPrice prices from the built-in provider catalog.
func CatalogPrice(providerID, model string) (Price, bool) {
	e, ok := provider.Lookup(providerID)
	if !ok {
		return Price{}, false
	}
	m, ok := e.Model(model)
	if !ok {
		return Price{}, false
	}
	return Price{In: m.InputPrice, Out: m.OutputPrice, Cached: m.CachedPrice}, true
}

// Cost is what in input tokens (cached of them read from the prompt
// cache) and out output tokens cost at p.
func (p Price) Cost(in, cached, out int64) float64 {
	cachedPrice := p.Cached
	if cachedPrice == 0 {
		cachedPrice = p.In
	}
	cached = min(cached, in)
	return (float64(in-cached)*p.In + float64(cached)*cachedPrice + float64(out)*p.Out) / 1e6
}

// LocalMidnight is the start of now's day in now's location.
func LocalMidnight(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
}

// Today sums the request log since local midnight (now's location). One
// grouped query over the ts index; prices are applied per provider and
// upstream model. price nil means CatalogPrice.
func Today(ctx context.Context, db *store.DB, now time.Time, price PriceFunc) (Totals, error) {
	return Since(ctx, db, LocalMidnight(now), price)
}

// Since sums the request log from since on.
func Since(ctx context.Context, db *store.DB, since time.Time, price PriceFunc) (Totals, error) {
	if price == nil {
		price = CatalogPrice
	}
	t := Totals{Since: since.UnixMilli()}
	rows, err := db.QueryContext(ctx, `SELECT provider, upstream_model, COUNT(*),
		COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(tokens_cached), 0)
		FROM request_logs WHERE ts >= ? GROUP BY provider, upstream_model`, t.Since)
	if err != nil {
		return t, fmt.Errorf("usage: today: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var prov, model string
		var n, errs, in, out, cached int64
		if err := rows.Scan(&prov, &model, &n, &errs, &in, &out, &cached); err != nil {
			return t, fmt.Errorf("usage: today: %w", err)
		}
		t.Requests += n
		t.Errors += errs
		t.TokensIn += in
		t.TokensOut += out
		if in == 0 && out == 0 {
			continue
		}
		p, ok := price(prov, model)
		if !ok {
			t.Unpriced += n
			continue
		}
		t.CostUSD += p.Cost(in, cached, out)
	}
	return t, rows.Err()
}
