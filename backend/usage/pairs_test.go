package usage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/backend/store"
)

// withFilter returns q filtered on dim = v.
func withFilter(q AnalyticsQuery, dim, v string) AnalyticsQuery {
	switch dim {
	case "provider":
		q.Provider = v
	case "account":
		q.Account = v
	case "model":
		q.Model = v
	case "key":
		q.Key = v
	case "tool":
		q.Tool = v
	case "combo":
		q.Combo = v
	}
	return q
}

// sameReport compares what the page shows of two reports.
func sameReport(a, b Report) error {
	if !sameSums(a.Totals, b.Totals) {
		return fmt.Errorf("totals %+v, want %+v", a.Totals, b.Totals)
	}
	if len(a.Series) != len(b.Series) {
		return fmt.Errorf("%d points, want %d", len(a.Series), len(b.Series))
	}
	for i := range a.Series {
		if a.Series[i].T != b.Series[i].T || !sameSums(a.Series[i].Sums, b.Series[i].Sums) {
			return fmt.Errorf("point %d %+v, want %+v", i, a.Series[i], b.Series[i])
		}
	}
	for _, l := range [][2][]Group{{a.Breakdown, b.Breakdown}, {a.TopSpenders, b.TopSpenders}} {
		got, want := groupsByKey(l[0]), groupsByKey(l[1])
		if len(got) != len(want) {
			return fmt.Errorf("groups %v, want %v", got, want)
		}
		for k, v := range want {
			if !sameSums(got[k], v) {
				return fmt.Errorf("group %q %+v, want %+v", k, got[k], v)
			}
		}
	}
	return nil
}

// Every view with one filter (read from usage_pairs once rolled up) and
// with two (usage_hourly) answers as the raw rows did: after the rollup,
// and after migration 0011 rebuilt the pairs from usage_hourly, as it does
// for a database rolled up before the pairs existed.
func TestPairRollupsAnswerFilteredViews(t *testing.T) {
	if numDims != len(Dimensions) {
		t.Fatalf("numDims %d, %d dimensions", numDims, len(Dimensions))
	}
	db := openDB(t)
	n := seed(t, db, "")
	ctx := context.Background()
	base := AnalyticsQuery{From: t0.UnixMilli(), To: t0.AddDate(0, 0, 10).UnixMilli(), Bucket: "day"}
	type view struct {
		name string
		q    AnalyticsQuery
		want Report
	}
	var views []view
	for _, fdim := range Dimensions {
		q := base
		q.GroupBy = fdim
		for _, g := range analyze(t, db, q).Breakdown {
			if g.Key == "" {
				continue
			}
			for _, gdim := range Dimensions {
				fq := withFilter(base, fdim, g.Key)
				fq.GroupBy = gdim
				views = append(views, view{fmt.Sprintf("%s=%s by %s", fdim, g.Key, gdim), fq, analyze(t, db, fq)})
			}
		}
	}
	two := withFilter(withFilter(base, "tool", "codex"), "provider", "openai")
	two.GroupBy = "key"
	views = append(views, view{"tool=codex provider=openai by key", two, analyze(t, db, two)})
	if len(views) < 60 || views[0].want.Totals.Requests == 0 {
		t.Fatalf("%d views; first %+v", len(views), views[0].want.Totals)
	}
	check := func(stage string) {
		t.Helper()
		for _, v := range views {
			if err := sameReport(analyze(t, db, v.q), v.want); err != nil {
				t.Fatalf("%s: %s: %v", stage, v.name, err)
			}
		}
	}
	if k, err := Rollup(ctx, db); err != nil || k != n {
		t.Fatalf("rolled up %d of %d: %v", k, n, err)
	}
	var pairs int
	_ = db.QueryRow(`SELECT COUNT(*) FROM usage_pairs`).Scan(&pairs)
	if pairs == 0 {
		t.Fatal("the rollup wrote no pairs")
	}
	check("after the rollup")
	// The one-read path of usage_hourly (two filters) sums, buckets and
	// orders as the aggregate queries do: every one-filter view through it.
	for _, v := range views {
		if err := sameReport(scanned(t, db, v.q), v.want); err != nil {
			t.Fatalf("%s read from usage_hourly: %v", v.name, err)
		}
	}
	local := withFilter(base, "tool", "codex")
	local.Bucket, local.TZOffsetMin, local.GroupBy = "day", 150, "model"
	if err := sameReport(scanned(t, db, local), analyze(t, db, local)); err != nil {
		t.Fatalf("local days from usage_hourly: %v", err)
	}

	// A database rolled up before the pairs existed: migration 0011 marks
	// the hours after the last rolled up one as the pairs' start, and
	// filtered views over earlier hours read usage_hourly.
	if _, err := db.Exec(`DELETE FROM usage_pairs`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrationStatement(t, 11, "UPDATE rollup_state")); err != nil {
		t.Fatal(err)
	}
	var from int64
	_ = db.QueryRow(`SELECT pairs_from FROM rollup_state`).Scan(&from)
	if from != base.To {
		t.Fatalf("pairs from %d, want the hour after the last row (%d)", from, base.To)
	}
	check("rolled up before the pairs existed")

	// Rows after the mark land in the pairs, which answer views from then on.
	r := NewRecorder(db, slog.New(slog.DiscardHandler), Options{})
	for i := range 30 {
		r.Record(&Row{ReqID: fmt.Sprint("new", i), TS: base.To + int64(i)*600_000, Provider: "openai", UpstreamModel: "gpt-5",
			Status: 200, Attempts: 1, TokensIn: 100 + i, KeyName: "alice", Tool: []string{"codex", "cline"}[i%2]})
	}
	r.Close()
	later := AnalyticsQuery{From: base.To, To: base.To + 24*hourMS, Tool: "codex", GroupBy: "key"}
	want := analyze(t, db, later)
	if want.Totals.Requests != 15 {
		t.Fatalf("new rows %+v", want.Totals)
	}
	if _, err := Rollup(ctx, db); err != nil {
		t.Fatal(err)
	}
	var newPairs int
	_ = db.QueryRow(`SELECT COUNT(*) FROM usage_pairs WHERE hour >= ?`, from).Scan(&newPairs)
	if newPairs == 0 {
		t.Fatal("no pairs for the new rows")
	}
	if err := sameReport(analyze(t, db, later), want); err != nil {
		t.Fatalf("after the pairs' start: %v", err)
	}
}

// scanned is q's report read by scanHourly.
func scanned(t *testing.T, db *store.DB, q AnalyticsQuery) Report {
	t.Helper()
	if err := q.Normalize(t0.Add(11 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var m marks
	if err := tx.QueryRow(`SELECT last_id, pairs_from FROM rollup_state`).Scan(&m.lastID, &m.pairsFrom); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := scanHourly(context.Background(), tx, &q, m, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// migrationStatement is the statement of migration v that starts with prefix.
func migrationStatement(t *testing.T, v int, prefix string) string {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version != v {
			continue
		}
		i := strings.Index(m.SQL, prefix)
		j := strings.Index(m.SQL[i:], ";")
		if i < 0 || j < 0 {
			break
		}
		return m.SQL[i : i+j]
	}
	t.Fatalf("migration %d has no statement %q", v, prefix)
	return ""
}
