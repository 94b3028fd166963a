package notify

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"switchboard/backend/events"
	"switchboard/backend/i18n"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// Formatter writes the texts. Times are absolute ("until 14:05"), never
// relative: a notification may be read long after it was raised.
type Formatter struct {
	// Name returns a provider's display name; nil uses the catalog name,
	// else the id.
	Name func(providerID string) string
	// Loc is the time zone of the times shown (nil: time.Local).
	Loc *time.Location
	// Lang is the locale of the texts ("": the process's language when
	// the notification is built, i18n.Current).
	Lang string
}

// maxMessage bounds the upstream error text quoted in a body.
const maxMessage = 160

func (f Formatter) printer() *i18n.Printer {
	if f.Lang != "" {
		return i18n.For(f.Lang)
	}
	return i18n.Current()
}

// Format builds the notification for an event of kind about c at now.
// reminder marks a trip re-announced after the rate limit held it back.
func (f Formatter) Format(kind events.Kind, c route.Change, now time.Time, reminder bool) Notification {
	tr := f.printer()
	name := f.name(c.Provider)
	n := Notification{Kind: kind, Provider: c.Provider, Page: PageProviders}
	w := who(tr, name, c.Account)
	a := i18n.V{"Name": name, "Who": w, "WhoCap": capitalize(w), "Window": c.Window, "Percent": c.Percent,
		"Key": c.Account, "Combo": c.Provider}
	if !c.Until.IsZero() {
		a["Until"], a["At"] = f.when(tr, c.Until, now), f.at(tr, c.Until, now)
	}
	if c.Window != "" {
		a["WindowName"] = c.Window
	} else {
		a["WindowName"] = tr.T("notify.window_quota")
	}
	t := func(id string) string { return tr.T(id, a) }
	// pick is the variant of a text for what is known: a window name, an
	// end time, both or neither.
	pick := func(plain, window, until, both string) string {
		switch {
		case c.Window != "" && !c.Until.IsZero():
			return both
		case c.Window != "":
			return window
		case !c.Until.IsZero():
			return until
		}
		return plain
	}
	switch kind {
	case KindBreakerOpen:
		n.Title = t("notify.breaker.title")
		if reminder {
			n.Title = t("notify.breaker.title_still")
		}
		n.Body = tr.Sentences(t("notify.breaker.body"), lastError(tr, c.Message))
	case KindQuotaExhausted:
		n.Title = t("notify.exhausted.title")
		n.Body = tr.Sentences(t(pick("notify.exhausted.body", "notify.exhausted.body_window", "notify.exhausted.body_until", "notify.exhausted.body_window_until")), t("notify.exhausted.others"))
	case KindQuotaThreshold:
		n.Title = t("notify.threshold.title")
		n.Body = t(pick("notify.threshold.body", "notify.threshold.body", "notify.threshold.body_until", "notify.threshold.body_until"))
		n.Page = PageLimits
	case KindQuotaBack:
		n.Title = t("notify.back.title")
		n.Body = t(pick("notify.back.body", "notify.back.body_window", "notify.back.body", "notify.back.body_window"))
		n.Page = PageLimits
	case KindKeyBudget:
		n.Provider = ""
		a["Budget"] = budgetName(tr, c.Window)
		n.Title = t("notify.key_budget.title")
		n.Body = tr.Sentences(t(pick("notify.key_budget.body", "notify.key_budget.body", "notify.key_budget.body_until", "notify.key_budget.body_until")), t("notify.key_budget.refused"))
		n.Page = PageKeys
	case KindComboUnavailable:
		n.Title = t("notify.combo.title")
		n.Body = t("notify.combo.body")
		n.Page = PageCombos
	case KindOAuthRefreshFailed:
		n.Title = t("notify.oauth.title")
		n.Body = tr.Sentences(t("notify.oauth.body"), lastError(tr, c.Message))
	case KindRecovered:
		n.Title = t("notify.recovered.title")
		n.Body = t("notify.recovered.body")
	default:
		n.Title = name + ": " + string(kind)
		n.Body = c.Message
	}
	return n
}

// who names an account of provider name ("work (OpenAI)"-like, per
// locale), or the provider alone.
func who(tr *i18n.Printer, name, account string) string {
	if account == "" {
		return name
	}
	return tr.T("notify.account_of", i18n.V{"Account": account, "Name": name})
}

// budgetName translates a key budget as core names it in Window ("daily
// budget", "monthly token budget"); another name is shown as it is.
func budgetName(tr *i18n.Printer, window string) string {
	switch window {
	case "daily budget":
		return tr.T("notify.budget.daily")
	case "monthly budget":
		return tr.T("notify.budget.monthly")
	case "daily token budget":
		return tr.T("notify.budget.daily_tokens")
	case "monthly token budget":
		return tr.T("notify.budget.monthly_tokens")
	}
	return window
}

// capitalize uppercases s's first letter, for a name that starts a
// sentence (a no-op in scripts without case).
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// at is when, with "at"/"on" before it as the locale says: "at 14:05",
// "tomorrow at 09:00", "on 2 Jan 15:04".
func (f Formatter) at(tr *i18n.Printer, t, now time.Time) string {
	clock, day := f.split(tr, t, now)
	switch day {
	case "":
		return tr.T("notify.at_time", i18n.V{"Time": clock})
	case "tomorrow":
		return tr.T("notify.at_tomorrow", i18n.V{"Time": clock})
	}
	return tr.T("notify.at_date", i18n.V{"Date": day, "Time": clock})
}

func (f Formatter) name(id string) string {
	if f.Name != nil {
		if n := f.Name(id); n != "" {
			return n
		}
	}
	if e, ok := provider.Lookup(id); ok && e.Name != "" {
		return e.Name
	}
	return id
}

// when formats t relative to now's day: "14:05", "tomorrow 09:00" or
// "2 Jan 15:04" (each locale words and orders it).
func (f Formatter) when(tr *i18n.Printer, t, now time.Time) string {
	clock, day := f.split(tr, t, now)
	switch day {
	case "":
		return clock
	case "tomorrow":
		return tr.T("notify.tomorrow", i18n.V{"Time": clock})
	}
	return tr.T("notify.date_time", i18n.V{"Date": day, "Time": clock})
}

// split is t's time of day and its day: "" today, "tomorrow", else the
// date in the locale's numeric layout (no month names to translate).
func (f Formatter) split(tr *i18n.Printer, t, now time.Time) (clock, day string) {
	loc := f.Loc
	if loc == nil {
		loc = time.Local
	}
	t, now = t.In(loc), now.In(loc)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	tomorrow := now.AddDate(0, 0, 1)
	my, mm, md := tomorrow.Date()
	clock = t.Format("15:04")
	switch {
	case ty == ny && tm == nm && td == nd:
		return clock, ""
	case ty == my && tm == mm && td == md:
		return clock, "tomorrow"
	}
	return clock, t.Format(tr.T("notify.date_layout"))
}

func lastError(tr *i18n.Printer, msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return ""
	}
	if utf8.RuneCountInString(msg) > maxMessage {
		r := []rune(msg)
		msg = string(r[:maxMessage-1]) + "…"
	}
	return tr.T("notify.last_error", i18n.V{"Message": msg})
}

// SnapshotNames returns a Formatter.Name reading display names from the
// live routing table (config-file and custom providers included).
func SnapshotNames(t *route.Table) func(string) string {
	return func(id string) string {
		if t == nil {
			return ""
		}
		if s := t.Load(); s != nil {
			if p, ok := s.Provider(id); ok {
				return p.Entry.Name
			}
		}
		return ""
	}
}
