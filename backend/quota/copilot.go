package quota

import (
	"context"
	"math"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/provider"
)

// GitHub Copilot: GET <GitHub API>/copilot_internal/user (api.github.com,
// or the provider's sign_in.api_url) with the GitHub sign-in's own token
// ("Authorization: token …") and the editor headers, not the Copilot
// token requests carry (see SignedInCredential). The answer (fields as
// microsoft/vscode-copilot-chat and the Copilot proxies read them):
//
//	{"copilot_plan": "individual", "quota_reset_date": "2026-12-01",
//	 "quota_reset_date_utc": "2026-12-01T00:00:00.000Z",
//	 "quota_snapshots": {
//	   "premium_interactions": {"entitlement": 300, "remaining": 120, "percent_remaining": 40, "unlimited": false},
//	   "chat": {"unlimited": true, …}, "completions": {"unlimited": true, …}}}
//
// Each limited snapshot is one window; unlimited ones limit nothing.
func init() { Register("copilot", copilotUsage{}) }

type copilotUsage struct{}

// copilotUsagePath is the endpoint under the GitHub API.
const copilotUsagePath = "/copilot_internal/user"

// copilotSnapshots names the snapshots' windows; others keep their key.
var copilotSnapshots = map[string]string{"premium_interactions": "premium", "chat": "chat", "completions": "completions"}

func (copilotUsage) signedIn() {}

func (copilotUsage) Fetch(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, now time.Time) ([]Window, error) {
	root, err := getJSON(ctx, send, e, acc, baseOf(e, acc)+copilotUsagePath, nil)
	if err != nil {
		return nil, err
	}
	return parseCopilotUsage(root), nil
}

func parseCopilotUsage(root gjson.Result) []Window {
	var reset time.Time
	if t, err := time.Parse(time.RFC3339, root.Get("quota_reset_date_utc").String()); err == nil {
		reset = t.UTC()
	} else if t, err := time.Parse(time.DateOnly, root.Get("quota_reset_date").String()); err == nil {
		reset = t // midnight UTC, when the month's allowance starts afresh
	}
	var out []Window
	root.Get("quota_snapshots").ForEach(func(k, v gjson.Result) bool {
		p := v.Get("percent_remaining")
		if !v.IsObject() || v.Get("unlimited").Bool() || p.Type != gjson.Number {
			return true
		}
		name := copilotSnapshots[k.String()]
		if name == "" {
			name = k.String()
		}
		w := Window{Name: name, Used: clamp01(1 - p.Float()/100), ResetAt: reset, Plan: true}
		if l := v.Get("entitlement"); l.Type == gjson.Number && l.Float() > 0 {
			w.Limit = int64(l.Float())
			w.Remaining = int64(math.Max(0, v.Get("remaining").Float()))
		}
		out = append(out, w)
		return true
	})
	return out
}
