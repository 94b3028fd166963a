package app

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// Fixed slots of the tray menu. systray cannot remove items, so the menu is
// built once with this many provider and CLI-tool lines and unused ones are
// hidden; providers beyond the slots are summed up in one "…and N more"
// line that opens the dashboard.
const (
	TrayProviderSlots = 8
	TrayToolSlots     = 4
)

// TrayState is everything the tray shows, gathered by trayController from
// the live routing state, the store (on bus events only) and the OS.
type TrayState struct {
	Now           time.Time
	Endpoint      string
	Providers     []TrayProvider // in routing preference order
	Today         usage.Totals
	TodayKnown    bool     // false until today's totals were read
	ToolCombos    []string // "Claude Code → coding", from activeToolCombos
	LaunchAtLogin mgmt.LaunchAtLogin
	CopiedUntil   time.Time // the endpoint was just copied: say so until then
	// KeyBudgets are the local keys' budgets at 80% or more, most used
	// first (one line: the first, and how many more).
	KeyBudgets []keys.Warning
}

// TrayProvider is one provider's live state.
type TrayProvider struct {
	ID           string
	Name         string
	Disabled     bool // disabled in the config or the dashboard
	Paused       bool // paused from the tray
	CanPause     bool // it has accounts Switchboard may disable
	Accounts     int  // enabled accounts (0: a keyless provider)
	Breaker      route.BreakerState
	BreakerUntil time.Time
	Rests        []route.Cooldown // its cooldowns (expired ones are ignored)
	SignedIn     []string         // subscription sign-ins that work (email or name)
	SignedOut    []string         // sign-ins waiting for the user to sign in again
	// Quota is its tightest quota window (of the account routing turns
	// to) and its quota state; nil when nothing is known of its limits.
	Quota *quota.ProviderLine
}

// severity of a provider for the overall icon.
const (
	sevOK = iota
	sevDegraded
	sevDown
)

// TrayMenu computes the whole tray (icon, tooltip, menu) from st. It is
// pure: the same state gives the same model, so it is unit-tested without a
// tray host, and every tray (in-process, macOS helper) renders its result.
// The items' ids, order and parents never change (see traymenu.Item).
func TrayMenu(st TrayState) traymenu.Model {
	m := traymenu.Model{}
	add := func(it traymenu.Item) { m.Items = append(m.Items, it) }
	sep := 0
	separator := func() { sep++; add(traymenu.Item{ID: "sep" + strconv.Itoa(sep), Separator: true, Visible: true}) }

	endpoint := traymenu.Item{ID: "endpoint", Title: "Copy endpoint  " + st.Endpoint, Tooltip: "Copy the API base URL to the clipboard",
		Action: "copy-endpoint", Enabled: st.Endpoint != "", Visible: true}
	if st.Now.Before(st.CopiedUntil) {
		endpoint.Title = "✓ Copied  " + st.Endpoint
	}
	add(endpoint)
	separator()

	add(traymenu.Item{ID: "noproviders", Title: "No providers yet: add one in the dashboard", Action: "open-page:/providers",
		Enabled: true, Visible: len(st.Providers) == 0})
	provs := st.Providers
	if len(provs) > TrayProviderSlots { // too many to show: the troubled ones first
		provs = append([]TrayProvider(nil), provs...)
		sort.SliceStable(provs, func(i, j int) bool { return severity(provs[i], st.Now) > severity(provs[j], st.Now) })
	}
	var down, degraded, active int
	anyResting := false
	for _, p := range st.Providers {
		anyResting = anyResting || resting(p, st.Now)
		if p.Paused || p.Disabled {
			continue
		}
		active++
		switch severity(p, st.Now) {
		case sevDown:
			down++
		case sevDegraded:
			degraded++
		}
	}
	for i := 0; i < TrayProviderSlots; i++ {
		id := "provider." + strconv.Itoa(i)
		if i >= len(provs) {
			add(traymenu.Item{ID: id, Visible: false})
			add(traymenu.Item{ID: id + ".pause", Parent: id, Visible: false})
			add(traymenu.Item{ID: id + ".reset", Parent: id, Visible: false})
			add(traymenu.Item{ID: id + ".open", Parent: id, Visible: false})
			continue
		}
		p := provs[i]
		symbol, text := providerStatus(p, st.Now)
		add(traymenu.Item{ID: id, Title: symbol + " " + displayName(p) + ": " + text, Tooltip: quotaTooltip(p),
			Enabled: true, Visible: true})
		pause := traymenu.Item{ID: id + ".pause", Parent: id, Title: "Pause routing to " + displayName(p),
			Action: "pause:" + p.ID, Enabled: p.CanPause, Visible: true}
		if p.Paused {
			pause.Title, pause.Action, pause.Enabled = "Resume routing to "+displayName(p), "resume:"+p.ID, true
		} else if !p.CanPause {
			pause.Tooltip = "Its accounts come from the config file: disable them there"
		}
		add(pause)
		add(traymenu.Item{ID: id + ".reset", Parent: id, Title: "Reset its cooldowns", Action: "reset:" + p.ID,
			Enabled: resting(p, st.Now), Visible: true})
		add(traymenu.Item{ID: id + ".open", Parent: id, Title: "Show in dashboard", Action: "open-page:/providers",
			Enabled: true, Visible: true})
	}
	more := len(st.Providers) - TrayProviderSlots
	add(traymenu.Item{ID: "provider.more", Title: fmt.Sprintf("…and %d more in the dashboard", max(more, 0)),
		Action: "open-page:/providers", Enabled: true, Visible: more > 0})
	separator()

	add(traymenu.Item{ID: "today", Title: todayLine(st), Tooltip: todayTooltip(st), Enabled: false, Visible: true})
	add(keyBudgetItem(st.KeyBudgets))
	for i := 0; i < TrayToolSlots; i++ {
		it := traymenu.Item{ID: "tool." + strconv.Itoa(i), Enabled: false, Visible: i < len(st.ToolCombos)}
		if it.Visible {
			it.Title = st.ToolCombos[i]
		}
		add(it)
	}
	separator()

	add(traymenu.Item{ID: "open", Title: "Open dashboard", Action: "open", Enabled: true, Visible: true})
	add(traymenu.Item{ID: "reset", Title: "Reset all cooldowns", Action: "reset", Enabled: anyResting, Visible: true})
	login := traymenu.Item{ID: "autostart", Title: "Launch at login", Checkable: true, Checked: st.LaunchAtLogin.Enabled,
		Action: "autostart:on", Enabled: st.LaunchAtLogin.Supported, Visible: true}
	if st.LaunchAtLogin.Enabled {
		login.Action = "autostart:off"
	}
	if !st.LaunchAtLogin.Supported && st.LaunchAtLogin.Error != "" {
		login.Tooltip = st.LaunchAtLogin.Error
	}
	add(login)
	separator()
	add(traymenu.Item{ID: "quit", Title: "Quit Switchboard", Action: "quit", Enabled: true, Visible: true})

	switch {
	case len(st.Providers) == 0:
		m.Icon = traymenu.IconIdle
	case active == 0 || down > 0:
		m.Icon = traymenu.IconDown
	case degraded > 0:
		m.Icon = traymenu.IconDegraded
	default:
		m.Icon = traymenu.IconOK
	}
	m.Tooltip = trayTooltip(st, m.Icon, down, degraded, active)
	return m
}

func displayName(p TrayProvider) string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// activeRests are p's cooldowns still running at now, the most telling
// first: whole-account quota, then rejected keys, then the rest; soonest
// end first within each.
func activeRests(p TrayProvider, now time.Time) []route.Cooldown {
	var out []route.Cooldown
	for _, c := range p.Rests {
		if now.Before(c.Until) {
			out = append(out, c)
		}
	}
	rank := func(r route.Reason) int {
		switch r {
		case route.ReasonQuota:
			return 0
		case route.ReasonAuth:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := rank(out[i].Reason), rank(out[j].Reason); ri != rj {
			return ri < rj
		}
		if !out[i].Until.Equal(out[j].Until) {
			return out[i].Until.Before(out[j].Until)
		}
		return out[i].AccountID+out[i].Model < out[j].AccountID+out[j].Model
	})
	return out
}

// resting reports whether a reset would clear anything for p.
func resting(p TrayProvider, now time.Time) bool {
	return len(activeRests(p, now)) > 0 || (p.Breaker != "" && p.Breaker != route.BreakerClosed)
}

// severity: down when the breaker is open, every account rests
// account-wide (quota, rejected key) or its quota windows say every account
// is used up; degraded when anything rests or it is inside its quota
// reserve.
func severity(p TrayProvider, now time.Time) int {
	if p.Paused || p.Disabled {
		return sevOK
	}
	if p.Breaker == route.BreakerOpen || p.Breaker == route.BreakerHalfOpen {
		return sevDown
	}
	if n := len(p.SignedOut); n > 0 {
		if n >= max(p.Accounts, 1) {
			return sevDown
		}
		return sevDegraded
	}
	return max(restSeverity(p, now), quotaSeverity(p))
}

// quotaSeverity: down when every account is used up, degraded inside the
// reserve.
func quotaSeverity(p TrayProvider) int {
	switch {
	case p.Quota == nil:
		return sevOK
	case p.Quota.State == quota.StateExhausted:
		return sevDown
	case p.Quota.State == quota.StateReserve:
		return sevDegraded
	}
	return sevOK
}

func restSeverity(p TrayProvider, now time.Time) int {
	rests := activeRests(p, now)
	if len(rests) == 0 {
		return sevOK
	}
	wide := map[string]bool{}
	for _, c := range rests {
		if c.Model == "*" {
			wide[c.AccountID] = true
		}
	}
	if len(wide) >= max(p.Accounts, 1) {
		return sevDown
	}
	return sevDegraded
}

// providerStatus is a provider line's symbol and state text.
func providerStatus(p TrayProvider, now time.Time) (string, string) {
	switch {
	case p.Paused:
		return "⏸", "paused"
	case len(p.SignedOut) > 0 && len(p.SignedOut) >= p.Accounts:
		return "⚠", "sign in again (" + strings.Join(p.SignedOut, ", ") + ")"
	case p.Disabled:
		return "–", "disabled"
	case p.Breaker == route.BreakerOpen && now.Before(p.BreakerUntil):
		return "✕", "breaker open, retry in " + left(p.BreakerUntil.Sub(now))
	case p.Breaker == route.BreakerOpen || p.Breaker == route.BreakerHalfOpen:
		return "✕", "breaker open, probing"
	}
	rests := activeRests(p, now)
	if len(p.SignedOut) > 0 {
		return "⚠", "sign in again (" + strings.Join(p.SignedOut, ", ") + ")"
	}
	if q := p.Quota; q != nil && q.State == quota.StateExhausted {
		text := "out of quota"
		if w := quotaWindow(p); w != "" {
			text += " · " + w
		}
		if q.ExhaustedUntil.After(now) {
			text += " · back in " + left(q.ExhaustedUntil.Sub(now))
		}
		return "✕", text
	}
	if len(rests) == 0 {
		if w := quotaWindow(p); w != "" {
			if p.Quota.State == quota.StateReserve {
				return "⚠", w + " · in reserve" + quotaReset(p.Quota.Window, now)
			}
			return "✓", w + quotaReset(p.Quota.Window, now)
		}
		if len(p.SignedIn) > 0 {
			return "✓", "ok · " + strings.Join(p.SignedIn, ", ")
		}
		return "✓", "ok"
	}
	c := rests[0]
	var where []string
	if p.Accounts > 1 && c.Account != "" {
		where = append(where, c.Account)
	}
	if c.Model != "*" && c.Model != "" {
		where = append(where, c.Model)
	}
	at := ""
	if len(where) > 0 {
		at = " (" + strings.Join(where, " · ") + ")"
	}
	d := left(c.Until.Sub(now))
	var text string
	switch c.Reason {
	case route.ReasonQuota:
		text = "quota exhausted" + at + ", resets in " + d
	case route.ReasonAuth:
		text = "key rejected" + at + ", retry in " + d
	case route.ReasonRateLimited:
		text = "rate limited" + at + ", " + d + " left"
	case route.ReasonUnsupported:
		text = "model unsupported" + at + ", " + d + " left"
	default:
		text = "cooling down" + at + ", " + d + " left"
	}
	if len(rests) > 1 {
		text += fmt.Sprintf(" (+%d more)", len(rests)-1)
	}
	symbol := "⚠"
	if severity(p, now) == sevDown {
		symbol = "✕"
	}
	return symbol, text
}

// quotaWindow is a provider's tightest window in a few characters: "5h
// 72%", "weekly opus 40%", "requests 93%", and whose it is when the
// provider has several accounts: "5h 72% (work)". "" when none is known.
func quotaWindow(p TrayProvider) string {
	if p.Quota == nil || p.Quota.Window == nil {
		return ""
	}
	w := p.Quota.Window
	s := shortWindowName(w) + " " + strconv.Itoa(shownPercent(w)) + "%"
	if p.Accounts > 1 && p.Quota.Account != "" {
		s += " (" + p.Quota.Account + ")"
	}
	return s
}

// quotaReset is " · resets 1h 12m", or "" when the vendor gave no reset.
func quotaReset(w *quota.WindowView, now time.Time) string {
	if w == nil || w.ResetAt.IsZero() || !w.ResetAt.After(now) {
		return ""
	}
	return " · resets " + left(w.ResetAt.Sub(now))
}

// shownPercent: whole percents, and 100 only for a window really used up.
func shownPercent(w *quota.WindowView) int {
	if w.Exhausted {
		return 100
	}
	return min(99, max(0, int(w.Percent+0.5)))
}

// shortWindowName names a window by its length when known ("5h",
// "weekly", "monthly"), else by its label ("requests", "session").
func shortWindowName(w *quota.WindowView) string {
	span := time.Duration(w.SpanSec) * time.Second
	var s string
	switch {
	case span >= time.Hour && span < 24*time.Hour && span%time.Hour == 0:
		s = strconv.Itoa(int(span/time.Hour)) + "h"
	case span == 24*time.Hour:
		s = "daily"
	case span == 7*24*time.Hour:
		s = "weekly"
	case span >= 28*24*time.Hour && span <= 31*24*time.Hour:
		s = "monthly"
	default:
		return strings.ToLower(w.Label) // carries its model already: "weekly (opus)"
	}
	if w.Model != "" {
		s += " " + strings.ToLower(w.Model)
	}
	return s
}

// quotaTooltip says which window the provider line shows and where its
// figure comes from.
func quotaTooltip(p TrayProvider) string {
	if p.Quota == nil || p.Quota.Window == nil {
		return ""
	}
	w := p.Quota.Window
	who := ""
	if p.Quota.Account != "" {
		who = " of " + p.Quota.Account
	}
	from := map[quota.Source]string{quota.SourceUsage: "the usage endpoint", quota.SourceHeaders: "rate-limit headers",
		quota.SourceError: "a 429 answer"}[w.Source]
	if from == "" {
		from = string(w.Source)
	}
	t := fmt.Sprintf("%s window%s: %d%% used (from %s)", w.Label, who, shownPercent(w), from)
	if w.Limit != nil && w.Remaining != nil {
		t += fmt.Sprintf(", %d of %d left", *w.Remaining, *w.Limit)
	}
	return t + ". The Limits page has every window."
}

// left formats a countdown, rounded up to the second so that a rest still
// running never reads "0s": 42s, 4m 05s, 3h 12m, 2d 3h.
func left(d time.Duration) string {
	if d <= 0 {
		return "now"
	}
	s := int64((d + time.Second - 1) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh %02dm", s/3600, (s%3600)/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, (s%86400)/3600)
}

func todayLine(st TrayState) string {
	if !st.TodayKnown {
		return "Today: …"
	}
	t := st.Today
	req := "requests"
	if t.Requests == 1 {
		req = "request"
	}
	line := fmt.Sprintf("Today: %d %s · %s tokens · %s", t.Requests, req, tokens(t.TokensIn+t.TokensOut), dollars(t.CostUSD))
	if t.Unpriced > 0 {
		line += "+"
	}
	return line
}

// keyBudgetItem is the line of the most used key budget ("⚠ Key ci: 84%
// of daily budget"), hidden when no budget is at 80%; it opens the keys.
func keyBudgetItem(ws []keys.Warning) traymenu.Item {
	it := traymenu.Item{ID: "keybudget", Action: "open-page:/keys", Enabled: true, Visible: len(ws) > 0}
	if len(ws) == 0 {
		return it
	}
	w := ws[0]
	budget := w.Budget + " budget"
	if w.Unit == "tokens" {
		budget = w.Budget + " token budget"
	}
	it.Title = fmt.Sprintf("⚠ Key %s: %d%% of %s", w.Key, w.Percent, budget)
	if w.Percent >= 100 {
		it.Title = fmt.Sprintf("⛔ Key %s: %s used up", w.Key, budget)
	}
	if len(ws) > 1 {
		it.Title += fmt.Sprintf(" (+%d more)", len(ws)-1)
	}
	it.Tooltip = "Requests with a key are refused once one of its budgets is used up. Open the API keys page."
	return it
}

func todayTooltip(st TrayState) string {
	t := st.Today
	s := fmt.Sprintf("Since midnight: %d in, %d out tokens; %d failed requests. Cost at the prices each request was logged with.",
		t.TokensIn, t.TokensOut, t.Errors)
	if t.Unpriced > 0 {
		s += fmt.Sprintf(" %d requests used models without a known price.", t.Unpriced)
	}
	if t.ValueUSD > 0 {
		s += fmt.Sprintf(" Subscriptions saved %s (their API price).", dollars(t.ValueUSD))
	}
	return s
}

func tokens(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 1_000_000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
}

func dollars(v float64) string {
	if v > 0 && v < 0.005 {
		return "<$0.01"
	}
	return fmt.Sprintf("$%.2f", v)
}

func trayTooltip(st TrayState, icon traymenu.Icon, down, degraded, active int) string {
	var state string
	switch {
	case icon == traymenu.IconIdle:
		state = "no providers yet"
	case active == 0:
		state = "every provider is paused or disabled"
	case down > 0 || degraded > 0:
		var parts []string
		if down > 0 {
			parts = append(parts, fmt.Sprintf("%d down", down))
		}
		if degraded > 0 {
			parts = append(parts, fmt.Sprintf("%d degraded", degraded))
		}
		state = strings.Join(parts, ", ")
	default:
		state = "all providers ok"
	}
	return "Switchboard · " + st.Endpoint + " · " + state
}

// nextTick is how soon the menu's text changes by the clock alone: a
// second while a countdown under an hour is shown, a minute under a day, an
// hour beyond; 0 when nothing shown depends on the time, and the tray then
// sleeps until an event.
func (st TrayState) nextTick() time.Duration {
	var soonest time.Duration
	see := func(t time.Time) {
		if r := t.Sub(st.Now); r > 0 && (soonest == 0 || r < soonest) {
			soonest = r
		}
	}
	see(st.CopiedUntil)
	for _, p := range st.Providers {
		if p.Breaker == route.BreakerOpen {
			see(p.BreakerUntil)
		}
		for _, c := range p.Rests {
			see(c.Until)
		}
		if q := p.Quota; q != nil {
			see(q.ExhaustedUntil)
			if q.Window != nil {
				see(q.Window.ResetAt)
			}
		}
	}
	switch {
	case soonest == 0:
		return 0
	case soonest < time.Hour:
		return min(time.Second, soonest)
	case soonest < 24*time.Hour:
		return time.Minute
	}
	return time.Hour
}
