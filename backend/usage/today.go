package usage

import (
	"context"
	"fmt"
	"time"

	"switchboard/backend/store"
)

// Totals sums the request log over a period (the tray's "today" line and
// the Overview's card).
type Totals struct {
	Since     int64   `json:"since"` // unix ms, inclusive
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"` // status >= 400
	TokensIn  int64   `json:"tokensIn"`
	TokensOut int64   `json:"tokensOut"`
	CostUSD   float64 `json:"costUsd"` // the rows' costs (price.go)
	// Unpriced counts requests that used tokens on a model without a known
	// price (custom providers, models missing from the catalog): the cost
	// is then a lower bound.
	Unpriced int64 `json:"unpriced"`
	// ValueUSD is what the requests made through subscriptions would have
	// cost on the API (the plans' savings); ValueUnknown counts those whose
	// model has no API equivalent.
	ValueUSD     float64 `json:"valueUsd"`
	ValueUnknown int64   `json:"valueUnknown"`
}

// LocalMidnight is the start of now's day in now's location.
func LocalMidnight(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
}

// Today sums the request log since local midnight (now's location).
func Today(ctx context.Context, db *store.DB, now time.Time) (Totals, error) {
	return Since(ctx, db, LocalMidnight(now))
}

// Since sums the request log from since on: one aggregate over the ts
// index, of the cost and value each row was recorded with.
func Since(ctx context.Context, db *store.DB, since time.Time) (Totals, error) {
	t := Totals{Since: since.UnixMilli()}
	err := db.QueryRowContext(ctx, sinceSQL, t.Since).Scan(&t.Requests, &t.Errors, &t.TokensIn, &t.TokensOut,
		&t.CostUSD, &t.Unpriced, &t.ValueUSD, &t.ValueUnknown)
	if err != nil {
		return t, fmt.Errorf("usage: totals: %w", err)
	}
	return t, nil
}

const sinceSQL = `SELECT COUNT(*),
	COALESCE(SUM(status >= 400), 0), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0),
	COALESCE(SUM(cost_usd), 0), COALESCE(SUM(` + unpricedSQL + `), 0),
	COALESCE(SUM(value_usd), 0), COALESCE(SUM(` + valueUnknownSQL + `), 0)
	FROM request_logs WHERE ts >= ?`

// A row is unpriced when it used tokens and no price was known; a
// subscription row's value is unknown the same way.
const (
	usedTokensSQL   = `(tokens_in + tokens_out > 0)`
	unpricedSQL     = `(cost_usd IS NULL AND ` + usedTokensSQL + `)`
	valueUnknownSQL = `(billing = 'subscription' AND value_usd IS NULL AND ` + usedTokensSQL + `)`
)
