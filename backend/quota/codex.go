package quota

import (
	"context"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/provider"
)

// ChatGPT plans (Codex): GET https://chatgpt.com/backend-api/wham/usage,
// the provider's base URL (…/backend-api/codex) without its last segment,
// with the sign-in's bearer token and chatgpt-account-id (the codex quirks
// send both). The answer:
//
//	{"plan_type": "plus", "rate_limit": {
//	  "primary_window":   {"used_percent": 6, "limit_window_seconds": 18000, "reset_at": 1738300000},
//	  "secondary_window": {"used_percent": 24, "limit_window_seconds": 604800, "reset_after_seconds": 86400}}}
//
// The same windows come on every answer as x-codex-primary/secondary-*
// headers (headers.go), under the same names.
func init() { Register("codex", codexUsage{}) }

type codexUsage struct{}

func (codexUsage) Fetch(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, now time.Time) ([]Window, error) {
	root, err := getJSON(ctx, send, e, acc, strings.TrimSuffix(baseOf(e, acc), "/codex")+"/wham/usage", nil)
	if err != nil {
		return nil, err
	}
	return parseCodexUsage(root, now), nil
}

func parseCodexUsage(root gjson.Result, now time.Time) []Window {
	var out []Window
	for _, k := range [2]string{"primary", "secondary"} {
		v := root.Get("rate_limit." + k + "_window")
		u := v.Get("used_percent")
		if !v.IsObject() || u.Type != gjson.Number {
			continue
		}
		w := Window{Name: k, Used: clamp01(u.Float() / 100), Plan: true}
		if s := v.Get("limit_window_seconds").Float(); s > 0 && s < maxReset.Seconds() {
			w.Span = time.Duration(s) * time.Second
		}
		if at := v.Get("reset_at"); at.Type == gjson.Number && at.Float() > 0 {
			w.ResetAt, _ = unixTime(at.Raw)
		} else if s := v.Get("reset_after_seconds"); s.Type == gjson.Number && s.Float() >= 0 && s.Float() < maxReset.Seconds() {
			w.ResetAt = now.Add(time.Duration(s.Float() * float64(time.Second)))
		}
		out = append(out, w)
	}
	return out
}
