package usage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// seedLogs records n rows with varied dimensions (row i at ts 1000+i).
func seedLogs(t *testing.T, n int) *Recorder {
	t.Helper()
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Every: time.Hour})
	for i := range n {
		st, kind := 200, ""
		switch i % 7 {
		case 3:
			st, kind = 429, "rate_limited"
		case 5:
			st, kind = 502, "upstream_5xx"
		}
		r.Record(&Row{ReqID: fmt.Sprintf("req_%04d", i), TS: int64(1000 + i), KeyName: []string{"laptop", "ci"}[i%2],
			ClientDialect: []string{"openai", "anthropic", "gemini"}[i%3], Endpoint: "/v1/x", RequestedModel: "m" + fmt.Sprint(i%4),
			Provider: []string{"openai", "groq"}[i%2], Account: []string{"a1", "a2", "a3"}[i%3], Stream: i%2 == 0,
			Status: st, ErrorKind: kind, ErrorMessage: map[bool]string{true: "upstream said 100%_off", false: ""}[i == 42],
			RequestBody: map[bool]string{true: `{"secretless":"body"}`, false: ""}[i == 10]})
	}
	r.Flush()
	return r
}

func TestQueryFiltersEveryDimension(t *testing.T) {
	r := seedLogs(t, 200)
	ctx := context.Background()
	for _, c := range []struct {
		f    Filter
		want func(Row) bool
	}{
		{Filter{KeyName: "ci"}, func(w Row) bool { return w.KeyName == "ci" }},
		{Filter{Account: "a2"}, func(w Row) bool { return w.Account == "a2" }},
		{Filter{Dialect: "gemini"}, func(w Row) bool { return w.ClientDialect == "gemini" }},
		{Filter{Stream: "yes"}, func(w Row) bool { return w.Stream }},
		{Filter{Stream: "no"}, func(w Row) bool { return !w.Stream }},
		{Filter{Status: "5xx"}, func(w Row) bool { return w.Status >= 500 }},
		{Filter{Status: "429"}, func(w Row) bool { return w.Status == 429 }},
		{Filter{ErrorKind: "upstream_5xx", Provider: "groq"}, func(w Row) bool { return w.ErrorKind == "upstream_5xx" && w.Provider == "groq" }},
		{Filter{Model: "m3"}, func(w Row) bool { return w.RequestedModel == "m3" }},
		{Filter{Since: 1100, Before: 1150}, func(w Row) bool { return w.TS >= 1100 && w.TS < 1150 }},
	} {
		rows, err := Query(ctx, r.db, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Errorf("%+v: nothing matched", c.f)
		}
		for _, w := range rows {
			if !c.want(w) {
				t.Errorf("%+v let %+v through", c.f, w)
				break
			}
		}
	}
	// Search is a substring, with LIKE's wildcards taken literally.
	rows, _ := Query(ctx, r.db, Filter{Q: "100%_OFF"})
	if len(rows) != 1 || rows[0].ReqID != "req_0042" {
		t.Fatalf("search: %+v", rows)
	}
	if rows, _ := Query(ctx, r.db, Filter{Q: "10%"}); len(rows) != 0 {
		t.Fatalf("%% was a wildcard: %d rows", len(rows))
	}
	if rows, _ := Query(ctx, r.db, Filter{Q: "req_001"}); len(rows) != 10 {
		t.Fatalf("search by request id prefix: %d rows", len(rows))
	}
}

// Keyset paging walks the whole log, page by page, without gaps or
// repeats, also when rows share a timestamp.
func TestQueryKeysetPaging(t *testing.T) {
	r := seedLogs(t, 0)
	for i := range 30 { // three rows per millisecond
		r.Record(&Row{ReqID: fmt.Sprint(i), TS: int64(5000 + i/3), ClientDialect: "openai", Endpoint: "/", Status: 200})
	}
	r.Flush()
	seen := map[string]bool{}
	f := Filter{Limit: 7}
	for page := 0; ; page++ {
		rows, err := Query(context.Background(), r.db, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, w := range rows {
			if seen[w.ReqID] {
				t.Fatalf("row %s twice", w.ReqID)
			}
			seen[w.ReqID] = true
		}
		last := rows[len(rows)-1]
		f.CursorTS, f.CursorID = last.TS, last.ID
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 30 {
		t.Fatalf("%d rows seen, want 30", len(seen))
	}
}

func TestDetailAndListBodies(t *testing.T) {
	r := seedLogs(t, 20)
	ctx := context.Background()
	rows, _ := Query(ctx, r.db, Filter{Q: "req_0010"})
	if len(rows) != 1 || !rows[0].HasBody || rows[0].RequestBody != "" {
		t.Fatalf("list row: %+v", rows)
	}
	d, err := Detail(ctx, r.db, rows[0].ID)
	if err != nil || d.RequestBody != `{"secretless":"body"}` || d.ReqID != "req_0010" {
		t.Fatalf("detail %+v %v", d, err)
	}
	if _, err := Detail(ctx, r.db, 99999); err != ErrNotFound {
		t.Fatalf("missing row: %v", err)
	}
}

func TestExportCSVAndJSONLines(t *testing.T) {
	r := seedLogs(t, 600)
	ctx := context.Background()
	var buf bytes.Buffer
	n, err := Export(ctx, r.db, Filter{KeyName: "ci"}, FormatCSV, &buf)
	if err != nil || n != 300 {
		t.Fatalf("csv export: %d rows, %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 301 || recs[0][0] != "id" || recs[1][3] != "ci" {
		t.Fatalf("csv: %d records, %v, first %v", len(recs), err, recs[:min(2, len(recs))])
	}
	buf.Reset()
	n, err = Export(ctx, r.db, Filter{Q: "req_0010"}, FormatJSONL, &buf)
	if err != nil || n != 1 {
		t.Fatalf("jsonl export: %d, %v", n, err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Scan()
	var row Row
	if err := json.Unmarshal(sc.Bytes(), &row); err != nil || row.RequestBody == "" || row.ReqID != "req_0010" {
		t.Fatalf("jsonl row %q: %v", sc.Text(), err)
	}
	if _, err := Export(ctx, r.db, Filter{}, "xml", &buf); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestLogFacets(t *testing.T) {
	r := seedLogs(t, 50)
	f, err := LogFacets(context.Background(), r.db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.Providers, ",") != "groq,openai" || strings.Join(f.Keys, ",") != "ci,laptop" ||
		len(f.Models) != 4 || len(f.Dialects) != 3 || strings.Join(f.ErrorKinds, ",") != "rate_limited,upstream_5xx" {
		t.Fatalf("facets %+v", f)
	}
}

func TestSpendByKeyAndRowCost(t *testing.T) {
	db := openDB(t)
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{Every: time.Hour})
	var observed []string
	r.Observe(func(w *Row) { observed = append(observed, w.ReqID) })
	loc := time.FixedZone("X", 3600)
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, loc)
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, loc)
	rec := func(id string, ts time.Time, key, prov, model string, in, out int) {
		r.Record(&Row{ReqID: id, TS: ts.UnixMilli(), KeyName: key, ClientDialect: "openai", Endpoint: "/", Status: 200,
			Provider: prov, UpstreamModel: model, TokensIn: in, TokensOut: out})
	}
	rec("a", month.Add(-time.Hour), "k", "openai", "gpt-5", 1_000_000, 0) // last month
	rec("b", month.Add(time.Hour), "k", "openai", "gpt-5", 1_000_000, 0)  // $1.25 this month
	rec("c", day.Add(time.Hour), "k", "openai", "gpt-5", 0, 100_000)      // $1.00 today
	rec("d", day.Add(2*time.Hour), "k", "my-local", "llama", 10, 10)      // unpriced today
	rec("e", day.Add(3*time.Hour), "other", "openai", "gpt-5", 0, 0)
	r.Flush()
	if strings.Join(observed, "") != "abcde" {
		t.Fatalf("observers saw %v", observed)
	}
	got, err := SpendByKey(context.Background(), db, day, month)
	if err != nil {
		t.Fatal(err)
	}
	k := got["k"]
	if k.Today.Requests != 2 || k.Today.Tokens != 100_020 || k.Today.Unpriced != 1 || math.Abs(k.Today.USD-1.0) > 1e-9 ||
		k.Month.Requests != 3 || math.Abs(k.Month.USD-2.25) > 1e-9 || got["other"].Today.Requests != 1 {
		t.Fatalf("spend %+v", got)
	}
	if c, ok := RowCost(&Row{Provider: "openai", UpstreamModel: "gpt-5", TokensOut: 100_000}); !ok || math.Abs(c-1.0) > 1e-9 {
		t.Fatalf("row cost %v %v", c, ok)
	}
	if _, ok := RowCost(&Row{Provider: "my-local", UpstreamModel: "x", TokensIn: 5}); ok {
		t.Fatal("unknown model priced")
	}
}

func TestRowCostDoesNotAllocate(t *testing.T) {
	r := &Row{Provider: "openai", UpstreamModel: "gpt-5", TokensIn: 1000, TokensOut: 100}
	want, _ := CatalogPrice("openai", "gpt-5")
	if got, ok := RowCost(r); !ok || got != want.Cost(1000, 0, 100) {
		t.Fatalf("row cost %v %v", got, ok)
	}
	if n := testing.AllocsPerRun(100, func() { RowCost(r) }); n != 0 {
		t.Fatalf("RowCost allocates %v times", n)
	}
}
