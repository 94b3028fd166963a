package usage

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLogQueriesAtScale times the Logs page's queries on a large log:
//
//	SWITCHBOARD_SCALE_ROWS=1000000 go test ./backend/usage -run LogQueriesAtScale -v
//
// Skipped unless the variable is set (seeding takes a while).
func TestLogQueriesAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_SCALE_ROWS"))
	if n <= 0 {
		t.Skip("set SWITCHBOARD_SCALE_ROWS to run")
	}
	db := openDB(t)
	ctx := context.Background()
	start := time.Now()
	now := time.Now().UnixMilli()
	tx, _ := db.Begin()
	st, err := tx.Prepare(insertSQL)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		status, kind := 200, ""
		if i%50 == 0 {
			status, kind = 429, "rate_limited"
		}
		w := Row{ReqID: fmt.Sprintf("req_%08x", i), TS: now - int64(n-i)*500, KeyName: []string{"laptop", "ci", "team"}[i%3],
			ClientDialect: "openai", Endpoint: "/v1/chat/completions",
			RequestedModel: []string{"gpt-5", "claude-sonnet-4", "gemini-2.5-pro", "coding"}[i%4],
			Provider:       []string{"openai", "anthropic", "gemini", "groq", "ollama"}[i%5], Account: "work", UpstreamModel: "m",
			UpstreamDialect: "openai", Stream: i%2 == 0, Status: status, ErrorKind: kind, LatencyMS: 900, TTFTMS: 300,
			TokensIn: 1200, TokensOut: 300, Attempts: 1, Route: `[{"target":"openai/work/m","result":"ok"}]`}
		if _, err := st.Exec(w.appendInsertArgs(nil)...); err != nil {
			t.Fatal(err)
		}
		if i%50000 == 49999 {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			tx, _ = db.Begin()
			st, _ = tx.Prepare(insertSQL)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d rows in %v", n, time.Since(start).Round(time.Millisecond))
	timeIt := func(name string, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			t.Fatal(name, err)
		}
		t.Logf("%-44s %v", name, time.Since(t0).Round(100*time.Microsecond))
	}
	var page []Row
	q := func(f Filter) func() error {
		return func() error { var err error; page, err = Query(ctx, db, f); return err }
	}
	timeIt("first page (200, no filter)", q(Filter{}))
	last := page[len(page)-1]
	timeIt("next page (keyset cursor)", q(Filter{CursorTS: last.TS, CursorID: last.ID}))
	timeIt("provider=groq", q(Filter{Provider: "groq"}))
	timeIt("key=team", q(Filter{KeyName: "team"}))
	timeIt("status=error", q(Filter{Status: "error"}))
	timeIt("status=429, stream=no, dialect=openai", q(Filter{Status: "429", Stream: "no", Dialect: "openai"}))
	timeIt("last 24h", q(Filter{Since: now - 24*3600_000}))
	timeIt("search a common substring (claude)", q(Filter{Q: "claude"}))
	timeIt("search a rare substring (one request id)", q(Filter{Q: fmt.Sprintf("req_%08x", n/2)}))
	timeIt("detail by id", func() error { _, err := Detail(ctx, db, last.ID); return err })
	timeIt("facets", func() error { _, err := LogFacets(ctx, db); return err })
	timeIt("spend by key since the 1st (startup seeding)", func() error {
		t0 := time.Now()
		_, err := SpendByKey(ctx, db, t0.Add(-24*time.Hour), t0.Add(-30*24*time.Hour))
		return err
	})
	timeIt("export everything as JSON Lines", func() error {
		_, err := Export(ctx, db, Filter{}, FormatJSONL, io.Discard)
		return err
	})
}
