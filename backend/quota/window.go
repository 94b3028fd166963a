// Package quota keeps what Switchboard knows of each account's limits: the
// named windows of a subscription plan (5-hour, weekly…) and of an API key
// (requests and tokens per minute, per day…), each with how much is used,
// when it resets, where the figure came from and when it was seen.
//
// Three sources feed it, merged per account (the newest figure of a
// window wins):
//   - the rate-limit headers of every upstream answer (headers.go), read on
//     the request path without allocating when there are none;
//   - what a 429/402 answer said (its headers and reset time);
//   - the subscription vendors' usage endpoints, polled off the request path
//     with an adaptive cadence (poll.go; one file per vendor registers a
//     Fetcher).
//
// Routing asks it (route.Quota) whether an account is used up and how much
// headroom its tightest window has; it tells the user (route.Change events:
// quota_threshold, account_quota_exhausted, quota_back) at most once per
// window period, and when a window resets or a poll shows headroom again it
// clears the quota rests that routing had set (route.Health.ClearQuota).
//
// Lifecycle: New, SetThreshold/SetReserve from the settings, Load from the
// store, then Run (the one scheduler: polls and resets) and Persist in
// goroutines until their context ends.
package quota

import (
	"strconv"
	"strings"
	"time"
)

// Source says where a window's figures come from.
type Source string

const (
	SourceUsage   Source = "usage"   // the vendor's usage endpoint, polled
	SourceHeaders Source = "headers" // rate-limit headers on an upstream answer
	SourceError   Source = "error"   // a 429/402 answer's reset time
)

// Window is one named limit of an account at one moment.
type Window struct {
	// Name identifies the window within its account, the same whatever the
	// source: "5h", "7d" (Claude), "primary", "secondary" (Codex), "credits" (Kiro),
	// "requests", "tokens", "input_tokens", "output_tokens" (API keys),
	// "limit" (a 429/402 that named no window), "premium", "chat",
	// "completions" (Copilot's monthly snapshots).
	Name string
	// Model scopes the window to the models whose id contains it ("opus");
	// "" limits the whole account.
	Model string
	// Span is the window's length when the vendor says (5 h, 7 days).
	Span time.Duration
	// Used is the fraction used: 0 … 1 (1 = used up).
	Used float64
	// Remaining and Limit are counts when the vendor gives them (Limit 0:
	// only the fraction is known).
	Remaining, Limit int64
	// ResetAt is when the window starts afresh (zero: not said).
	ResetAt    time.Time
	Source     Source
	ObservedAt time.Time
	// Plan marks a plan window (hours to a month: alerts are about these)
	// as opposed to a per-minute rate limit.
	Plan bool
}

// noResetTTL is how long a window whose reset time is unknown is trusted
// after it was seen (a poll refreshes it well before).
const noResetTTL = 20 * time.Minute

// live reports whether the window's figures still hold at now: its reset
// has not passed (or, without one, it is recent).
func (w *Window) live(now time.Time) bool {
	if !w.ResetAt.IsZero() {
		return now.Before(w.ResetAt)
	}
	return now.Sub(w.ObservedAt) < noResetTTL
}

// usedUp reports a window that is used up at now.
func (w *Window) usedUp(now time.Time) bool { return w.Used >= 1 && w.live(now) }

// until is when a used-up window frees up.
func (w *Window) until() time.Time {
	if !w.ResetAt.IsZero() {
		return w.ResetAt
	}
	return w.ObservedAt.Add(noResetTTL)
}

// applies reports whether the window limits model.
func (w *Window) applies(model string) bool {
	return w.Model == "" || strings.Contains(model, w.Model)
}

// Label names the window for people: "5-hour", "Weekly (Opus)",
// "Requests".
func (w Window) Label() string {
	var l string
	switch w.Name {
	case "5h", "7d", "primary", "secondary":
		if l = spanLabel(w.Span); l == "" {
			l = defaultLabels[w.Name]
		}
	case "requests":
		l = "Requests"
	case "tokens":
		l = "Tokens"
	case "input_tokens":
		l = "Input tokens"
	case "output_tokens":
		l = "Output tokens"
	case "limit":
		l = "Limit"
	case "premium":
		l = "Premium requests"
	case "chat":
		l = "Chat"
	case "completions":
		l = "Completions"
	default:
		l = w.Name
	}
	if w.Model != "" {
		l += " (" + strings.ToUpper(w.Model[:1]) + w.Model[1:] + ")"
	}
	return l
}

var defaultLabels = map[string]string{"5h": "5-hour", "7d": "Weekly", "primary": "Session", "secondary": "Weekly"}

// spanLabel names a window length: "5-hour", "Weekly", "Daily", "30-day".
func spanLabel(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d == 24*time.Hour:
		return "Daily"
	case d == 7*24*time.Hour:
		return "Weekly"
	case d >= 28*24*time.Hour && d <= 31*24*time.Hour:
		return "Monthly"
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "-day"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "-hour"
	}
	return strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + "-minute"
}

// clamp01 bounds a fraction.
func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0: // NaN too
		return 0
	case f > 1:
		return 1
	}
	return f
}
