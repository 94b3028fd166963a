// Package notify turns routing events from the bus into native desktop
// notifications: which events are worth one (Prefs), how often (Policy:
// de-duplication and rate limiting per kind and provider), what they say
// (Format) and who shows them (a Notifier: beeep everywhere, D-Bus with a
// click action on Linux). The desktop app runs a Service; headless mode does
// not (core already logs every routing change).
package notify

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/route"
)

// AppName is the application name every notification carries.
const AppName = "Switchboard"

// Kinds of notification, named after the bus events that raise them.
const (
	KindBreakerOpen      = events.Kind(route.ProviderTripped)   // a provider's circuit breaker opened
	KindQuotaExhausted   = events.Kind(route.QuotaExhausted)    // an account ran out of quota
	KindComboUnavailable = events.Kind(route.ComboUnavailable)  // no target of a combo could serve
	KindRecovered        = events.Kind(route.ProviderRecovered) // a tripped provider answered again
	KindQuotaThreshold   = events.Kind(route.QuotaThreshold)    // a plan window crossed the threshold
	KindQuotaBack        = events.Kind(route.QuotaBack)         // an account out of quota has headroom again
	// KindKeyBudget: a local API key used 80% of a budget (once per budget
	// and period). Data: route.Change{Account: key, Window: the budget,
	// Percent, Until: its reset, Message}.
	KindKeyBudget = events.KeyBudget
	// KindOAuthRefreshFailed is published by the signin package, once per
	// account, when a sign-in's refresh token is refused. Data:
	// route.Change{Provider, Account, Message}.
	KindOAuthRefreshFailed = events.OAuthRefreshFailed
	// KindPrefsChanged is published by the management services when the
	// notification preferences are saved; Data is the new Prefs.
	KindPrefsChanged events.Kind = "notification_prefs"
)

// Dashboard pages a click opens (hash routes of the dashboard).
const (
	PageProviders = "/providers"
	PageCombos    = "/combos"
	PageLimits    = "/limits"
	PageKeys      = "/keys"
)

// Notification is one message for the user.
type Notification struct {
	Kind     events.Kind
	Provider string // provider id, or the combo name
	Title    string
	Body     string
	Page     string // dashboard page a click opens
}

// Notifier shows notifications. Implementations must be safe for use from
// one goroutine at a time (the Service calls it sequentially).
type Notifier interface {
	Notify(n Notification) error
}

// Prefs are the user's notification settings (stored under their own
// settings key by the management services).
type Prefs struct {
	Enabled            bool `json:"enabled"` // master switch
	BreakerOpen        bool `json:"breakerOpen"`
	QuotaExhausted     bool `json:"quotaExhausted"`
	ComboUnavailable   bool `json:"comboUnavailable"`
	OAuthRefreshFailed bool `json:"oauthRefreshFailed"`
	Recovered          bool `json:"recovered"`
	// QuotaThreshold (a plan window crossed the threshold) and QuotaBack
	// (an account out of quota has it again) are on unless set false: a
	// dashboard that predates them and leaves them out keeps them on.
	QuotaThreshold *bool `json:"quotaThreshold,omitempty"`
	QuotaBack      *bool `json:"quotaBack,omitempty"`
	// KeyBudget (a local key used 80% of a budget) is on unless set false.
	KeyBudget *bool `json:"keyBudget,omitempty"`
	// IntervalSec is the minimum time between two alerts of the same kind
	// for the same provider (default 300).
	IntervalSec int `json:"intervalSec"`
	// QuotaThresholdPercent: how used a plan window is when the threshold
	// alert fires (default 90; once per window period).
	QuotaThresholdPercent int `json:"quotaThresholdPercent"`
	// QuotaThresholds overrides it per account id.
	QuotaThresholds map[string]int `json:"quotaThresholds,omitempty"`
}

// Interval bounds for Prefs.IntervalSec.
const (
	DefaultIntervalSec = 300
	MinIntervalSec     = 10
	MaxIntervalSec     = 24 * 3600
)

// DefaultQuotaThresholdPercent is the threshold alert's default.
const DefaultQuotaThresholdPercent = 90

// DefaultPrefs turns everything on with a five-minute interval.
func DefaultPrefs() Prefs {
	return Prefs{Enabled: true, BreakerOpen: true, QuotaExhausted: true, ComboUnavailable: true,
		OAuthRefreshFailed: true, Recovered: true, QuotaThreshold: On(), QuotaBack: On(), KeyBudget: On(), IntervalSec: DefaultIntervalSec,
		QuotaThresholdPercent: DefaultQuotaThresholdPercent}
}

// On and Off are the values of the optional switches.
func On() *bool  { t := true; return &t }
func Off() *bool { f := false; return &f }

// on reads an optional switch: unset is on.
func on(b *bool) bool { return b == nil || *b }

// withDefaults fills the optional switches left out.
func (p Prefs) withDefaults() Prefs {
	if p.QuotaThreshold == nil {
		p.QuotaThreshold = On()
	}
	if p.QuotaBack == nil {
		p.QuotaBack = On()
	}
	if p.KeyBudget == nil {
		p.KeyBudget = On()
	}
	return p
}

// ErrInvalidPrefs marks preferences the user must correct.
var ErrInvalidPrefs = errors.New("invalid notification preferences")

// Normalize fills a zero interval and threshold with the defaults and
// validates.
func (p Prefs) Normalize() (Prefs, error) {
	if p.IntervalSec == 0 {
		p.IntervalSec = DefaultIntervalSec
	}
	if p.QuotaThresholdPercent == 0 {
		p.QuotaThresholdPercent = DefaultQuotaThresholdPercent
	}
	p = p.withDefaults()
	if p.IntervalSec < MinIntervalSec || p.IntervalSec > MaxIntervalSec {
		return p, fmt.Errorf("%w: intervalSec must be between %d and %d seconds", ErrInvalidPrefs, MinIntervalSec, MaxIntervalSec)
	}
	if !validPercent(p.QuotaThresholdPercent) {
		return p, fmt.Errorf("%w: quotaThresholdPercent must be between 1 and 100", ErrInvalidPrefs)
	}
	for id, v := range p.QuotaThresholds {
		if !validPercent(v) {
			return p, fmt.Errorf("%w: the quota threshold of account %s must be between 1 and 100", ErrInvalidPrefs, id)
		}
	}
	return p, nil
}

func validPercent(v int) bool { return v >= 1 && v <= 100 }

// isZero reports the zero Prefs (no preferences given).
func (p Prefs) isZero() bool { return reflect.DeepEqual(p, Prefs{}) }

// Interval is IntervalSec as a duration.
func (p Prefs) Interval() time.Duration {
	if p.IntervalSec <= 0 {
		return DefaultIntervalSec * time.Second
	}
	return time.Duration(p.IntervalSec) * time.Second
}

// Wants reports whether alerts of kind are switched on.
func (p Prefs) Wants(k events.Kind) bool {
	if !p.Enabled {
		return false
	}
	switch k {
	case KindBreakerOpen:
		return p.BreakerOpen
	case KindQuotaExhausted:
		return p.QuotaExhausted
	case KindComboUnavailable:
		return p.ComboUnavailable
	case KindOAuthRefreshFailed:
		return p.OAuthRefreshFailed
	case KindRecovered:
		return p.Recovered
	case KindQuotaThreshold:
		return on(p.QuotaThreshold)
	case KindQuotaBack:
		return on(p.QuotaBack)
	case KindKeyBudget:
		return on(p.KeyBudget)
	}
	return false
}

// Notifiable reports whether the service acts on events of kind.
func Notifiable(k events.Kind) bool {
	switch k {
	case KindBreakerOpen, KindQuotaExhausted, KindComboUnavailable, KindOAuthRefreshFailed, KindRecovered,
		KindQuotaThreshold, KindQuotaBack, KindKeyBudget:
		return true
	}
	return false
}
