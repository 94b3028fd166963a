package usage

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"switchboard/backend/store"
)

// ErrNotFound means no log row has that id.
var ErrNotFound = errors.New("usage: no such log row")

// allColumns are a row's every column, bodies and headers included.
const allColumns = `id, req_id, ts, key_name, client_dialect, endpoint, requested_model, provider, account,
	upstream_model, upstream_dialect, stream, status, error_kind, error_message, latency_ms, ttft_ms,
	tokens_in, tokens_out, tokens_cached, tokens_reasoning, attempts, route, units, unit_kind, units_cost_usd,
	tokens_cache_write, tool, combo, billing, cost_usd, value_usd, request_body, response_body, headers`

func scanFull(sc interface{ Scan(...any) error }, w *Row) error {
	var cost, value sql.NullFloat64
	err := sc.Scan(&w.ID, &w.ReqID, &w.TS, &w.KeyName, &w.ClientDialect, &w.Endpoint, &w.RequestedModel,
		&w.Provider, &w.Account, &w.UpstreamModel, &w.UpstreamDialect, &w.Stream, &w.Status, &w.ErrorKind,
		&w.ErrorMessage, &w.LatencyMS, &w.TTFTMS, &w.TokensIn, &w.TokensOut, &w.TokensCached,
		&w.TokensReasoning, &w.Attempts, &w.Route, &w.Units, &w.UnitKind, &w.UnitsCostUSD,
		&w.TokensCacheWrite, &w.Tool, &w.Combo, &w.Billing, &cost, &value, &w.RequestBody, &w.ResponseBody, &w.Headers)
	w.CostUSD, w.CostKnown = cost.Float64, cost.Valid
	w.ValueUSD, w.ValueKnown = value.Float64, value.Valid
	w.HasBody = w.RequestBody != "" || w.ResponseBody != "" || w.Headers != ""
	return err
}

// Detail returns one row with its bodies and headers.
func Detail(ctx context.Context, db *store.DB, id int64) (Row, error) {
	var w Row
	err := scanFull(db.QueryRowContext(ctx, `SELECT `+allColumns+` FROM request_logs WHERE id = ?`, id), &w)
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, ErrNotFound
	}
	if err != nil {
		return Row{}, fmt.Errorf("usage: detail: %w", err)
	}
	return w, nil
}

// Export formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// csvHeader names the CSV columns (the JSON Lines field names).
var csvHeader = []string{"id", "reqId", "time", "keyName", "clientDialect", "endpoint", "requestedModel", "provider",
	"account", "upstreamModel", "upstreamDialect", "stream", "status", "errorKind", "errorMessage", "latencyMs", "ttftMs",
	"tokensIn", "tokensOut", "tokensCached", "tokensReasoning", "attempts", "route", "units", "unitKind", "unitsCostUsd",
	"requestBody", "responseBody", "headers"}

// Export writes every row f selects (newest first, its Limit and cursor
// applied when set) to w as CSV or JSON Lines, row by row from the
// database cursor: nothing is gathered in memory, so a million rows cost
// what one does. It returns the rows written.
func Export(ctx context.Context, db *store.DB, f Filter, format string, w io.Writer) (int, error) {
	if format != FormatCSV && format != FormatJSONL {
		return 0, fmt.Errorf("usage: export format %q is not csv or jsonl", format)
	}
	where, args := f.where()
	q := `SELECT ` + allColumns + ` FROM request_logs` + where + ` ORDER BY ts DESC, id DESC`
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("usage: export: %w", err)
	}
	defer rows.Close()
	var put func(*Row) error
	flush := func() error { return nil }
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return 0, err
		}
		rec := make([]string, len(csvHeader))
		put = func(r *Row) error { return cw.Write(csvRecord(rec, r)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		put = func(r *Row) error { return enc.Encode(r) }
	}
	n := 0
	for rows.Next() {
		var r Row
		if err := scanFull(rows, &r); err != nil {
			return n, fmt.Errorf("usage: export: %w", err)
		}
		r.HasBody = false // a list field; the export carries the bodies themselves
		if err := put(&r); err != nil {
			return n, err
		}
		n++
		if n%256 == 0 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("usage: export: %w", err)
	}
	return n, flush()
}

func csvRecord(rec []string, r *Row) []string {
	i := strconv.Itoa
	rec = append(rec[:0], strconv.FormatInt(r.ID, 10), r.ReqID, time.UnixMilli(r.TS).UTC().Format(time.RFC3339Nano),
		r.KeyName, r.ClientDialect, r.Endpoint, r.RequestedModel, r.Provider, r.Account, r.UpstreamModel,
		r.UpstreamDialect, strconv.FormatBool(r.Stream), i(r.Status), r.ErrorKind, r.ErrorMessage,
		strconv.FormatInt(r.LatencyMS, 10), strconv.FormatInt(r.TTFTMS, 10), i(r.TokensIn), i(r.TokensOut),
		i(r.TokensCached), i(r.TokensReasoning), i(r.Attempts), r.Route, strconv.FormatFloat(r.Units, 'f', -1, 64), r.UnitKind,
		strconv.FormatFloat(r.UnitsCostUSD, 'f', -1, 64), r.RequestBody, r.ResponseBody, r.Headers)
	return rec
}

// Facets are the values the Logs page's pickers offer.
type Facets struct {
	Providers  []string `json:"providers"`
	Models     []string `json:"models"`
	Keys       []string `json:"keys"`
	Accounts   []string `json:"accounts"`
	ErrorKinds []string `json:"errorKinds"`
	Dialects   []string `json:"dialects"`
}

// facetWindow is how many of the newest rows the pickers look at: a
// bounded read however large the log grows.
const facetWindow = 20000

// LogFacets lists the distinct values of the newest rows per dimension.
func LogFacets(ctx context.Context, db *store.DB) (Facets, error) {
	f := Facets{}
	for _, d := range []struct {
		col string
		dst *[]string
	}{{"provider", &f.Providers}, {"requested_model", &f.Models}, {"key_name", &f.Keys}, {"account", &f.Accounts},
		{"error_kind", &f.ErrorKinds}, {"client_dialect", &f.Dialects}} {
		vals, err := distinctRecent(ctx, db, d.col)
		if err != nil {
			return f, err
		}
		*d.dst = vals
	}
	return f, nil
}

// lastSuccessSQL finds a provider's newest success through
// request_logs_provider_ts.
const lastSuccessSQL = `SELECT ts FROM request_logs WHERE provider = ? AND status BETWEEN 200 AND 299
	ORDER BY ts DESC LIMIT 1`

// LastSuccess is when the log last shows a success from provider (unix ms;
// zero when it keeps none, or cannot be read).
func LastSuccess(ctx context.Context, db *store.DB, provider string) int64 {
	var ts int64
	if err := db.QueryRowContext(ctx, lastSuccessSQL, provider).Scan(&ts); err != nil {
		return 0
	}
	return ts
}

func distinctRecent(ctx context.Context, db *store.DB, col string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM (SELECT `+col+` FROM request_logs ORDER BY id DESC LIMIT ?)
		WHERE `+col+` != '' ORDER BY 1 LIMIT 500`, facetWindow)
	if err != nil {
		return nil, fmt.Errorf("usage: facets: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
