package usage

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"
)

// awaitLull lets upkeep batches run in lulls of the gateway's traffic, and
// under steady traffic once in a while, in a gap between requests.
func TestAwaitLull(t *testing.T) {
	const lull, maxWait = 10 * time.Millisecond, time.Second
	// waited runs awaitLull while traffic (if any) runs beside it, and
	// says how long it waited in the bubble's time.
	waited := func(t *testing.T, tr *Traffic, traffic func(ctx context.Context)) time.Duration {
		ctx, cancel := context.WithCancel(t.Context())
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			if traffic != nil {
				traffic(ctx)
			}
		}()
		t0 := time.Now()
		err := awaitLull(ctx, tr, lull, maxWait)
		d := time.Since(t0)
		cancel()
		<-ended // the bubble ends only once its goroutines have
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("quiet: one lull", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			if d := waited(t, &Traffic{}, nil); d != lull {
				t.Fatalf("waited %v with no traffic, want %v", d, lull)
			}
		})
	})
	t.Run("requests keep coming: the longest wait, then a gap", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var tr Traffic
			// One request every 4 ms, each 1 ms long: never a lull of 10.
			d := waited(t, &tr, func(ctx context.Context) {
				for ctx.Err() == nil {
					tr.Start()
					time.Sleep(time.Millisecond)
					tr.Done()
					time.Sleep(3 * time.Millisecond)
				}
			})
			if d < maxWait || d > maxWait+lull+lullGrace {
				t.Fatalf("waited %v while requests kept coming, want the longest wait (%v) and at most a lull and a grace more", d, maxWait)
			}
			if tr.InFlight() != 0 {
				t.Fatal("went on with a request in flight, though gaps came every 4 ms")
			}
		})
	})
	t.Run("a request never ends: the longest wait and the grace", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var tr Traffic
			tr.Start()
			if d := waited(t, &tr, nil); d < maxWait+lullGrace || d > maxWait+lull+lullGrace {
				t.Fatalf("waited %v beside an endless request, want %v and the grace %v", d, maxWait, lullGrace)
			}
		})
	})
}

// A maintenance pass under steady traffic goes one batch per longest
// wait, and at full pace (rests only) once the traffic stops.
func TestUpkeepPassStepsAsideForTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openDB(t)
		ctx := t.Context()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for i := range 3*rollupBatch + 1 {
			if _, err := tx.Exec(`INSERT INTO request_logs(req_id, ts, client_dialect, endpoint, requested_model, provider,
				upstream_model, status, latency_ms, tokens_in, tokens_out) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
				fmt.Sprint("r", i), now.UnixMilli(), "openai", "/v1/chat/completions", "m", "openai", "gpt-5-mini", 200, 800, 1200, 300); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var tr Traffic
		m := NewMaintainer(db, slog.New(slog.DiscardHandler), CatalogPrices, Retention{Days: 30, MaxMiB: 1024})
		m.WaitForQuiet(&tr)
		busy, stop := context.WithCancel(ctx)
		ended := make(chan struct{})
		go func() { // a request every 2 ms
			defer close(ended)
			for busy.Err() == nil {
				tr.Start()
				time.Sleep(500 * time.Microsecond)
				tr.Done()
				time.Sleep(1500 * time.Microsecond)
			}
		}()
		done := make(chan PassReport, 1)
		go func() { done <- m.Pass(ctx, now) }()
		rolled := func() int64 {
			id, err := RolledUpTo(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		settle(UpkeepMaxLullWait / 2)
		if got := rolled(); got != rollupBatch {
			t.Fatalf("rolled up to %d half a longest wait into a pass beside steady traffic, want the first batch (%d)", got, rollupBatch)
		}
		settle(UpkeepMaxLullWait)
		if got := rolled(); got != 2*rollupBatch {
			t.Fatalf("rolled up to %d after one more longest wait, want two batches (%d)", got, 2*rollupBatch)
		}
		stop()
		settle(100 * time.Millisecond) // the traffic ends: the rest goes at the rests' pace
		<-ended
		select {
		case rep := <-done:
			if rep.Error != "" || rep.RolledUp != 3*rollupBatch+1 {
				t.Fatalf("pass: %+v", rep)
			}
		default:
			t.Fatalf("the pass had not ended 100 ms after the traffic stopped (rolled up to %d)", rolled())
		}
	})
}
