package notify

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/route"
)

// recorder is a Notifier that keeps what it was asked to show.
type recorder struct {
	mu  sync.Mutex
	got []Notification
}

func (r *recorder) Notify(n Notification) error {
	r.mu.Lock()
	r.got = append(r.got, n)
	r.mu.Unlock()
	return nil
}

func (r *recorder) titles() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.got {
		out = append(out, n.Title)
	}
	return out
}

// clock is an injected, manually advanced clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func newTestService(p Prefs) (*Service, *recorder, *clock) {
	rec := &recorder{}
	clk := &clock{t: t0}
	s := New(Options{Notifier: rec, Prefs: p, Now: clk.now, Log: slog.New(slog.DiscardHandler),
		Format: Formatter{Loc: time.UTC, Name: func(id string) string {
			return map[string]string{"openai": "OpenAI", "groq": "Groq"}[id]
		}}})
	return s, rec, clk
}

func ev(kind events.Kind, c route.Change) events.Event { return events.Event{Kind: kind, Data: c} }

func TestFormat(t *testing.T) {
	f := Formatter{Loc: time.UTC, Name: func(id string) string { return map[string]string{"openai": "OpenAI"}[id] }}
	cases := []struct {
		name        string
		kind        events.Kind
		c           route.Change
		reminder    bool
		title, body string
		page        string
	}{
		{"breaker", KindBreakerOpen, route.Change{Provider: "openai", Message: "upstream 500:\n internal"}, false,
			"OpenAI is failing",
			"Switchboard stopped sending requests to OpenAI after repeated errors and routes them to other providers until it answers again. Last error: upstream 500: internal",
			PageProviders},
		{"breaker reminder", KindBreakerOpen, route.Change{Provider: "openai"}, true,
			"OpenAI is still failing",
			"Switchboard stopped sending requests to OpenAI after repeated errors and routes them to other providers until it answers again.",
			PageProviders},
		{"quota today", KindQuotaExhausted, route.Change{Provider: "openai", Account: "work", Until: t0.Add(3*time.Hour + 5*time.Minute)}, false,
			"OpenAI quota exhausted",
			"Account work of OpenAI is out of quota until 13:05. Other accounts and providers take its requests meanwhile.",
			PageProviders},
		{"quota tomorrow", KindQuotaExhausted, route.Change{Provider: "openai", Until: t0.Add(20 * time.Hour)}, false,
			"OpenAI quota exhausted",
			"OpenAI is out of quota until tomorrow 06:00. Other accounts and providers take its requests meanwhile.",
			PageProviders},
		{"quota later", KindQuotaExhausted, route.Change{Provider: "openai", Until: t0.Add(72 * time.Hour)}, false,
			"OpenAI quota exhausted",
			"OpenAI is out of quota until Tue 17 Mar 10:00. Other accounts and providers take its requests meanwhile.",
			PageProviders},
		{"quota unknown reset", KindQuotaExhausted, route.Change{Provider: "groq"}, false,
			"Groq quota exhausted",
			"Groq is out of quota until it resets. Other accounts and providers take its requests meanwhile.",
			PageProviders},
		{"combo", KindComboUnavailable, route.Change{Provider: "coding"}, false,
			"Combo coding is unavailable",
			"Every target of coding is cooling down, failing or disabled: requests to it fail until one recovers.",
			PageCombos},
		{"oauth", KindOAuthRefreshFailed, route.Change{Provider: "openai", Account: "me@example.com", Message: "invalid_grant"}, false,
			"OpenAI sign-in expired",
			"Switchboard could not refresh the sign-in of account me@example.com of OpenAI; sign in again from the dashboard. Last error: invalid_grant",
			PageProviders},
		{"recovered", KindRecovered, route.Change{Provider: "custom-x"}, false,
			"custom-x recovered", "Requests are routed to custom-x again.", PageProviders},
		{"quota window exhausted", KindQuotaExhausted, route.Change{Provider: "openai", Account: "max", Window: "5-hour", Until: t0.Add(72 * time.Minute)}, false,
			"OpenAI quota exhausted",
			"Account max of OpenAI is out of quota (5-hour window) until 11:12. Other accounts and providers take its requests meanwhile.",
			PageProviders},
		{"threshold", KindQuotaThreshold, route.Change{Provider: "openai", Account: "max", Window: "5-hour", Percent: 92, Until: t0.Add(72 * time.Minute)}, false,
			"OpenAI: 5-hour at 92%", "Account max of OpenAI has used 92% of its 5-hour window; it resets at 11:12.", PageLimits},
		{"threshold weekly", KindQuotaThreshold, route.Change{Provider: "openai", Window: "Weekly", Percent: 90, Until: t0.Add(50 * time.Hour)}, false,
			"OpenAI: Weekly at 90%", "OpenAI has used 90% of its Weekly window; it resets on Mon 16 Mar 12:00.", PageLimits},
		{"threshold no reset", KindQuotaThreshold, route.Change{Provider: "openai", Account: "k", Window: "Requests", Percent: 95}, false,
			"OpenAI: Requests at 95%", "Account k of OpenAI has used 95% of its Requests window.", PageLimits},
		{"back", KindQuotaBack, route.Change{Provider: "openai", Account: "max", Window: "5-hour"}, false,
			"OpenAI quota back", "Account max of OpenAI has quota again (5-hour window); requests go to it again.", PageLimits},
		{"key budget", KindKeyBudget, route.Change{Account: "ci", Window: "daily budget", Percent: 84, Until: t0.Add(13 * time.Hour)}, false,
			"Key ci: 84% of its daily budget",
			"The Switchboard key ci has used 84% of its daily budget; it resets at 23:00. Requests are refused once it is used up.",
			PageKeys},
		{"back after a poll", KindQuotaBack, route.Change{Provider: "openai", Account: "max"}, false,
			"OpenAI quota back", "Account max of OpenAI has quota again; requests go to it again.", PageLimits},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := f.Format(tc.kind, tc.c, t0, tc.reminder)
			if n.Title != tc.title || n.Body != tc.body || n.Page != tc.page || n.Kind != tc.kind {
				t.Fatalf("got\n  %q\n  %q\n  %q\nwant\n  %q\n  %q\n  %q", n.Title, n.Body, n.Page, tc.title, tc.body, tc.page)
			}
		})
	}
	long := f.Format(KindBreakerOpen, route.Change{Provider: "openai", Message: strings.Repeat("x", 500)}, t0, false)
	if !strings.HasSuffix(long.Body, "…") || len([]rune(long.Body)) > 300 {
		t.Fatalf("long message not truncated: %d runes", len([]rune(long.Body)))
	}
}

func TestFlappingProviderAlertsAtMostOncePerInterval(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	trip := ev(KindBreakerOpen, route.Change{Provider: "openai", Message: "upstream 502"})
	back := ev(KindRecovered, route.Change{Provider: "openai"})
	// Trip and recover every 30 s for 4.5 minutes: one trip alert, the
	// recovery that answers it, nothing else.
	for i := 0; i < 9; i++ {
		s.Handle(trip)
		clk.add(15 * time.Second)
		s.Handle(back)
		clk.add(15 * time.Second)
		s.Remind()
	}
	want := []string{"OpenAI is failing", "OpenAI recovered"}
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("after flapping: %q, want %q", got, want)
	}
	// Past the interval the cycle may alert once more (and only once).
	clk.add(time.Minute)
	for i := 0; i < 5; i++ {
		s.Handle(trip)
		clk.add(10 * time.Second)
		s.Handle(back)
	}
	want = append(want, "OpenAI is failing", "OpenAI recovered")
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("next interval: %q, want %q", got, want)
	}
}

func TestSuppressedTripThatStaysDownIsRemindedOnce(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	trip := ev(KindBreakerOpen, route.Change{Provider: "openai"})
	s.Handle(trip)
	clk.add(20 * time.Second)
	s.Handle(ev(KindRecovered, route.Change{Provider: "openai"}))
	clk.add(20 * time.Second)
	s.Handle(trip) // suppressed: within the interval
	for i := 0; i < 30; i++ {
		clk.add(15 * time.Second)
		s.Remind()
	}
	want := []string{"OpenAI is failing", "OpenAI recovered", "OpenAI is still failing"}
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	// The reminder counts as the shown trip: its recovery is shown too.
	s.Handle(ev(KindRecovered, route.Change{Provider: "openai"}))
	if got := rec.titles(); len(got) != 4 || got[3] != "OpenAI recovered" {
		t.Fatalf("recovery after reminder: %q", got)
	}
}

func TestDedupeIsPerKindAndProvider(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	s.Handle(ev(KindQuotaExhausted, route.Change{Provider: "openai", Account: "a"}))
	s.Handle(ev(KindQuotaExhausted, route.Change{Provider: "openai", Account: "b"})) // same (kind, provider)
	s.Handle(ev(KindQuotaExhausted, route.Change{Provider: "groq"}))
	s.Handle(ev(KindBreakerOpen, route.Change{Provider: "openai"}))
	s.Handle(ev(KindComboUnavailable, route.Change{Provider: "coding"}))
	s.Handle(ev(KindComboUnavailable, route.Change{Provider: "coding"}))
	s.Handle(ev(events.Kind(route.CoolingDown) /* not notified */, route.Change{Provider: "openai"}))
	s.Handle(events.Event{Kind: KindQuotaExhausted, Data: "not a change"})
	want := []string{"OpenAI quota exhausted", "Groq quota exhausted", "OpenAI is failing", "Combo coding is unavailable"}
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	clk.add(5 * time.Minute)
	s.Handle(ev(KindQuotaExhausted, route.Change{Provider: "openai", Account: "b"}))
	if got := rec.titles(); len(got) != 5 {
		t.Fatalf("after the interval: %q", got)
	}
}

func TestPrefsSwitchKindsOffAndSetTheInterval(t *testing.T) {
	p := DefaultPrefs()
	p.QuotaExhausted = false
	p.IntervalSec = 60
	s, rec, clk := newTestService(p)
	s.Handle(ev(KindQuotaExhausted, route.Change{Provider: "openai"}))
	s.Handle(ev(KindOAuthRefreshFailed, route.Change{Provider: "openai", Account: "me"}))
	clk.add(61 * time.Second)
	s.Handle(ev(KindOAuthRefreshFailed, route.Change{Provider: "openai", Account: "me"}))
	if got := rec.titles(); !equal(got, []string{"OpenAI sign-in expired", "OpenAI sign-in expired"}) {
		t.Fatalf("%q", got)
	}
	// Prefs arrive over the bus: everything off.
	off := DefaultPrefs()
	off.Enabled = false
	s.Handle(events.Event{Kind: KindPrefsChanged, Data: off})
	s.Handle(ev(KindBreakerOpen, route.Change{Provider: "groq"}))
	s.Handle(ev(KindRecovered, route.Change{Provider: "groq"}))
	if got := rec.titles(); len(got) != 2 {
		t.Fatalf("master switch off: %q", got)
	}
}

func TestPrefsNormalize(t *testing.T) {
	p, err := Prefs{Enabled: true}.Normalize()
	if err != nil || p.IntervalSec != DefaultIntervalSec || p.QuotaThresholdPercent != DefaultQuotaThresholdPercent {
		t.Fatalf("%+v %v", p, err)
	}
	// Prefs saved by a dashboard that predates the quota alerts keep them on.
	if !p.Wants(KindQuotaThreshold) || !p.Wants(KindQuotaBack) || !*p.QuotaThreshold || !*p.QuotaBack {
		t.Fatalf("quota alerts left out are off: %+v", p)
	}
	for _, bad := range []int{-1, 5, MaxIntervalSec + 1} {
		if _, err := (Prefs{IntervalSec: bad}).Normalize(); err == nil {
			t.Errorf("interval %d accepted", bad)
		}
	}
	for _, bad := range []Prefs{{QuotaThresholdPercent: 101}, {QuotaThresholdPercent: -3},
		{QuotaThresholds: map[string]int{"acct": 0}}, {QuotaThresholds: map[string]int{"acct": 120}}} {
		if _, err := bad.Normalize(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if p, err := (Prefs{QuotaThresholdPercent: 75, QuotaThresholds: map[string]int{"a": 50}}).Normalize(); err != nil || p.QuotaThresholdPercent != 75 {
		t.Fatalf("%+v %v", p, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Quota alerts are per account (two accounts are two plans); the interval
// still bounds a storm of them.
func TestQuotaAlertsPerAccount(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	th := func(acct string) events.Event {
		return ev(KindQuotaThreshold, route.Change{Provider: "openai", Account: acct, Window: "5-hour", Percent: 90})
	}
	s.Handle(th("a"))
	s.Handle(th("b"))
	s.Handle(th("a"))
	s.Handle(ev(KindQuotaBack, route.Change{Provider: "openai", Account: "a"}))
	want := []string{"OpenAI: 5-hour at 90%", "OpenAI: 5-hour at 90%", "OpenAI quota back"}
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	clk.add(5 * time.Minute)
	off := DefaultPrefs()
	off.QuotaThreshold, off.QuotaBack = Off(), Off()
	s.SetPrefs(off)
	s.Handle(th("a"))
	s.Handle(ev(KindQuotaBack, route.Change{Provider: "openai", Account: "a"}))
	if got := rec.titles(); len(got) != 3 {
		t.Fatalf("switched off: %q", got)
	}
}

// A key's budget warning becomes one notification (per key and budget
// within the interval), and the preference switches it off.
func TestKeyBudgetNotification(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	warn := func(key, window string) events.Event {
		return ev(KindKeyBudget, route.Change{Kind: route.ChangeKind(KindKeyBudget), Account: key, Window: window, Percent: 80})
	}
	s.Handle(warn("ci", "daily budget"))
	s.Handle(warn("ci", "daily budget"))
	s.Handle(warn("ci", "monthly token budget"))
	s.Handle(warn("laptop", "daily budget"))
	want := []string{"Key ci: 80% of its daily budget", "Key ci: 80% of its monthly token budget", "Key laptop: 80% of its daily budget"}
	if got := rec.titles(); !equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	clk.add(10 * time.Minute)
	off := DefaultPrefs()
	off.KeyBudget = Off()
	s.SetPrefs(off)
	s.Handle(warn("other", "daily budget"))
	if got := rec.titles(); len(got) != 3 {
		t.Fatalf("switched off: %q", got)
	}
}

// The reminder clock runs only while a suppressed trip waits: at rest the
// service sleeps; a suppressed trip starts the clock, its reminder (due
// once the interval has passed) stops it again.
func TestReminderClockRunsOnlyWhileAReminderWaits(t *testing.T) {
	s, rec, clk := newTestService(DefaultPrefs())
	s.remindEvery = 10 * time.Millisecond
	bus := events.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !s.Listen(ctx, bus) {
		t.Fatal("no subscription")
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal(what)
			}
		}
	}
	bus.Publish(KindBreakerOpen, route.Change{Provider: "openai"})
	waitFor("first trip not shown", func() bool { return len(rec.titles()) == 1 })
	if s.ticking.Load() {
		t.Fatal("the reminder clock runs with nothing to remind")
	}
	bus.Publish(KindRecovered, route.Change{Provider: "openai"})
	bus.Publish(KindBreakerOpen, route.Change{Provider: "openai"}) // suppressed: within the interval
	waitFor("a suppressed trip did not start the reminder clock", s.ticking.Load)
	clk.add(time.Hour)
	waitFor("the reminder never came", func() bool { return len(rec.titles()) == 3 })
	waitFor("the reminder clock kept running after the reminder", func() bool { return !s.ticking.Load() })
}
