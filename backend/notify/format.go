package notify

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/backend/events"
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
}

// maxMessage bounds the upstream error text quoted in a body.
const maxMessage = 160

// Format builds the notification for an event of kind about c at now.
// reminder marks a trip re-announced after the rate limit held it back.
func (f Formatter) Format(kind events.Kind, c route.Change, now time.Time, reminder bool) Notification {
	name := f.name(c.Provider)
	n := Notification{Kind: kind, Provider: c.Provider, Page: PageProviders}
	switch kind {
	case KindBreakerOpen:
		n.Title = name + " is failing"
		if reminder {
			n.Title = name + " is still failing"
		}
		n.Body = "Switchboard stopped sending requests to " + name + " after repeated errors and routes them to other providers until it answers again."
		n.Body += lastError(c.Message)
	case KindQuotaExhausted:
		n.Title = name + " quota exhausted"
		out := who(name, c.Account, true) + " is out of quota"
		if c.Window != "" {
			out += " (" + c.Window + " window)"
		}
		if c.Until.IsZero() {
			n.Body = out + " until it resets."
		} else {
			n.Body = out + " until " + f.when(c.Until, now) + "."
		}
		n.Body += " Other accounts and providers take its requests meanwhile."
	case KindQuotaThreshold:
		n.Title = name + ": " + windowName(c.Window) + " at " + strconv.Itoa(c.Percent) + "%"
		n.Body = who(name, c.Account, true) + " has used " + strconv.Itoa(c.Percent) + "% of its " + windowName(c.Window) + " window"
		if c.Until.IsZero() {
			n.Body += "."
		} else {
			n.Body += "; it resets " + f.at(c.Until, now) + "."
		}
		n.Page = PageLimits
	case KindQuotaBack:
		n.Title = name + " quota back"
		n.Body = who(name, c.Account, true) + " has quota again"
		if c.Window != "" {
			n.Body += " (" + c.Window + " window)"
		}
		n.Body += "; requests go to it again."
		n.Page = PageLimits
	case KindKeyBudget:
		n.Provider = ""
		n.Title = "Key " + c.Account + ": " + strconv.Itoa(c.Percent) + "% of its " + windowName(c.Window)
		n.Body = "The Switchboard key " + c.Account + " has used " + strconv.Itoa(c.Percent) + "% of its " + windowName(c.Window)
		if c.Until.IsZero() {
			n.Body += "."
		} else {
			n.Body += "; it resets " + f.at(c.Until, now) + "."
		}
		n.Body += " Requests are refused once it is used up."
		n.Page = PageKeys
	case KindComboUnavailable:
		n.Title = "Combo " + c.Provider + " is unavailable"
		n.Body = "Every target of " + c.Provider + " is cooling down, failing or disabled: requests to it fail until one recovers."
		n.Page = PageCombos
	case KindOAuthRefreshFailed:
		n.Title = name + " sign-in expired"
		n.Body = "Switchboard could not refresh the sign-in of " + who(name, c.Account, false) + "; sign in again from the dashboard."
		n.Body += lastError(c.Message)
	case KindRecovered:
		n.Title = name + " recovered"
		n.Body = "Requests are routed to " + name + " again."
	default:
		n.Title = name + ": " + string(kind)
		n.Body = c.Message
	}
	return n
}

// who names an account of provider name: "Account work of OpenAI", or
// the provider alone.
func who(name, account string, capital bool) string {
	if account == "" {
		return name
	}
	if capital {
		return "Account " + account + " of " + name
	}
	return "account " + account + " of " + name
}

func windowName(w string) string {
	if w == "" {
		return "quota"
	}
	return w
}

// at is when, with "at" before a time of day: "at 14:05", "tomorrow at
// 09:00", "on Mon 2 Jan 15:04".
func (f Formatter) at(t, now time.Time) string {
	s := f.when(t, now)
	switch {
	case strings.HasPrefix(s, "tomorrow "):
		return "tomorrow at " + strings.TrimPrefix(s, "tomorrow ")
	case len(s) == 5:
		return "at " + s
	}
	return "on " + s
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
// "Mon 2 Jan 15:04".
func (f Formatter) when(t, now time.Time) string {
	loc := f.Loc
	if loc == nil {
		loc = time.Local
	}
	t, now = t.In(loc), now.In(loc)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	tomorrow := now.AddDate(0, 0, 1)
	my, mm, md := tomorrow.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return t.Format("15:04")
	case ty == my && tm == mm && td == md:
		return "tomorrow " + t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

func lastError(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return ""
	}
	if utf8.RuneCountInString(msg) > maxMessage {
		r := []rune(msg)
		msg = string(r[:maxMessage-1]) + "…"
	}
	return " Last error: " + msg
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
