package quota

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/provider"
)

// Claude Pro/Max: GET <base>/api/oauth/usage (base: https://api.anthropic.com)
// with the sign-in's bearer token and anthropic-beta oauth-2025-04-20,
// which the claude-code quirks send. The answer:
//
//	{"five_hour": {"utilization": 8.0, "resets_at": "2026-03-09T11:00:00+00:00"},
//	 "seven_day": {"utilization": 31.0, "resets_at": "…"},
//	 "seven_day_opus": {…} | null, "seven_day_sonnet": {…} | null, …}
//
// utilization is the percent used.
func init() { Register("claude", claudeUsage{}) }

type claudeUsage struct{}

// claudeWindows maps the answer's keys to window names and model scopes;
// other keys (extra usage, internal buckets) are not limits routing can act on.
var claudeWindows = []struct {
	key, name, model string
	span             time.Duration
}{
	{"five_hour", "5h", "", 5 * time.Hour},
	{"seven_day", "7d", "", 7 * 24 * time.Hour},
	{"seven_day_opus", "7d", "opus", 7 * 24 * time.Hour},
	{"seven_day_sonnet", "7d", "sonnet", 7 * 24 * time.Hour},
}

func (claudeUsage) Fetch(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, now time.Time) ([]Window, error) {
	root, err := getJSON(ctx, send, e, acc, baseOf(e, acc)+"/api/oauth/usage", nil)
	if err != nil {
		return nil, err
	}
	return parseClaudeUsage(root), nil
}

func parseClaudeUsage(root gjson.Result) []Window {
	var out []Window
	for _, cw := range claudeWindows {
		v := root.Get(cw.key)
		u := v.Get("utilization")
		if !v.IsObject() || u.Type != gjson.Number {
			continue
		}
		w := Window{Name: cw.name, Model: cw.model, Span: cw.span, Used: clamp01(u.Float() / 100), Plan: true}
		if t, err := time.Parse(time.RFC3339, v.Get("resets_at").String()); err == nil {
			w.ResetAt = t.UTC()
		}
		out = append(out, w)
	}
	return out
}

// baseOf is the API base the account uses: the sign-in's own, else the
// provider's.
func baseOf(e *provider.Entry, acc provider.Access) string {
	if acc.BaseURL != "" {
		return strings.TrimRight(acc.BaseURL, "/")
	}
	return strings.TrimRight(e.BaseURL, "/")
}

// getJSON GETs url (with query, if any) with the sign-in's access and
// returns the answer's JSON object.
func getJSON(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, url string, query url.Values) (gjson.Result, error) {
	body, err := send(ctx, &provider.Call{Entry: e, Op: provider.OpUsage, URL: url, Query: query, APIKey: acc.Token,
		AccountRef: acc.AccountRef, BaseURL: acc.BaseURL, Project: acc.Project})
	if err != nil {
		return gjson.Result{}, err
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return root, fmt.Errorf("quota: %s usage endpoint: the answer is not a JSON object", e.ID)
	}
	return root, nil
}
