package app

import (
	"strings"
	"testing"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/mgmt"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

var now = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func base() TrayState {
	return TrayState{Now: now, Endpoint: "http://127.0.0.1:20128", TodayKnown: true,
		LaunchAtLogin: mgmt.LaunchAtLogin{Supported: true}}
}

func ok(id, name string) TrayProvider {
	return TrayProvider{ID: id, Name: name, CanPause: true, Accounts: 1, Breaker: route.BreakerClosed}
}

func item(t *testing.T, m traymenu.Model, id string) traymenu.Item {
	t.Helper()
	it, found := m.Item(id)
	if !found {
		t.Fatalf("no item %q", id)
	}
	return it
}

// visible lists the titles a user sees at the top level, in order.
func visible(m traymenu.Model) []string {
	var out []string
	for _, it := range m.Items {
		if it.Parent == "" && !it.Separator && it.Visible {
			out = append(out, it.Title)
		}
	}
	return out
}

func TestTrayMenuLayoutNeverChanges(t *testing.T) {
	first := TrayMenu(base())
	states := []TrayState{base()}
	s := base()
	for i := 0; i < 12; i++ {
		s.Providers = append(s.Providers, ok(string(rune('a'+i)), ""))
	}
	s.ToolCombos = []string{"a", "b", "c", "d", "e"}
	states = append(states, s)
	for _, st := range states {
		if m := TrayMenu(st); !traymenu.SameLayout(first, m) {
			t.Fatalf("layout changed with %d providers", len(st.Providers))
		}
	}
	// endpoint, noproviders, 8 × (provider + 3 children), more, today, 4 tools, open, reset, autostart, quit, 4 separators
	if want := 1 + 1 + TrayProviderSlots*4 + 1 + 1 + TrayToolSlots + 4 + 4; len(first.Items) != want {
		t.Fatalf("%d items, want %d", len(first.Items), want)
	}
}

func TestTrayMenuWithoutProviders(t *testing.T) {
	st := base()
	st.TodayKnown = false
	m := TrayMenu(st)
	if m.Icon != traymenu.IconIdle {
		t.Fatalf("icon %s", m.Icon)
	}
	want := []string{"Copy endpoint  http://127.0.0.1:20128", "No providers yet: add one in the dashboard", "Today: …",
		"Open dashboard", "Reset all cooldowns", "Launch at login", "Quit Switchboard"}
	if got := visible(m); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("visible:\n%q\nwant\n%q", got, want)
	}
	if it := item(t, m, "reset"); it.Enabled {
		t.Fatal("reset enabled with nothing to reset")
	}
	if it := item(t, m, "noproviders"); it.Action != "open-page:/providers" || !it.Enabled {
		t.Fatalf("%+v", it)
	}
	if m.Tooltip != "Switchboard · http://127.0.0.1:20128 · no providers yet" {
		t.Fatalf("tooltip %q", m.Tooltip)
	}
}

func TestTrayMenuProviderStates(t *testing.T) {
	cases := []struct {
		name    string
		p       TrayProvider
		title   string
		sev     traymenu.Icon
		pause   string // title of the pause item
		action  string
		enabled bool // pause item enabled
		reset   bool // reset item enabled
	}{
		{"healthy", ok("openai", "OpenAI"), "✓ OpenAI: ok", traymenu.IconOK,
			"Pause routing to OpenAI", "pause:openai", true, false},
		{"signed in", func() TrayProvider {
			p := ok("claude", "Claude")
			p.SignedIn = []string{"max@example.com"}
			return p
		}(), "✓ Claude: ok · max@example.com", traymenu.IconOK, "Pause routing to Claude", "pause:claude", true, false},
		{"its only sign-in needs the user", func() TrayProvider {
			p := ok("claude", "Claude")
			p.SignedOut = []string{"max@example.com"}
			return p
		}(), "⚠ Claude: sign in again (max@example.com)", traymenu.IconDown, "Pause routing to Claude", "pause:claude", true, false},
		{"one of two sign-ins needs the user", func() TrayProvider {
			p := ok("claude", "Claude")
			p.Accounts = 2
			p.SignedIn, p.SignedOut = []string{"a@example.com"}, []string{"b@example.com"}
			return p
		}(), "⚠ Claude: sign in again (b@example.com)", traymenu.IconDegraded, "Pause routing to Claude", "pause:claude", true, false},
		{"cooling on one model", func() TrayProvider {
			p := ok("groq", "Groq")
			p.Rests = []route.Cooldown{{AccountID: "a1", Account: "main", Provider: "groq", Model: "llama-3", Reason: route.ReasonServer, Until: now.Add(41*time.Second + 200*time.Millisecond)}}
			return p
		}(), "⚠ Groq: cooling down (llama-3), 42s left", traymenu.IconDegraded, "Pause routing to Groq", "pause:groq", true, true},
		{"rate limited, minutes", func() TrayProvider {
			p := ok("groq", "Groq")
			p.Rests = []route.Cooldown{{AccountID: "a1", Provider: "groq", Model: "llama-3", Reason: route.ReasonRateLimited, Until: now.Add(4*time.Minute + 5*time.Second)}}
			return p
		}(), "⚠ Groq: rate limited (llama-3), 4m 05s left", traymenu.IconDegraded, "Pause routing to Groq", "pause:groq", true, true},
		{"quota on one of two accounts", func() TrayProvider {
			p := ok("openai", "OpenAI")
			p.Accounts = 2
			p.Rests = []route.Cooldown{{AccountID: "a2", Account: "work", Provider: "openai", Model: "*", Reason: route.ReasonQuota, Until: now.Add(3*time.Hour + 12*time.Minute)}}
			return p
		}(), "⚠ OpenAI: quota exhausted (work), resets in 3h 12m", traymenu.IconDegraded, "Pause routing to OpenAI", "pause:openai", true, true},
		{"quota on every account", func() TrayProvider {
			p := ok("openai", "OpenAI")
			p.Accounts = 2
			p.Rests = []route.Cooldown{
				{AccountID: "a2", Account: "work", Provider: "openai", Model: "*", Reason: route.ReasonQuota, Until: now.Add(50 * time.Hour)},
				{AccountID: "a1", Account: "home", Provider: "openai", Model: "*", Reason: route.ReasonQuota, Until: now.Add(90 * time.Minute)},
			}
			return p
		}(), "✕ OpenAI: quota exhausted (home), resets in 1h 30m (+1 more)", traymenu.IconDown, "Pause routing to OpenAI", "pause:openai", true, true},
		{"key rejected, single account", func() TrayProvider {
			p := ok("openai", "OpenAI")
			p.Rests = []route.Cooldown{{AccountID: "a1", Account: "main", Provider: "openai", Model: "*", Reason: route.ReasonAuth, Until: now.Add(5 * time.Minute)}}
			return p
		}(), "✕ OpenAI: key rejected, retry in 5m 00s", traymenu.IconDown, "Pause routing to OpenAI", "pause:openai", true, true},
		{"expired cooldown is ok", func() TrayProvider {
			p := ok("openai", "OpenAI")
			p.Rests = []route.Cooldown{{AccountID: "a1", Provider: "openai", Model: "*", Reason: route.ReasonQuota, Until: now.Add(-time.Second)}}
			return p
		}(), "✓ OpenAI: ok", traymenu.IconOK, "Pause routing to OpenAI", "pause:openai", true, false},
		{"breaker open", func() TrayProvider {
			p := ok("local", "")
			p.Breaker, p.BreakerUntil = route.BreakerOpen, now.Add(25*time.Second)
			return p
		}(), "✕ local: breaker open, retry in 25s", traymenu.IconDown, "Pause routing to local", "pause:local", true, true},
		{"breaker probing", func() TrayProvider {
			p := ok("local", "Ollama")
			p.Breaker, p.BreakerUntil = route.BreakerHalfOpen, now.Add(-time.Second)
			return p
		}(), "✕ Ollama: breaker open, probing", traymenu.IconDown, "Pause routing to Ollama", "pause:local", true, true},
		{"paused", func() TrayProvider {
			p := ok("openai", "OpenAI")
			p.Paused, p.CanPause, p.Accounts = true, false, 0
			return p
		}(), "⏸ OpenAI: paused", traymenu.IconDown, "Resume routing to OpenAI", "resume:openai", true, false},
		{"config-file accounts cannot be paused", func() TrayProvider {
			p := ok("anthropic", "Anthropic")
			p.CanPause = false
			return p
		}(), "✓ Anthropic: ok", traymenu.IconOK, "Pause routing to Anthropic", "pause:anthropic", false, false},
		{"disabled", func() TrayProvider {
			p := ok("x", "X")
			p.Disabled = true
			return p
		}(), "– X: disabled", traymenu.IconDown, "Pause routing to X", "pause:x", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := base()
			st.Providers = []TrayProvider{tc.p}
			m := TrayMenu(st)
			if it := item(t, m, "provider.0"); it.Title != tc.title || !it.Visible {
				t.Fatalf("title %q, want %q", it.Title, tc.title)
			}
			if m.Icon != tc.sev {
				t.Fatalf("icon %s, want %s", m.Icon, tc.sev)
			}
			pause := item(t, m, "provider.0.pause")
			if pause.Title != tc.pause || pause.Action != tc.action || pause.Enabled != tc.enabled {
				t.Fatalf("pause item %+v", pause)
			}
			if r := item(t, m, "provider.0.reset"); r.Enabled != tc.reset || r.Action != "reset:"+tc.p.ID {
				t.Fatalf("reset item %+v", r)
			}
			if item(t, m, "reset").Enabled != tc.reset {
				t.Fatal("global reset disagrees")
			}
			if item(t, m, "provider.1").Visible || item(t, m, "noproviders").Visible {
				t.Fatal("unused slots shown")
			}
		})
	}
}

func TestTrayMenuOverallIconAndTooltip(t *testing.T) {
	st := base()
	down := ok("groq", "Groq")
	down.Breaker, down.BreakerUntil = route.BreakerOpen, now.Add(time.Minute)
	degraded := ok("mistral", "Mistral")
	degraded.Rests = []route.Cooldown{{Provider: "mistral", Model: "m", Reason: route.ReasonServer, Until: now.Add(time.Second)}}
	paused := ok("openai", "OpenAI")
	paused.Paused = true

	st.Providers = []TrayProvider{ok("a", "A"), paused}
	if m := TrayMenu(st); m.Icon != traymenu.IconOK || m.Tooltip != "Switchboard · http://127.0.0.1:20128 · all providers ok" {
		t.Fatalf("a paused provider is the user's choice, not trouble: %s %q", m.Icon, m.Tooltip)
	}
	st.Providers = []TrayProvider{ok("a", "A"), degraded}
	if m := TrayMenu(st); m.Icon != traymenu.IconDegraded || !strings.HasSuffix(m.Tooltip, "1 degraded") {
		t.Fatalf("%s %q", m.Icon, m.Tooltip)
	}
	st.Providers = []TrayProvider{ok("a", "A"), degraded, down}
	if m := TrayMenu(st); m.Icon != traymenu.IconDown || !strings.HasSuffix(m.Tooltip, "1 down, 1 degraded") {
		t.Fatalf("%s %q", m.Icon, m.Tooltip)
	}
	st.Providers = []TrayProvider{paused}
	if m := TrayMenu(st); m.Icon != traymenu.IconDown || !strings.HasSuffix(m.Tooltip, "every provider is paused or disabled") {
		t.Fatalf("nothing routes: %s %q", m.Icon, m.Tooltip)
	}
}

func TestTrayMenuMoreProvidersThanSlots(t *testing.T) {
	st := base()
	for i := 0; i < TrayProviderSlots+2; i++ {
		st.Providers = append(st.Providers, ok("p"+string(rune('0'+i)), ""))
	}
	bad := &st.Providers[9] // beyond the slots, but in trouble: shown first
	bad.Breaker, bad.BreakerUntil = route.BreakerOpen, now.Add(10*time.Second)
	m := TrayMenu(st)
	if it := item(t, m, "provider.0"); it.Title != "✕ p9: breaker open, retry in 10s" {
		t.Fatalf("first slot %q", it.Title)
	}
	if it := item(t, m, "provider.7"); !it.Visible || it.Title != "✓ p6: ok" {
		t.Fatalf("last slot %+v", it)
	}
	if it := item(t, m, "provider.more"); !it.Visible || it.Title != "…and 2 more in the dashboard" || it.Action != "open-page:/providers" {
		t.Fatalf("more %+v", it)
	}
}

func TestTrayMenuTodayToolsEndpointAndLaunchAtLogin(t *testing.T) {
	st := base()
	st.Providers = []TrayProvider{ok("openai", "OpenAI")}
	st.Today = usage.Totals{Requests: 42, TokensIn: 10_000, TokensOut: 2_345, CostUSD: 0.184, Errors: 3}
	st.ToolCombos = []string{"Claude Code → coding", "Codex → fast"}
	st.LaunchAtLogin = mgmt.LaunchAtLogin{Enabled: true, Supported: true}
	st.CopiedUntil = now.Add(time.Second)
	m := TrayMenu(st)
	if it := item(t, m, "today"); it.Title != "Today: 42 requests · 12.3k tokens · $0.18" || it.Enabled {
		t.Fatalf("today %+v", it)
	}
	if a, b, c := item(t, m, "tool.0"), item(t, m, "tool.1"), item(t, m, "tool.2"); a.Title != "Claude Code → coding" || !a.Visible ||
		b.Title != "Codex → fast" || !b.Visible || c.Visible || a.Enabled {
		t.Fatalf("tools %+v %+v %+v", a, b, c)
	}
	if it := item(t, m, "endpoint"); it.Title != "✓ Copied  http://127.0.0.1:20128" || it.Action != "copy-endpoint" {
		t.Fatalf("endpoint %+v", it)
	}
	login := item(t, m, "autostart")
	if !login.Checkable || !login.Checked || login.Action != "autostart:off" || !login.Enabled {
		t.Fatalf("launch at login %+v", login)
	}

	st.Today = usage.Totals{Requests: 1, TokensIn: 2_500_000, CostUSD: 0.001, Unpriced: 1}
	st.LaunchAtLogin = mgmt.LaunchAtLogin{Error: "no executable"}
	st.CopiedUntil = now
	m = TrayMenu(st)
	if it := item(t, m, "today"); it.Title != "Today: 1 request · 2.5M tokens · <$0.01+" {
		t.Fatalf("today %q", it.Title)
	}
	if it := item(t, m, "endpoint"); it.Title != "Copy endpoint  http://127.0.0.1:20128" {
		t.Fatalf("endpoint %q", it.Title)
	}
	login = item(t, m, "autostart")
	if login.Checked || login.Enabled || login.Action != "autostart:on" || login.Tooltip != "no executable" {
		t.Fatalf("unsupported launch at login %+v", login)
	}
}

func TestCountdowns(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                      "now",
		0:                                 "now",
		time.Millisecond:                  "1s",
		59 * time.Second:                  "59s",
		59*time.Second + time.Millisecond: "1m 00s",
		61 * time.Second:                  "1m 01s",
		3*time.Hour + 12*time.Minute:      "3h 12m",
		26*time.Hour + 30*time.Minute:     "1d 2h",
		time.Hour - time.Nanosecond:       "1h 00m",
		24*time.Hour - time.Nanosecond:    "1d 0h",
	} {
		if got := left(d); got != want {
			t.Errorf("left(%v) = %q, want %q", d, got, want)
		}
	}
}
