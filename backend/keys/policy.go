package keys

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Policy is what a key may do. Zero values mean "no limit": a key with the
// zero Policy may use every model, as fast and as much as it likes.
type Policy struct {
	// Models are glob patterns of the model or combo names the client may
	// send ('*' any run of characters, '/' included; '?' one character;
	// case-insensitive). Empty allows every name. The name is matched as
	// the client sends it, before aliases and combos are resolved, so a
	// key restricted to "cheap-*" reaches nothing else.
	Models []string `json:"models" yaml:"models"`
	// RPM and TPM bound requests and tokens (input + output) per minute.
	RPM int `json:"rpm" yaml:"rpm"`
	TPM int `json:"tpm" yaml:"tpm"`
	// Budgets per local calendar day and month, in US dollars (estimated
	// from the catalog's prices) and in tokens (input + output).
	DailyUSD      float64 `json:"dailyUsd" yaml:"daily_usd"`
	MonthlyUSD    float64 `json:"monthlyUsd" yaml:"monthly_usd"`
	DailyTokens   int64   `json:"dailyTokens" yaml:"daily_tokens"`
	MonthlyTokens int64   `json:"monthlyTokens" yaml:"monthly_tokens"`
	// ExpiresAt is when the key stops working (RFC 3339; "" never).
	ExpiresAt string `json:"expiresAt" yaml:"expires_at"`
	// Disabled keys are refused until enabled again.
	Disabled bool `json:"disabled" yaml:"disabled"`
}

// Limits of a policy's fields.
const (
	MaxPatterns      = 64
	maxPatternLength = 200
)

// ErrConfigOwned refuses a change to a key the config file declares.
var ErrConfigOwned = errors.New("keys: this key is declared in the config file; change its policy there")

// Validate reports every problem of p at once.
func (p Policy) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if len(p.Models) > MaxPatterns {
		bad("at most %d model patterns", MaxPatterns)
	}
	for _, m := range p.Models {
		switch {
		case strings.TrimSpace(m) == "":
			bad("a model pattern is empty")
		case len(m) > maxPatternLength:
			bad("model pattern %.40q… is longer than %d characters", m, maxPatternLength)
		case strings.ContainsAny(strings.TrimSpace(m), " \t\r\n"):
			bad("model pattern %q contains spaces", m)
		}
	}
	if p.RPM < 0 || p.TPM < 0 {
		bad("rpm and tpm must not be negative")
	}
	for _, v := range []float64{p.DailyUSD, p.MonthlyUSD} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			bad("budgets in USD must be positive numbers (0: none)")
			break
		}
	}
	if p.DailyTokens < 0 || p.MonthlyTokens < 0 {
		bad("token budgets must not be negative")
	}
	if p.ExpiresAt != "" {
		if _, err := parseExpiry(p.ExpiresAt); err != nil {
			bad("expiresAt %q is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z)", p.ExpiresAt)
		}
	}
	return errors.Join(errs...)
}

// parseExpiry reads an RFC 3339 time or a date, which means the start of
// that day in local time.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, s, time.Local)
}

// normalize trims patterns and writes the expiry in RFC 3339 UTC.
func (p Policy) normalize() Policy {
	out := p
	out.Models = nil
	for _, m := range p.Models {
		if m = strings.TrimSpace(m); m != "" {
			out.Models = append(out.Models, m)
		}
	}
	if t, err := parseExpiry(p.ExpiresAt); p.ExpiresAt != "" && err == nil {
		out.ExpiresAt = t.UTC().Format(time.RFC3339)
	}
	return out
}

// IsZero reports a policy that limits nothing.
func (p Policy) IsZero() bool {
	return len(p.Models) == 0 && p.RPM == 0 && p.TPM == 0 && p.DailyUSD == 0 && p.MonthlyUSD == 0 &&
		p.DailyTokens == 0 && p.MonthlyTokens == 0 && p.ExpiresAt == "" && !p.Disabled
}

// compiled is a policy in the form the request path reads.
type compiled struct {
	Policy
	expires int64 // unix ms, 0 never
}

func compile(p Policy) *compiled {
	c := &compiled{Policy: p}
	if t, err := parseExpiry(p.ExpiresAt); p.ExpiresAt != "" && err == nil {
		c.expires = t.UnixMilli()
	}
	return c
}

// allows reports whether model matches one of the patterns (or there are
// none).
func (c *compiled) allows(model string) bool {
	if len(c.Models) == 0 {
		return true
	}
	for _, p := range c.Models {
		if globMatch(p, model) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern of literal characters, '*' (any
// run, '/' included) and '?' (one byte), ASCII case-insensitively. It is
// iterative with one backtrack point, so it never allocates and runs in
// O(len(p)·len(s)) at worst.
func globMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			starP, starS = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || lower(p[pi]) == lower(s[si])):
			pi++
			si++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
