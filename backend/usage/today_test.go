package usage

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"
)

func TestTodaySumsSinceLocalMidnightWithCatalogPrices(t *testing.T) {
	db := openDB(t)
	loc := time.FixedZone("UTC+2", 2*3600)
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, loc)
	midnight := time.Date(2026, 3, 14, 0, 0, 0, 0, loc)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	rec := func(ts time.Time, prov, model string, status, in, out int, cached ...int) {
		row := &Row{ReqID: "x", TS: ts.UnixMilli(), ClientDialect: "openai", Endpoint: "/v1/chat/completions",
			Provider: prov, UpstreamModel: model, Status: status, TokensIn: in, TokensOut: out}
		if len(cached) > 0 {
			row.TokensCached = cached[0]
		}
		r.Record(row)
	}
	rec(midnight.Add(-time.Second), "openai", "gpt-5", 200, 1_000_000, 1_000_000) // yesterday: not counted
	rec(midnight, "openai", "gpt-5", 200, 1_000_000, 100_000)                     // $1.25 + $1.00
	rec(midnight.Add(time.Hour), "openai", "gpt-4o-mini", 200, 2_000_000, 0)      // $0.30
	rec(midnight.Add(2*time.Hour), "my-local", "llama", 200, 500, 500)            // unpriced
	rec(midnight.Add(3*time.Hour), "openai", "gpt-5", 429, 0, 0)                  // an error, no tokens
	// 1M input of which 800k read from the prompt cache at $0.125: $0.25 + $0.10
	rec(midnight.Add(4*time.Hour), "openai", "gpt-5", 200, 1_000_000, 0, 800_000)
	r.Flush()

	got, err := Today(context.Background(), db, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Since != midnight.UnixMilli() || got.Requests != 5 || got.Errors != 1 || got.TokensIn != 4_000_500 ||
		got.TokensOut != 100_500 || got.Unpriced != 1 {
		t.Fatalf("totals %+v", got)
	}
	if math.Abs(got.CostUSD-2.90) > 1e-9 {
		t.Fatalf("cost %.6f, want 2.90", got.CostUSD)
	}
	empty, err := Today(context.Background(), db, now.Add(24*time.Hour))
	if err != nil || empty.Requests != 0 || empty.CostUSD != 0 {
		t.Fatalf("next day: %+v %v", empty, err)
	}
}
