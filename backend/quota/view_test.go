package quota

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/route"
)

func provWith(id, name string, accounts ...string) *route.Provider {
	p := &route.Provider{Entry: provider.Entry{ID: id, Name: name}}
	for _, a := range accounts {
		p.Accounts = append(p.Accounts, &route.Account{ID: id + ":" + a, Name: a, ProviderID: id})
	}
	return p
}

func plan(name string, used float64, reset time.Duration) Window {
	return Window{Name: name, Used: used, ResetAt: t0.Add(reset), Source: SourceUsage, ObservedAt: t0, Plan: true}
}

// The tray's line per provider: the tightest window of the account routing
// turns to (out of reserve first, then the most left); exhausted only when
// every account is.
func TestProviderLines(t *testing.T) {
	tr, _, _ := newTracker(t, Options{})
	tr.SetReserve(10)
	snap := route.NewSnapshot([]*route.Provider{
		provWith("claude", "Claude", "max", "pro"),
		provWith("codex", "ChatGPT", "plus", "team"),
		provWith("openai", "OpenAI", "key"),
		provWith("groq", "Groq", "free"),
	}, nil)
	tr.apply("claude:max", ident{"claude", "max"}, []Window{plan("5h", 0.72, 72*time.Minute), plan("7d", 0.40, 50*time.Hour)}, merge{})
	tr.apply("claude:pro", ident{"claude", "pro"}, []Window{plan("5h", 0.95, time.Hour)}, merge{})
	tr.apply("codex:plus", ident{"codex", "plus"}, []Window{plan("primary", 1, 2*time.Hour)}, merge{})
	tr.apply("codex:team", ident{"codex", "team"}, []Window{plan("primary", 1, time.Hour)}, merge{})
	tr.apply("openai:key", ident{"openai", "key"}, []Window{plan("requests", 0.93, 5*time.Hour)}, merge{})
	var got []string
	for _, l := range tr.ProviderLines(snap) {
		s := fmt.Sprintf("%s %s %s %s %.0f%%", l.ProviderName, l.Account, l.State, l.Window.Label, l.Window.Percent)
		if !l.ExhaustedUntil.IsZero() {
			s += " until+" + l.ExhaustedUntil.Sub(t0).String()
		}
		got = append(got, s)
	}
	same(t, "lines", got,
		"Claude max ok 5-hour 72%",
		"ChatGPT team exhausted Session 100% until+1h0m0s",
		"OpenAI key reserve Requests 93%")
	// The Limits page: every account, even those nothing is known of.
	o := tr.Overview(snap)
	var states []string
	for _, a := range o.Accounts {
		states = append(states, a.AccountID+"="+a.State)
	}
	same(t, "states", states, "claude:max=ok", "claude:pro=reserve", "codex:plus=exhausted", "codex:team=exhausted",
		"openai:key=reserve", "groq:free=ok")
	if o.ReservePercent != 10 || o.ThresholdPercent != 90 || len(o.Accounts[5].Windows) != 0 {
		t.Fatalf("overview %+v", o)
	}
}

// The JSON the Limits page reads.
func TestAccountViewJSON(t *testing.T) {
	tr, _, _ := newTracker(t, Options{})
	tr.ObserveAnswer(cand("openai", "key"), hdr("x-ratelimit-limit-requests", "500", "x-ratelimit-remaining-requests", "125",
		"x-ratelimit-reset-requests", "30s"), t0)
	v, ok := tr.Account("openai:key")
	if !ok {
		t.Fatal("unknown")
	}
	b, _ := json.Marshal(v)
	want := `{"accountId":"openai:key","account":"key","provider":"openai","providerName":"","state":"ok",` +
		`"tightest":{"name":"requests","label":"Requests","percent":75,"remaining":125,"limit":500,"resetAt":"2026-11-26T12:00:30Z","source":"headers","observedAt":"2026-11-26T12:00:00Z","plan":false,"exhausted":false,"stale":false},` +
		`"windows":[{"name":"requests","label":"Requests","percent":75,"remaining":125,"limit":500,"resetAt":"2026-11-26T12:00:30Z","source":"headers","observedAt":"2026-11-26T12:00:00Z","plan":false,"exhausted":false,"stale":false}],` +
		`"polled":false}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	if strings.Contains(string(b), "exhaustedUntil") {
		t.Fatal("zero times are left out")
	}
}
