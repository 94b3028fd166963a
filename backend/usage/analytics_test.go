package usage

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"switchboard/backend/store"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// seed records rows over 10 days: every 20 minutes a request to one of a
// few providers, with keys, tools, combos, errors, fallbacks and a plan.
func seed(t *testing.T, db *store.DB, body string) int {
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	n := 0
	for ts := t0; ts.Before(t0.Add(10 * 24 * time.Hour)); ts = ts.Add(20 * time.Minute) {
		i := n
		row := &Row{ReqID: fmt.Sprint(i), TS: ts.UnixMilli(), ClientDialect: "openai", Endpoint: "/v1/chat/completions",
			Status: 200, Attempts: 1, TokensIn: 1000 + i, TokensOut: 100 + i%50, TokensCached: i % 300,
			KeyName: []string{"alice", "bob", "ci"}[i%3], Tool: []string{"claude-code", "codex", ""}[i%3],
			LatencyMS: int64(100 + i%100), TTFTMS: int64(10 + i%10), RequestBody: body}
		switch i % 4 {
		case 0:
			row.Provider, row.UpstreamModel = "openai", "gpt-5"
		case 1:
			row.Provider, row.UpstreamModel, row.TokensCacheWrite = "anthropic", "claude-sonnet-4-5", 50
		case 2:
			row.Provider, row.UpstreamModel = "claude", "claude-sonnet-4-5" // plan
		case 3:
			row.Provider, row.UpstreamModel, row.Combo = "my-llm", "m", "cheap" // unpriced
		}
		if i%7 == 0 {
			row.Status, row.ErrorKind, row.TokensIn, row.TokensOut, row.TokensCached, row.TokensCacheWrite = 429, "rate_limited", 0, 0, 0, 0
		}
		if i%5 == 0 {
			row.Attempts = 2
		}
		r.Record(row)
		n++
	}
	r.Close()
	return n
}

func analyze(t *testing.T, db *store.DB, q AnalyticsQuery) Report {
	t.Helper()
	rep, err := Analyze(context.Background(), db, q, t0.Add(11*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*max(1, math.Abs(a)) }

func sameSums(a, b Sums) bool {
	return a.Requests == b.Requests && a.Errors == b.Errors && a.Fallbacks == b.Fallbacks && a.TokensIn == b.TokensIn &&
		a.TokensOut == b.TokensOut && a.TokensCached == b.TokensCached && a.TokensCacheWrite == b.TokensCacheWrite &&
		a.Unpriced == b.Unpriced && a.ValueUnknown == b.ValueUnknown && near(a.CostUSD, b.CostUSD) && near(a.ValueUSD, b.ValueUSD)
}

func groupsByKey(gs []Group) map[string]Sums {
	m := map[string]Sums{}
	for _, g := range gs {
		m[g.Key] = g.Sums
	}
	return m
}

// Totals, series and breakdowns are the same from raw rows, after the
// rollup, and after retention deleted the old rows: the rollups carry the
// history and nothing is counted twice.
func TestRollupAndRetentionKeepAnalytics(t *testing.T) {
	db := openDB(t)
	n := seed(t, db, "")
	ctx := context.Background()
	all := AnalyticsQuery{From: t0.UnixMilli(), To: t0.Add(10 * 24 * time.Hour).UnixMilli(), Bucket: "day", GroupBy: "provider"}
	raw := analyze(t, db, all)
	if raw.Totals.Requests != int64(n) || raw.Totals.Errors == 0 || raw.Totals.Fallbacks == 0 || raw.Totals.Unpriced == 0 ||
		raw.Totals.ValueUSD <= 0 || raw.Totals.CostUSD <= 0 || len(raw.Series) != 10 {
		t.Fatalf("raw report %+v", raw.Totals)
	}
	byProv := groupsByKey(raw.Breakdown)
	if byProv["claude"].CostUSD != 0 || byProv["claude"].ValueUSD <= 0 || byProv["my-llm"].Unpriced == 0 || byProv["my-llm"].CostUSD != 0 {
		t.Fatalf("breakdown %+v", byProv)
	}

	folded, err := Rollup(ctx, db)
	if err != nil || folded != n {
		t.Fatalf("rolled up %d of %d: %v", folded, n, err)
	}
	rolled := analyze(t, db, all)
	if !sameSums(raw.Totals, rolled.Totals) {
		t.Fatalf("after rollup %+v, before %+v", rolled.Totals, raw.Totals)
	}
	for i := range raw.Series {
		if raw.Series[i].T != rolled.Series[i].T || !sameSums(raw.Series[i].Sums, rolled.Series[i].Sums) {
			t.Fatalf("day %d differs: %+v vs %+v", i, raw.Series[i], rolled.Series[i])
		}
	}

	// A late row (a long stream of an hour already rolled up) counts once.
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	r.Record(&Row{ReqID: "late", TS: t0.Add(time.Hour).UnixMilli(), Provider: "openai", UpstreamModel: "gpt-5", Status: 200,
		Attempts: 1, TokensIn: 1_000_000, LatencyMS: 5})
	r.Close()
	late := analyze(t, db, all)
	if late.Totals.Requests != int64(n)+1 || !near(late.Totals.CostUSD, raw.Totals.CostUSD+1.25) {
		t.Fatalf("late row: %+v", late.Totals)
	}

	// Retention: 4 days kept of 10 (now = day 11).
	res, err := Prune(ctx, db, Retention{Days: 4, MaxMiB: 1024}, t0.Add(11*24*time.Hour))
	if err != nil || res.RolledUp != 1 || res.DeletedOld == 0 || res.DeletedCap != 0 {
		t.Fatalf("prune %+v %v", res, err)
	}
	var left int64
	_ = db.QueryRow(`SELECT COUNT(*) FROM request_logs WHERE ts < ?`, t0.Add(7*24*time.Hour).UnixMilli()).Scan(&left)
	if left != 0 {
		t.Fatalf("%d rows older than the retention left", left)
	}
	after := analyze(t, db, all)
	if !sameSums(late.Totals, after.Totals) {
		t.Fatalf("after retention %+v, before %+v", after.Totals, late.Totals)
	}
	for _, dim := range Dimensions {
		q := all
		q.GroupBy = dim
		a, b := groupsByKey(analyze(t, db, q).Breakdown), groupsByKey(late.Breakdown)
		if dim == "provider" {
			for k, v := range b {
				if !sameSums(a[k], v) {
					t.Fatalf("%s %q after retention %+v, before %+v", dim, k, a[k], v)
				}
			}
		}
		if len(a) == 0 {
			t.Fatalf("no breakdown by %s", dim)
		}
	}
	// A filtered view (usage_hourly) agrees with the unfiltered breakdown
	// (usage_dims) for every value of every dimension.
	for _, dim := range Dimensions {
		q := all
		q.GroupBy = dim
		for _, g := range analyze(t, db, q).Breakdown {
			f := all
			switch dim {
			case "provider":
				f.Provider = g.Key
			case "account":
				f.Account = g.Key
			case "model":
				f.Model = g.Key
			case "key":
				f.Key = g.Key
			case "tool":
				f.Tool = g.Key
			case "combo":
				f.Combo = g.Key
			}
			if g.Key == "" {
				continue // "" is no filter
			}
			if got := analyze(t, db, f).Totals; !sameSums(got, g.Sums) {
				t.Fatalf("%s=%q filtered %+v, breakdown %+v", dim, g.Key, got, g.Sums)
			}
		}
	}
	if k := groupsByKey(after.TopSpenders); len(k) != 4 || k["alice"].Requests == 0 || k[""].Requests != 1 {
		t.Fatalf("top spenders %+v", after.TopSpenders)
	}
}

func TestRetentionHonoursSizeCap(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	n := seed(t, db, strings.Repeat("x", 40_000)) // 720 rows × 40 kB ≈ 28 MiB
	st, _ := Size(ctx, db)
	if st.UsedBytes < 20<<20 {
		t.Fatalf("seeded only %d bytes", st.UsedBytes)
	}
	all := AnalyticsQuery{From: t0.UnixMilli(), To: t0.Add(10 * 24 * time.Hour).UnixMilli(), Bucket: "day"}
	before := analyze(t, db, all)
	res, err := Prune(ctx, db, Retention{Days: 3650, MaxMiB: 16}, t0.Add(11*24*time.Hour))
	if err != nil || res.DeletedOld != 0 || res.DeletedCap == 0 || res.OverCap || res.UsedBytes > 16<<20 {
		t.Fatalf("prune %+v %v", res, err)
	}
	st, _ = Size(ctx, db)
	if st.UsedBytes > 16<<20 {
		t.Fatalf("used %d bytes over the 16 MiB cap", st.UsedBytes)
	}
	// The space the deleted rows took went back to the file system: the
	// file (and its write-ahead log) is no larger than what is in use.
	if res.Reclaimed < 8<<20 || st.FileBytes > st.UsedBytes+1<<20 {
		t.Fatalf("gave back %d bytes; file %d bytes for %d in use", res.Reclaimed, st.FileBytes, st.UsedBytes)
	}
	if err := Counts(ctx, db, &st); err != nil || st.Rows >= int64(n) || st.Rows == 0 || st.HourRows == 0 || st.OldestTS <= t0.UnixMilli() {
		t.Fatalf("counts %+v %v", st, err)
	}
	// The newest rows are kept, the oldest went; history is intact.
	if after := analyze(t, db, all); !sameSums(before.Totals, after.Totals) {
		t.Fatalf("after the cap %+v, before %+v", after.Totals, before.Totals)
	}
}

func TestLatencyPercentilesAndFilters(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	for i := 1; i <= 1000; i++ {
		r.Record(&Row{ReqID: fmt.Sprint(i), TS: t0.Add(time.Duration(i) * time.Minute).UnixMilli(), Provider: "openai",
			UpstreamModel: "gpt-5", Status: 200, Attempts: 1, LatencyMS: int64(i), TTFTMS: int64(i / 10), Tool: "codex"})
	}
	r.Record(&Row{ReqID: "err", TS: t0.UnixMilli(), Provider: "openai", UpstreamModel: "gpt-5", Status: 500, LatencyMS: 99999})
	r.Close()
	check := func(rep Report) {
		t.Helper()
		if len(rep.Latency) != 1 {
			t.Fatalf("latency %+v", rep.Latency)
		}
		l := rep.Latency[0]
		within := func(got, want int64) bool { return math.Abs(float64(got-want)) <= 0.1*float64(want) }
		if l.Requests != 1000 || !within(l.P50, 500) || !within(l.P95, 950) || !within(l.P99, 990) || !within(l.TTFTP50, 50) {
			t.Fatalf("percentiles %+v", l)
		}
	}
	q := AnalyticsQuery{From: t0.UnixMilli(), To: t0.Add(24 * time.Hour).UnixMilli(), Tool: "codex"}
	check(analyze(t, db, q)) // raw rows
	if _, err := Rollup(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	check(analyze(t, db, q)) // histograms of the rollups
	// Latency keeps only the provider and model filters (and says so).
	if rep := analyze(t, db, AnalyticsQuery{From: t0.UnixMilli(), To: t0.Add(24 * time.Hour).UnixMilli(), Tool: "claude-code"}); rep.Totals.Requests != 0 || !rep.LatencyUnfiltered || len(rep.Latency) != 1 {
		t.Fatalf("filter leaked %+v", rep.Totals)
	}
	if rep := analyze(t, db, AnalyticsQuery{From: t0.UnixMilli(), To: t0.Add(24 * time.Hour).UnixMilli(), Model: "gpt-4o"}); len(rep.Latency) != 0 || rep.LatencyUnfiltered {
		t.Fatalf("model filter %+v", rep.Latency)
	}
}

func TestAnalyticsQueryChecks(t *testing.T) {
	now := t0
	for _, q := range []AnalyticsQuery{
		{Bucket: "week"}, {GroupBy: "colour"}, {From: now.UnixMilli(), To: now.Add(-time.Hour).UnixMilli()},
		{From: now.Add(-400 * 24 * time.Hour).UnixMilli(), To: now.UnixMilli(), Bucket: "hour"}, {TZOffsetMin: 20 * 60},
	} {
		if err := q.Normalize(now); err == nil {
			t.Fatalf("%+v accepted", q)
		}
	}
	q := AnalyticsQuery{From: now.Add(-90 * time.Minute).UnixMilli()}
	if err := q.Normalize(now.Add(10 * time.Minute)); err != nil || q.From%hourMS != 0 || q.To%hourMS != 0 || q.Bucket != "hour" || q.GroupBy != "provider" {
		t.Fatalf("normalized %+v %v", q, err)
	}
}

// Rows written before migration 0009 are priced once at start.
func TestPriceLegacyRows(t *testing.T) {
	db := openDB(t)
	_, err := db.Exec(`INSERT INTO request_logs(req_id, ts, client_dialect, endpoint, provider, upstream_model, status,
		tokens_in, tokens_out, tokens_cached) VALUES ('a', 1, 'openai', '/v1/chat/completions', 'openai', 'gpt-5', 200, 1000000, 100000, 800000),
		('b', 2, 'anthropic', '/v1/messages', 'claude', 'claude-sonnet-4-5', 200, 1000000, 0, 0),
		('c', 3, 'openai', '/v1/chat/completions', 'my-llm', 'm', 200, 5, 5, 0),
		('d', 4, 'openai', '/v1/chat/completions', 'my-llm', 'm', 500, 0, 0, 0)`)
	if err != nil {
		t.Fatal(err)
	}
	n, err := PriceLegacy(context.Background(), db, CatalogPrices())
	if err != nil || n != 4 {
		t.Fatalf("priced %d: %v", n, err)
	}
	rows, err := Query(context.Background(), db, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Row{}
	for _, w := range rows {
		got[w.ReqID] = w
	}
	if a := got["a"]; a.Billing != "api" || !a.CostKnown || !near(a.CostUSD, 0.25+0.1+1.0) {
		t.Fatalf("a %+v", a)
	}
	if b := got["b"]; b.Billing != "subscription" || !b.CostKnown || b.CostUSD != 0 || !b.ValueKnown || !near(b.ValueUSD, 3) {
		t.Fatalf("b %+v", b)
	}
	if c, d := got["c"], got["d"]; c.CostKnown || !d.CostKnown || d.CostUSD != 0 {
		t.Fatalf("c %+v d %+v", c, d)
	}
}

var discard = slog.New(slog.DiscardHandler)

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}
