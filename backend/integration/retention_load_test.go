package integration

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"switchboard/backend/usage"
)

// TestRetentionUnderLoad measures what a retention pass costs the requests
// running beside it (issue #14: deletes in batches, the p99 of a
// concurrent request stream unchanged within noise). Opt-in, since it
// seeds rows and times things; it reports and asserts nothing about time:
//
//	SWITCHBOARD_SCALE=1 go test ./backend/integration -run RetentionUnderLoad -v
func TestRetentionUnderLoad(t *testing.T) {
	if os.Getenv("SWITCHBOARD_SCALE") == "" {
		t.Skip("SKIP: set SWITCHBOARD_SCALE=1 to seed old rows and time requests beside a retention pass")
	}
	const old = 300_000
	// The instance's own upkeep would start 10 s in, during the quiet
	// measurement: only the pass started below runs.
	defer func(d time.Duration) { usage.MaintainAfterStart = d }(usage.MaintainAfterStart)
	usage.MaintainAfterStart = time.Hour
	u := newUpstream(t, dOpenAI)
	g := startGateway(t, gwOpts{}, provFor(u))
	ctx := context.Background()
	db := g.in.DB
	now := time.Now()
	seedOld := func() { // 40–90 days old: past the default 30-day retention
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		st, _ := tx.Prepare(`INSERT INTO request_logs(req_id, ts, client_dialect, endpoint, requested_model, provider,
			upstream_model, status, latency_ms, tokens_in, tokens_out) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
		for i := range old {
			ts := now.Add(-40*24*time.Hour - time.Duration(i)*15*time.Second).UnixMilli()
			if _, err := st.Exec(fmt.Sprint("old", i), ts, "openai", "/v1/chat/completions", "m", "openai", "gpt-5-mini", 200, 800, 1200, 300); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	path, body := rawRequest(dOpenAI, clientModel(dOpenAI), false, "hi")
	// drive runs 4 clients for d or until until is closed; with a pace,
	// each sends one request per pace (a steady stream, as agents send),
	// else as fast as answered.
	drive := func(d, pace time.Duration, until <-chan struct{}) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		for range 4 {
			wg.Go(func() {
				next := time.Now()
				for time.Now().Before(stop) {
					select {
					case <-until:
						return
					default:
					}
					if pace > 0 {
						time.Sleep(time.Until(next))
						next = next.Add(pace)
					}
					t0 := time.Now()
					if r := g.do("POST", path, body, nil); r.Status != 200 {
						t.Errorf("request: %d %s", r.Status, r.Body)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat
	}
	pct := func(l []time.Duration, p float64) time.Duration { return l[int(float64(len(l)-1)*p)] }
	drive(time.Second, 0, nil) // warm-up
	for _, pace := range []time.Duration{5 * time.Millisecond, 0} {
		mode := "flat out"
		if pace > 0 {
			mode = fmt.Sprintf("4 × one per %s", pace)
		}
		seedOld()
		quiet := drive(5*time.Second, pace, nil)
		var rep usage.PruneResult
		var took time.Duration
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			t0 := time.Now()
			rep, err = usage.Prune(ctx, db, usage.Retention{Days: 30, MaxMiB: 1024}, time.Now())
			took = time.Since(t0)
		}()
		busy := drive(time.Minute, pace, done) // the whole pass (bounded)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: retention pass rolled up %d, deleted %d old rows in %s (rollup batches of 1,000 rows, delete batches of 500)",
			mode, rep.RolledUp, rep.DeletedOld, took.Round(time.Millisecond))
		t.Logf("%s: requests alone:        n=%d p50 %s p99 %s", mode, len(quiet), pct(quiet, .5).Round(time.Microsecond), pct(quiet, .99).Round(time.Microsecond))
		t.Logf("%s: requests beside prune: n=%d p50 %s p99 %s", mode, len(busy), pct(busy, .5).Round(time.Microsecond), pct(busy, .99).Round(time.Microsecond))
		if rep.DeletedOld == 0 {
			t.Fatalf("the pass deleted none of the %d old rows", old)
		}
	}
}
