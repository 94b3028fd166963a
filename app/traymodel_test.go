package app

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
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
	// endpoint, noproviders, 8 × (provider + 3 children), more, today, key budget, 4 tools, open, reset, autostart, quit, 4 separators
	if want := 1 + 1 + TrayProviderSlots*4 + 1 + 1 + 1 + TrayToolSlots + 4 + 4; len(first.Items) != want {
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
		if got := left(i18n.For("en"), d); got != want {
			t.Errorf("left(%v) = %q, want %q", d, got, want)
		}
	}
}

// quotaLine is a provider's tray quota line: the tightest window of the
// account routing turns to.
func quotaLine(state, account string, w *quota.WindowView, until time.Time) *quota.ProviderLine {
	return &quota.ProviderLine{Provider: "claude", ProviderName: "Claude Max", Account: account, State: state, Window: w, ExhaustedUntil: until}
}

func win(name, label string, span time.Duration, percent float64, reset time.Duration) *quota.WindowView {
	w := &quota.WindowView{Name: name, Label: label, Percent: percent, SpanSec: int64(span / time.Second), Source: quota.SourceUsage,
		ObservedAt: now.Add(-time.Minute), Plan: true, Exhausted: percent >= 100}
	if reset > 0 {
		w.ResetAt = now.Add(reset)
	}
	return w
}

// Each provider line shows its tightest quota window; the icon turns amber
// when a provider is inside its reserve and red when it is out.
func TestTrayMenuQuotaLines(t *testing.T) {
	fiveH := func(pct float64) *quota.WindowView {
		return win("5h", "5-hour", 5*time.Hour, pct, time.Hour+12*time.Minute)
	}
	limit, remaining := int64(1000), int64(70)
	requests := &quota.WindowView{Name: "requests", Label: "Requests", Percent: 93, Limit: &limit, Remaining: &remaining,
		Source: quota.SourceHeaders, ObservedAt: now}
	cases := []struct {
		name    string
		p       func(p *TrayProvider)
		title   string
		icon    traymenu.Icon
		tooltip string // a part of the line's tooltip
	}{
		{"the issue's example", func(p *TrayProvider) { p.Quota = quotaLine("ok", "max", fiveH(72), time.Time{}) },
			"✓ Claude Max: 5h 72% · resets 1h 12m", traymenu.IconOK, "5-hour window of max: 72% used (from the usage endpoint)"},
		{"several accounts: whose window", func(p *TrayProvider) {
			p.Accounts = 2
			p.Quota = quotaLine("ok", "work", fiveH(40.4), time.Time{})
		}, "✓ Claude Max: 5h 40% (work) · resets 1h 12m", traymenu.IconOK, "of work"},
		{"weekly window of one model", func(p *TrayProvider) {
			w := win("7d", "Weekly (Opus)", 7*24*time.Hour, 55, 50*time.Hour)
			w.Model = "opus"
			p.Quota = quotaLine("ok", "max", w, time.Time{})
		}, "✓ Claude Max: weekly opus 55% · resets 2d 2h", traymenu.IconOK, "Weekly (Opus) window"},
		{"a count window without a reset", func(p *TrayProvider) { p.Quota = quotaLine("ok", "key", requests, time.Time{}) },
			"✓ Claude Max: requests 93%", traymenu.IconOK, "93% used (from rate-limit headers), 70 of 1,000 left"},
		{"not used up yet never reads 100%", func(p *TrayProvider) {
			p.Quota = quotaLine("ok", "max", win("5h", "5-hour", 5*time.Hour, 99.7, time.Hour), time.Time{})
		},
			"✓ Claude Max: 5h 99% · resets 1h 00m", traymenu.IconOK, ""},
		{"inside the reserve: amber", func(p *TrayProvider) { p.Quota = quotaLine("reserve", "max", fiveH(93), time.Time{}) },
			"⚠ Claude Max: 5h 93% · in reserve · resets 1h 12m", traymenu.IconDegraded, ""},
		{"every account out: red, and when it is back", func(p *TrayProvider) {
			p.Quota = quotaLine("exhausted", "max", fiveH(100), now.Add(time.Hour+12*time.Minute))
		}, "✕ Claude Max: out of quota · 5h 100% · back in 1h 12m", traymenu.IconDown, ""},
		{"out, reset unknown", func(p *TrayProvider) {
			p.Quota = quotaLine("exhausted", "max", win("limit", "Limit", 0, 100, 0), time.Time{})
		}, "✕ Claude Max: out of quota · limit 100%", traymenu.IconDown, "(from the usage endpoint)"},
		{"no live window: plain ok", func(p *TrayProvider) { p.Quota = quotaLine("ok", "max", nil, time.Time{}) },
			"✓ Claude Max: ok", traymenu.IconOK, ""},
		{"a cooldown says more than the window", func(p *TrayProvider) {
			p.Quota = quotaLine("ok", "max", fiveH(72), time.Time{})
			p.Rests = []route.Cooldown{{AccountID: "a1", Provider: "claude", Model: "opus", Reason: route.ReasonRateLimited, Until: now.Add(42 * time.Second)}}
		}, "⚠ Claude Max: rate limited (opus), 42s left", traymenu.IconDegraded, ""},
		{"paused wins", func(p *TrayProvider) {
			p.Paused = true
			p.Quota = quotaLine("exhausted", "max", fiveH(100), now.Add(time.Hour))
		}, "⏸ Claude Max: paused", traymenu.IconDown, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := base()
			p := ok("claude", "Claude Max")
			tc.p(&p)
			st.Providers = []TrayProvider{p}
			m := TrayMenu(st)
			it := item(t, m, "provider.0")
			if it.Title != tc.title {
				t.Fatalf("title %q, want %q", it.Title, tc.title)
			}
			if m.Icon != tc.icon {
				t.Fatalf("icon %s, want %s", m.Icon, tc.icon)
			}
			if !strings.Contains(it.Tooltip, tc.tooltip) {
				t.Fatalf("tooltip %q lacks %q", it.Tooltip, tc.tooltip)
			}
		})
	}
}

// The overall icon and tooltip count quota like the rest: a provider in
// its reserve is degraded (amber), one used up is down (red), and with more
// providers than slots the used-up one is listed first.
func TestTrayMenuQuotaIcon(t *testing.T) {
	st := base()
	reserve, out := ok("claude", "Claude"), ok("codex", "ChatGPT")
	reserve.Quota = quotaLine("reserve", "max", win("5h", "5-hour", 5*time.Hour, 95, time.Hour), time.Time{})
	out.Quota = quotaLine("exhausted", "plus", win("primary", "5-hour", 5*time.Hour, 100, 2*time.Hour), now.Add(2*time.Hour))

	st.Providers = []TrayProvider{ok("a", "A"), reserve}
	if m := TrayMenu(st); m.Icon != traymenu.IconDegraded || !strings.HasSuffix(m.Tooltip, "1 degraded") {
		t.Fatalf("reserve: %s %q", m.Icon, m.Tooltip)
	}
	st.Providers = []TrayProvider{ok("a", "A"), reserve, out}
	if m := TrayMenu(st); m.Icon != traymenu.IconDown || !strings.HasSuffix(m.Tooltip, "1 down, 1 degraded") {
		t.Fatalf("out: %s %q", m.Icon, m.Tooltip)
	}
	st.Providers = nil
	for i := 0; i < TrayProviderSlots; i++ {
		st.Providers = append(st.Providers, ok("p"+strconv.Itoa(i), ""))
	}
	st.Providers = append(st.Providers, out)
	if it := item(t, TrayMenu(st), "provider.0"); it.Title != "✕ ChatGPT: out of quota · 5h 100% · back in 2h 00m" {
		t.Fatalf("first slot %q", it.Title)
	}
	// a quota line changes no item's id, order or parent
	if !traymenu.SameLayout(TrayMenu(base()), TrayMenu(st)) {
		t.Fatal("layout changed")
	}
}

func TestTrayNextTick(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ok := TrayProvider{ID: "a", Name: "A"}
	for _, c := range []struct {
		name string
		st   TrayState
		want time.Duration
	}{
		{"nothing counts down", TrayState{Now: now, Providers: []TrayProvider{ok}}, 0},
		{"copied flash", TrayState{Now: now, CopiedUntil: now.Add(1500 * time.Millisecond)}, time.Second},
		{"flash about to end", TrayState{Now: now, CopiedUntil: now.Add(200 * time.Millisecond)}, 200 * time.Millisecond},
		{"expired flash", TrayState{Now: now, CopiedUntil: now.Add(-time.Second)}, 0},
		{"breaker open", TrayState{Now: now, Providers: []TrayProvider{{ID: "b", Breaker: route.BreakerOpen, BreakerUntil: now.Add(30 * time.Second)}}}, time.Second},
		{"cooldown of hours", TrayState{Now: now, Providers: []TrayProvider{{ID: "c", Rests: []route.Cooldown{{Until: now.Add(3 * time.Hour)}}}}}, time.Minute},
		{"quota reset in days", TrayState{Now: now, Providers: []TrayProvider{{ID: "q", Quota: &quota.ProviderLine{Window: &quota.WindowView{ResetAt: now.Add(72 * time.Hour)}}}}}, time.Hour},
	} {
		if got := c.st.nextTick(); got != c.want {
			t.Errorf("%s: nextTick %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTrayMenuKeyBudgetLine(t *testing.T) {
	st := base()
	if it := item(t, TrayMenu(st), "keybudget"); it.Visible {
		t.Fatalf("key budget line without a warning: %+v", it)
	}
	st.KeyBudgets = []keys.Warning{{Key: "ci", Budget: "daily", Unit: "usd", Percent: 84}, {Key: "x", Budget: "monthly", Unit: "tokens", Percent: 81}}
	it := item(t, TrayMenu(st), "keybudget")
	if !it.Visible || it.Title != "⚠ Key ci: 84% of daily budget (+1 more)" || it.Action != "open-page:/keys" {
		t.Fatalf("key budget line %+v", it)
	}
	st.KeyBudgets = []keys.Warning{{Key: "x", Budget: "monthly", Unit: "tokens", Percent: 100}}
	if it := item(t, TrayMenu(st), "keybudget"); it.Title != "⛔ Key x: monthly token budget used up" {
		t.Fatalf("used up %q", it.Title)
	}
}
