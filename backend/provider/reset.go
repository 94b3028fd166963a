package provider

import (
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// maxSensibleReset bounds a believable reset. Anything longer is a misread
// unit (milliseconds taken for seconds) rather than a real window; weekly
// subscription windows stay well inside it.
const maxSensibleReset = 31 * 24 * time.Hour

// resetAfter is how long until the upstream says the caller may try again:
// the latest sensible value among every hint it gave, never negative.
// Rate-limit counters (x-ratelimit-reset-*) are only read for rate and
// quota errors: OpenAI sends them on every answer, and a 400 must not cool
// an account down.
func resetAfter(kind ir.ErrorKind, h http.Header, info errorInfo, now time.Time) time.Duration {
	var best time.Duration
	consider := func(d time.Duration, ok bool) {
		if ok && d > best && d <= maxSensibleReset {
			best = d
		}
	}
	switch kind {
	case ir.KindRateLimited, ir.KindQuotaExhausted:
		retryAfterHeaders(h, now, consider)
		rateLimitHeaders(h, now, consider)
		bodyResets(info, now, consider)
	case ir.KindUpstream5xx:
		retryAfterHeaders(h, now, consider) // a 503 for maintenance may say when
	}
	return best
}

// retryAfterHeaders reads Retry-After (seconds or HTTP-date) and
// retry-after-ms (OpenAI, Azure).
func retryAfterHeaders(h http.Header, now time.Time, consider func(time.Duration, bool)) {
	if v := h.Get("Retry-After"); v != "" {
		consider(parseReset(v, now))
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && ms >= 0 && ms < 1e12 {
			consider(time.Duration(ms*float64(time.Millisecond)), true)
		}
	}
}

// counterResets pair a reset header with the remaining-count header of the
// same counter. A counter with requests left is not what stopped us, so its
// reset is ignored (OpenAI sends "reset-tokens: 6m0s" while only the
// request counter is empty).
var counterResets = []struct{ reset, remaining string }{
	{"X-Ratelimit-Reset-Requests", "X-Ratelimit-Remaining-Requests"},
	{"X-Ratelimit-Reset-Tokens", "X-Ratelimit-Remaining-Tokens"},
	{"X-Ratelimit-Reset", "X-Ratelimit-Remaining"},
	{"X-Ratelimit-Reset-After", "X-Ratelimit-Remaining"},
	{"Anthropic-Ratelimit-Requests-Reset", "Anthropic-Ratelimit-Requests-Remaining"},
	{"Anthropic-Ratelimit-Tokens-Reset", "Anthropic-Ratelimit-Tokens-Remaining"},
	{"Anthropic-Ratelimit-Input-Tokens-Reset", "Anthropic-Ratelimit-Input-Tokens-Remaining"},
	{"Anthropic-Ratelimit-Output-Tokens-Reset", "Anthropic-Ratelimit-Output-Tokens-Remaining"},
}

func rateLimitHeaders(h http.Header, now time.Time, consider func(time.Duration, bool)) {
	for _, c := range counterResets {
		v := h.Get(c.reset)
		if v == "" {
			continue
		}
		if left, err := strconv.ParseFloat(strings.TrimSpace(h.Get(c.remaining)), 64); err == nil && left > 0 {
			continue
		}
		consider(parseReset(v, now))
	}
}

// bodyResets reads resets from the error body: Gemini's RetryInfo
// retryDelay, OpenAI/Codex resets_in_seconds / resets_at, and phrases such
// as "Please try again in 20s".
func bodyResets(info errorInfo, now time.Time, consider func(time.Duration, bool)) {
	root := info.root
	for _, d := range root.Get("error.details").Array() {
		if v := d.Get("retryDelay").String(); v != "" {
			consider(parseReset(v, now))
		}
	}
	for _, obj := range []gjson.Result{root.Get("error"), root} {
		if v := obj.Get("resets_in_seconds"); v.Exists() {
			consider(secondsDuration(v.Float()))
		}
		if v := obj.Get("resets_at"); v.Exists() {
			consider(parseResetAt(v, now))
		}
	}
	consider(textReset(info.message))
}

// parseReset understands every reset format vendors use: RFC 3339 times
// (Anthropic), HTTP-dates (Retry-After), Go-style durations ("6m0s",
// "2m59.56s", "20ms"; OpenAI, Groq, Gemini's "30s"), and plain numbers,
// which are unix milliseconds, unix seconds, or a number of seconds
// depending on their size.
func parseReset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Sub(now), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case f > 1e12: // unix milliseconds (OpenRouter)
			return time.UnixMilli(int64(f)).Sub(now), true
		case f > 1e9: // unix seconds
			return time.Unix(int64(f), 0).Sub(now), true
		}
		return secondsDuration(f)
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d, true
	}
	return 0, false
}

// parseResetAt reads a point in time: a unix timestamp (seconds, or
// milliseconds when that large) even when small, unlike parseReset, where a
// small number is a count of seconds.
func parseResetAt(v gjson.Result, now time.Time) (time.Duration, bool) {
	if v.Type != gjson.Number {
		return parseReset(v.String(), now)
	}
	if f := v.Float(); f > 1e12 {
		return time.UnixMilli(int64(f)).Sub(now), true
	}
	return time.Unix(v.Int(), 0).Sub(now), true
}

// secondsDuration converts a number of seconds, refusing values a Duration
// cannot hold.
func secondsDuration(f float64) (time.Duration, bool) {
	if math.IsNaN(f) || f < 0 || f > maxSensibleReset.Seconds() {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

var (
	// "try again in 1m30s", "Please retry in 23.5s", "retry after 5 seconds",
	// "quota will reset after 2h15m".
	retryPhrase = regexp.MustCompile(`(?i)(?:try again|retry|resets?)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)`)
	// One number and unit. Go's alternation is leftmost-first, so longer
	// unit names come first ("ms" before "m", "seconds" before "s"); no \b
	// after the unit, since "1m30s" has none between "m" and "30".
	durationPart = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(milliseconds?|msecs?|ms|minutes?|mins?|m|hours?|hrs?|h|seconds?|secs?|s)`)
)

var unitDurations = map[byte]time.Duration{'h': time.Hour, 'm': time.Minute, 's': time.Second}

// textReset finds a wait in a human message.
func textReset(msg string) (time.Duration, bool) {
	m := retryPhrase.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	var total time.Duration
	found := false
	for _, p := range durationPart.FindAllStringSubmatch(m[1], -1) {
		n, err := strconv.ParseFloat(p[1], 64)
		if err != nil {
			continue
		}
		unit := strings.ToLower(p[2])
		scale := unitDurations[unit[0]]
		if unit == "ms" || strings.HasPrefix(unit, "milli") || strings.HasPrefix(unit, "msec") {
			scale = time.Millisecond
		}
		total += time.Duration(n * float64(scale))
		found = true
	}
	return total, found
}
