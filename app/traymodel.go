package app

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/i18n"
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
	// Lang is the locale the menu speaks ("" = English); the controller
	// sets the process's current one (i18n.Current).
	Lang string
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
	tr := i18n.For(st.Lang)
	add := func(it traymenu.Item) { m.Items = append(m.Items, it) }
	sep := 0
	separator := func() { sep++; add(traymenu.Item{ID: "sep" + strconv.Itoa(sep), Separator: true, Visible: true}) }

	endpoint := traymenu.Item{ID: "endpoint", Title: tr.T("tray.copy_endpoint", i18n.V{"Endpoint": st.Endpoint}), Tooltip: tr.T("tray.copy_endpoint_tip"),
		Action: "copy-endpoint", Enabled: st.Endpoint != "", Visible: true}
	if st.Now.Before(st.CopiedUntil) {
		endpoint.Title = "✓ " + tr.T("tray.copied", i18n.V{"Endpoint": st.Endpoint})
	}
	add(endpoint)
	separator()

	add(traymenu.Item{ID: "noproviders", Title: tr.T("tray.no_providers"), Action: "open-page:/providers",
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
		symbol, text := providerStatus(tr, p, st.Now)
		add(traymenu.Item{ID: id, Title: symbol + " " + displayName(p) + ": " + text, Tooltip: quotaTooltip(tr, p),
			Enabled: true, Visible: true})
		pause := traymenu.Item{ID: id + ".pause", Parent: id, Title: tr.T("tray.pause", i18n.V{"Name": displayName(p)}),
			Action: "pause:" + p.ID, Enabled: p.CanPause, Visible: true}
		if p.Paused {
			pause.Title, pause.Action, pause.Enabled = tr.T("tray.resume", i18n.V{"Name": displayName(p)}), "resume:"+p.ID, true
		} else if !p.CanPause {
			pause.Tooltip = tr.T("tray.pause_config_tip")
		}
		add(pause)
		add(traymenu.Item{ID: id + ".reset", Parent: id, Title: tr.T("tray.reset_provider"), Action: "reset:" + p.ID,
			Enabled: resting(p, st.Now), Visible: true})
		add(traymenu.Item{ID: id + ".open", Parent: id, Title: tr.T("tray.show_in_dashboard"), Action: "open-page:/providers",
			Enabled: true, Visible: true})
	}
	more := len(st.Providers) - TrayProviderSlots
	add(traymenu.Item{ID: "provider.more", Title: tr.N("tray.more_providers", max(more, 0)),
		Action: "open-page:/providers", Enabled: true, Visible: more > 0})
	separator()

	add(traymenu.Item{ID: "today", Title: todayLine(tr, st), Tooltip: todayTooltip(tr, st), Enabled: false, Visible: true})
	add(keyBudgetItem(tr, st.KeyBudgets))
	for i := 0; i < TrayToolSlots; i++ {
		it := traymenu.Item{ID: "tool." + strconv.Itoa(i), Enabled: false, Visible: i < len(st.ToolCombos)}
		if it.Visible {
			it.Title = st.ToolCombos[i]
		}
		add(it)
	}
	separator()

	add(traymenu.Item{ID: "open", Title: tr.T("tray.open_dashboard"), Action: "open", Enabled: true, Visible: true})
	add(traymenu.Item{ID: "reset", Title: tr.T("tray.reset_all"), Action: "reset", Enabled: anyResting, Visible: true})
	login := traymenu.Item{ID: "autostart", Title: tr.T("tray.launch_at_login"), Checkable: true, Checked: st.LaunchAtLogin.Enabled,
		Action: "autostart:on", Enabled: st.LaunchAtLogin.Supported, Visible: true}
	if st.LaunchAtLogin.Enabled {
		login.Action = "autostart:off"
	}
	if !st.LaunchAtLogin.Supported && st.LaunchAtLogin.Error != "" {
		login.Tooltip = st.LaunchAtLogin.Error
	}
	add(login)
	separator()
	add(traymenu.Item{ID: "quit", Title: tr.T("tray.quit"), Action: "quit", Enabled: true, Visible: true})

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
	m.Tooltip = trayTooltip(tr, st, m.Icon, down, degraded, active)
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
func providerStatus(tr *i18n.Printer, p TrayProvider, now time.Time) (string, string) {
	switch {
	case p.Paused:
		return "⏸", tr.T("tray.status.paused")
	case len(p.SignedOut) > 0 && len(p.SignedOut) >= p.Accounts:
		return "⚠", tr.T("tray.status.sign_in_again", i18n.V{"Accounts": strings.Join(p.SignedOut, ", ")})
	case p.Disabled:
		return "–", tr.T("tray.status.disabled")
	case p.Breaker == route.BreakerOpen && now.Before(p.BreakerUntil):
		return "✕", tr.T("tray.status.breaker_retry", i18n.V{"Left": left(tr, p.BreakerUntil.Sub(now))})
	case p.Breaker == route.BreakerOpen || p.Breaker == route.BreakerHalfOpen:
		return "✕", tr.T("tray.status.breaker_probing")
	}
	rests := activeRests(p, now)
	if len(p.SignedOut) > 0 {
		return "⚠", tr.T("tray.status.sign_in_again", i18n.V{"Accounts": strings.Join(p.SignedOut, ", ")})
	}
	if q := p.Quota; q != nil && q.State == quota.StateExhausted {
		text := tr.T("tray.status.out_of_quota")
		if w := quotaWindow(tr, p); w != "" {
			text += " · " + w
		}
		if q.ExhaustedUntil.After(now) {
			text += " · " + tr.T("tray.status.back_in", i18n.V{"Left": left(tr, q.ExhaustedUntil.Sub(now))})
		}
		return "✕", text
	}
	if len(rests) == 0 {
		if w := quotaWindow(tr, p); w != "" {
			if p.Quota.State == quota.StateReserve {
				return "⚠", w + " · " + tr.T("tray.status.in_reserve") + quotaReset(tr, p.Quota.Window, now)
			}
			return "✓", w + quotaReset(tr, p.Quota.Window, now)
		}
		if len(p.SignedIn) > 0 {
			return "✓", tr.T("tray.status.ok") + " · " + strings.Join(p.SignedIn, ", ")
		}
		return "✓", tr.T("tray.status.ok")
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
	args := i18n.V{"Where": at, "Left": left(tr, c.Until.Sub(now))}
	var text string
	switch c.Reason {
	case route.ReasonQuota:
		text = tr.T("tray.rest.quota", args)
	case route.ReasonAuth:
		text = tr.T("tray.rest.auth", args)
	case route.ReasonRateLimited:
		text = tr.T("tray.rest.rate_limited", args)
	case route.ReasonUnsupported:
		text = tr.T("tray.rest.unsupported", args)
	default:
		text = tr.T("tray.rest.cooling", args)
	}
	if len(rests) > 1 {
		text += " " + tr.T("tray.plus_more", i18n.V{"N": len(rests) - 1})
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
func quotaWindow(tr *i18n.Printer, p TrayProvider) string {
	if p.Quota == nil || p.Quota.Window == nil {
		return ""
	}
	w := p.Quota.Window
	s := shortWindowName(tr, w) + " " + strconv.Itoa(shownPercent(w)) + "%"
	if p.Accounts > 1 && p.Quota.Account != "" {
		s += " (" + p.Quota.Account + ")"
	}
	return s
}

// quotaReset is " · resets 1h 12m", or "" when the vendor gave no reset.
func quotaReset(tr *i18n.Printer, w *quota.WindowView, now time.Time) string {
	if w == nil || w.ResetAt.IsZero() || !w.ResetAt.After(now) {
		return ""
	}
	return " · " + tr.T("tray.resets_in", i18n.V{"Left": left(tr, w.ResetAt.Sub(now))})
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
func shortWindowName(tr *i18n.Printer, w *quota.WindowView) string {
	span := time.Duration(w.SpanSec) * time.Second
	var s string
	switch {
	case span >= time.Hour && span < 24*time.Hour && span%time.Hour == 0:
		s = tr.T("tray.window.hours", i18n.V{"N": int(span / time.Hour)})
	case span == 24*time.Hour:
		s = tr.T("tray.window.daily")
	case span == 7*24*time.Hour:
		s = tr.T("tray.window.weekly")
	case span >= 28*24*time.Hour && span <= 31*24*time.Hour:
		s = tr.T("tray.window.monthly")
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
func quotaTooltip(tr *i18n.Printer, p TrayProvider) string {
	if p.Quota == nil || p.Quota.Window == nil {
		return ""
	}
	w := p.Quota.Window
	from := map[quota.Source]string{quota.SourceUsage: tr.T("tray.source.usage"), quota.SourceHeaders: tr.T("tray.source.headers"),
		quota.SourceError: tr.T("tray.source.error")}[w.Source]
	if from == "" {
		from = string(w.Source)
	}
	args := i18n.V{"Window": w.Label, "Account": p.Quota.Account, "Percent": shownPercent(w), "Source": from}
	t := tr.T("tray.quota_tip", args)
	if p.Quota.Account != "" {
		t = tr.T("tray.quota_tip_account", args)
	}
	if w.Limit != nil && w.Remaining != nil {
		t += tr.T("tray.quota_tip_left", i18n.V{"Remaining": tr.Int(*w.Remaining), "Limit": tr.Int(*w.Limit)})
	}
	return t + tr.T("tray.quota_tip_limits")
}

// left formats a countdown, rounded up to the second so that a rest still
// running never reads "0s": 42s, 4m 05s, 3h 12m, 2d 3h.
func left(tr *i18n.Printer, d time.Duration) string {
	if d <= 0 {
		return tr.T("tray.now")
	}
	s := int64((d + time.Second - 1) / time.Second)
	two := func(n int64) string { return fmt.Sprintf("%02d", n) }
	switch {
	case s < 60:
		return tr.T("tray.left.s", i18n.V{"S": s})
	case s < 3600:
		return tr.T("tray.left.ms", i18n.V{"M": s / 60, "S": two(s % 60)})
	case s < 86400:
		return tr.T("tray.left.hm", i18n.V{"H": s / 3600, "M": two((s % 3600) / 60)})
	}
	return tr.T("tray.left.dh", i18n.V{"D": s / 86400, "H": (s % 86400) / 3600})
}

func todayLine(tr *i18n.Printer, st TrayState) string {
	if !st.TodayKnown {
		return tr.T("tray.today_unknown")
	}
	t := st.Today
	line := tr.N("tray.today", int(t.Requests), i18n.V{"Requests": tr.Int(t.Requests), "Tokens": tokens(tr, t.TokensIn+t.TokensOut), "Cost": dollars(tr, t.CostUSD)})
	if t.Unpriced > 0 {
		line += "+"
	}
	return line
}

// keyBudgetItem is the line of the most used key budget ("⚠ Key ci: 84%
// of daily budget"), hidden when no budget is at 80%; it opens the keys.
func keyBudgetItem(tr *i18n.Printer, ws []keys.Warning) traymenu.Item {
	it := traymenu.Item{ID: "keybudget", Action: "open-page:/keys", Enabled: true, Visible: len(ws) > 0}
	if len(ws) == 0 {
		return it
	}
	w := ws[0]
	budget := tr.T(budgetID(w.Budget, w.Unit == "tokens"), i18n.V{"Budget": w.Budget})
	args := i18n.V{"Key": w.Key, "Percent": w.Percent, "Budget": budget}
	it.Title = "⚠ " + tr.T("tray.key_budget", args)
	if w.Percent >= 100 {
		it.Title = "⛔ " + tr.T("tray.key_budget_used_up", args)
	}
	if len(ws) > 1 {
		it.Title += " " + tr.T("tray.plus_more", i18n.V{"N": len(ws) - 1})
	}
	it.Tooltip = tr.T("tray.key_budget_tip")
	return it
}

// budgetID is the catalog id naming a key budget: daily / monthly spend
// or tokens; other windows keep their own name.
func budgetID(window string, tokens bool) string {
	switch {
	case window == "daily" && tokens:
		return "tray.budget.daily_tokens"
	case window == "monthly" && tokens:
		return "tray.budget.monthly_tokens"
	case tokens:
		return "tray.budget.other_tokens"
	case window == "daily":
		return "tray.budget.daily"
	case window == "monthly":
		return "tray.budget.monthly"
	}
	return "tray.budget.other"
}

func todayTooltip(tr *i18n.Printer, st TrayState) string {
	t := st.Today
	s := tr.T("tray.today_tip", i18n.V{"In": tr.Int(t.TokensIn), "Out": tr.Int(t.TokensOut), "Failed": tr.Int(t.Errors)})
	if t.Unpriced > 0 {
		s = tr.Sentences(s, tr.N("tray.today_tip_unpriced", int(t.Unpriced), i18n.V{"N": tr.Int(t.Unpriced)}))
	}
	if t.ValueUSD > 0 {
		s = tr.Sentences(s, tr.T("tray.today_tip_saved", i18n.V{"Saved": dollars(tr, t.ValueUSD)}))
	}
	return s
}

func tokens(tr *i18n.Printer, n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 1_000_000:
		return tr.T("tray.thousands", i18n.V{"N": tr.Decimal(float64(n)/1000, 1)})
	}
	return tr.T("tray.millions", i18n.V{"N": tr.Decimal(float64(n)/1e6, 1)})
}

func dollars(tr *i18n.Printer, v float64) string {
	if v > 0 && v < 0.005 {
		return "<" + tr.USD(0.01)
	}
	return tr.USD(v)
}

func trayTooltip(tr *i18n.Printer, st TrayState, icon traymenu.Icon, down, degraded, active int) string {
	var state string
	switch {
	case icon == traymenu.IconIdle:
		state = tr.T("tray.state.no_providers")
	case active == 0:
		state = tr.T("tray.state.all_paused")
	case down > 0 || degraded > 0:
		var parts []string
		if down > 0 {
			parts = append(parts, tr.T("tray.state.down", i18n.V{"N": down}))
		}
		if degraded > 0 {
			parts = append(parts, tr.T("tray.state.degraded", i18n.V{"N": degraded}))
		}
		state = strings.Join(parts, ", ")
	default:
		state = tr.T("tray.state.all_ok")
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
