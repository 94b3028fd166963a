package quota

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"switchboard/backend/store"
)

// Windows survive a restart, and so does what was told of them: a window
// announced as used up is not announced again, one that reset while the
// app was off re-arms quietly.
func TestWindowsSurviveARestart(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, clk, rec := newTracker(t, Options{})
	c := cand("codex", "me")
	tr.ObserveAnswer(c, codexHdr(100, t0.Add(time.Hour)), t0)
	tr.ObserveAnswer(cand("openai", "key"), hdr("x-ratelimit-limit-requests", "10000", "x-ratelimit-remaining-requests", "2500",
		"x-ratelimit-reset-requests", "20h"), t0)
	same(t, "before", rec.list(), "account_quota_exhausted me 5-hour")
	if err := tr.Save(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	before, _ := tr.Account(c.Account.ID)

	again, _, rec2 := newTracker(t, Options{Now: clk.now})
	if err := again.Load(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	after, _ := again.Account(c.Account.ID)
	if after.State != StateExhausted || after.Account != "me" || after.Provider != "codex" ||
		len(after.Windows) != 1 || fmt.Sprint(after.Windows[0]) != fmt.Sprint(before.Windows[0]) {
		t.Fatalf("restored\n %+v\nwant\n %+v", after, before)
	}
	key, _ := again.Account("openai:key")
	if w := key.Windows[0]; *w.Remaining != 2500 || *w.Limit != 10000 || !w.Plan || w.Percent != 75 {
		t.Fatalf("counts %+v", w)
	}
	again.ObserveAnswer(c, codexHdr(100, t0.Add(time.Hour)), t0.Add(time.Second))
	again.sweep(clk.now())
	same(t, "no second announcement", rec2.list())
	// The reset passes: back, once.
	clk.add(time.Hour)
	again.sweep(clk.now())
	same(t, "after reset", rec2.list(), "quota_back me 5-hour")
}
