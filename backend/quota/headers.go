package quota

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxHeaderWindows bounds the windows one answer's headers describe.
const MaxHeaderWindows = 8

// planSpan: a count window resetting at least this far out is a plan
// window (requests per day), not a per-minute rate limit.
const planSpan = time.Hour

// Header names, canonical as net/http stores them, so a lookup is one map
// index without building a key.
var (
	hdrCodex  = [2]codexHeaders{codexFamily("primary"), codexFamily("secondary")}
	hdrClaude = [2]unifiedHeaders{unifiedFamily("5h", 5*time.Hour), unifiedFamily("7d", 7*24*time.Hour)}
	// Count families: OpenAI (and Groq, Together, Mistral…), then
	// Anthropic's API keys, then the bare x-ratelimit-* of OpenRouter and
	// others.
	hdrCounts = []countHeaders{
		countFamily("requests", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests"),
		countFamily("tokens", "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens"),
		countFamily("requests", "Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset"),
		countFamily("tokens", "Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Tokens-Remaining", "Anthropic-Ratelimit-Tokens-Reset"),
		countFamily("input_tokens", "Anthropic-Ratelimit-Input-Tokens-Limit", "Anthropic-Ratelimit-Input-Tokens-Remaining", "Anthropic-Ratelimit-Input-Tokens-Reset"),
		countFamily("output_tokens", "Anthropic-Ratelimit-Output-Tokens-Limit", "Anthropic-Ratelimit-Output-Tokens-Remaining", "Anthropic-Ratelimit-Output-Tokens-Reset"),
	}
	hdrBare = countFamily("limit", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset")
)

type countHeaders struct{ name, limit, remaining, reset string }

func countFamily(name, limit, remaining, reset string) countHeaders {
	c := http.CanonicalHeaderKey
	return countHeaders{name, c(limit), c(remaining), c(reset)}
}

// codexHeaders: x-codex-{primary,secondary}-{used-percent, window-minutes,
// reset-at (unix seconds), reset-after-seconds}, on every Codex answer.
type codexHeaders struct{ name, used, minutes, resetAt, resetAfter string }

func codexFamily(name string) codexHeaders {
	p := "x-codex-" + name + "-"
	c := http.CanonicalHeaderKey
	return codexHeaders{name, c(p + "used-percent"), c(p + "window-minutes"), c(p + "reset-at"), c(p + "reset-after-seconds")}
}

// unifiedHeaders: anthropic-ratelimit-unified-{5h,7d}-{utilization (a
// fraction), reset (unix seconds), status}, on every answer to a Claude
// plan's sign-in.
type unifiedHeaders struct {
	name                       string
	span                       time.Duration
	utilization, reset, status string
}

func unifiedFamily(name string, span time.Duration) unifiedHeaders {
	p := "anthropic-ratelimit-unified-" + name + "-"
	c := http.CanonicalHeaderKey
	return unifiedHeaders{name, span, c(p + "utilization"), c(p + "reset"), c(p + "status")}
}

// ParseHeaders reads the rate-limit headers of one upstream answer into
// out and returns how many windows it found: Codex's x-codex-primary/
// secondary-*, Claude plans' anthropic-ratelimit-unified-5h/7d-*,
// Anthropic API keys' anthropic-ratelimit-*-{limit,remaining,reset}
// (RFC 3339), OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens}
// (resets such as "6m0s") and the bare x-ratelimit-* of OpenRouter and
// others. Gemini sends none. It allocates nothing; an answer without these
// headers costs a dozen map lookups.
func ParseHeaders(h http.Header, now time.Time, out *[MaxHeaderWindows]Window) int {
	n := 0
	for _, f := range hdrCodex {
		if n < MaxHeaderWindows && f.parse(h, now, &out[n]) {
			n++
		}
	}
	for _, f := range hdrClaude {
		if n < MaxHeaderWindows && f.parse(h, now, &out[n]) {
			n++
		}
	}
	counted := false
	for i := range hdrCounts {
		if n < MaxHeaderWindows && hdrCounts[i].parse(h, now, &out[n]) {
			n++
			counted = true
		}
	}
	if !counted && n < MaxHeaderWindows && hdrBare.parse(h, now, &out[n]) {
		n++
	}
	return n
}

func first(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func (f *codexHeaders) parse(h http.Header, now time.Time, w *Window) bool {
	used, ok := number(first(h, f.used))
	if !ok {
		return false
	}
	*w = Window{Name: f.name, Used: clamp01(used / 100), Source: SourceHeaders, ObservedAt: now, Plan: true}
	if m, ok := number(first(h, f.minutes)); ok && m > 0 && m < 1e6 {
		w.Span = time.Duration(m) * time.Minute
	}
	if at, ok := unixTime(first(h, f.resetAt)); ok {
		w.ResetAt = at
	} else if s, ok := number(first(h, f.resetAfter)); ok && s >= 0 && s < maxReset.Seconds() {
		w.ResetAt = now.Add(time.Duration(s * float64(time.Second)))
	}
	return true
}

func (f *unifiedHeaders) parse(h http.Header, now time.Time, w *Window) bool {
	util, ok := number(first(h, f.utilization))
	status := first(h, f.status)
	if !ok {
		if status != "rejected" {
			return false
		}
		util = 1 // refused: used up, whatever the figure
	}
	*w = Window{Name: f.name, Span: f.span, Used: clamp01(util), Source: SourceHeaders, ObservedAt: now, Plan: true}
	if status == "rejected" {
		w.Used = 1
	}
	if at, ok := unixTime(first(h, f.reset)); ok {
		w.ResetAt = at
	}
	return true
}

func (f *countHeaders) parse(h http.Header, now time.Time, w *Window) bool {
	left, ok := number(first(h, f.remaining))
	if !ok {
		return false
	}
	limit, _ := number(first(h, f.limit))
	*w = Window{Name: f.name, Remaining: int64(left), Limit: int64(limit), Source: SourceHeaders, ObservedAt: now}
	switch {
	case left <= 0:
		w.Used, w.Remaining = 1, 0
	case limit > 0:
		w.Used = clamp01(1 - left/limit)
	default:
		w.Limit = 0 // a remaining count alone says nothing of the fraction
	}
	if at, ok := resetTime(first(h, f.reset), now); ok {
		w.ResetAt = at
		w.Plan = at.Sub(now) >= planSpan
	}
	return true
}

// maxReset bounds a believable reset (a misread unit otherwise).
const maxReset = 31 * 24 * time.Hour

func number(v string) (float64, bool) {
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && f == f && f > -1e15 && f < 1e15
}

// unixTime reads a point in time given in unix seconds (or milliseconds
// when that large).
func unixTime(v string) (time.Time, bool) {
	f, ok := number(v)
	switch {
	case !ok || f <= 0:
		return time.Time{}, false
	case f > 1e12:
		return time.UnixMilli(int64(f)).UTC(), true
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// resetTime reads a reset in any of the forms vendors use: an RFC 3339
// time (Anthropic), a Go-style duration ("6m0s", "20ms"; OpenAI, Groq), a
// unix time in seconds or milliseconds (OpenRouter), or a number of
// seconds.
func resetTime(v string, now time.Time) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	switch last := v[len(v)-1]; {
	case strings.IndexByte(v, 'T') > 0: // 2026-11-26T12:00:30Z
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC(), true
		}
	case last >= 'a' && last <= 'z': // 6m0s, 120ms
		if d, err := time.ParseDuration(v); err == nil && d >= 0 && d < maxReset {
			return now.Add(d), true
		}
	default:
		f, ok := number(v)
		switch {
		case ok && f > 1e9:
			return unixTime(v)
		case ok && f >= 0 && f < maxReset.Seconds():
			return now.Add(time.Duration(f * float64(time.Second))), true
		}
	}
	return time.Time{}, false
}
