package quota

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/provider"
)

// Google sign-ins (Cloud Code). Both take the account's project in a POST
// body, at the provider's base URL (https://cloudcode-pa.googleapis.com),
// with the sign-in's bearer token and the Cloud Code identity headers.
//
// Gemini Code Assist, as the Gemini CLI reads it (google-gemini/gemini-cli,
// packages/core/src/code_assist/server.ts retrieveUserQuota, types.ts
// BucketInfo): POST <base>/v1internal:retrieveUserQuota {"project": P}
//
//	{"buckets": [{"remainingFraction": 0.73, "resetTime": "2026-12-05T00:00:00Z",
//	              "modelId": "gemini-2.5-pro", "tokenType": "REQUESTS"}, …]}
//
// Antigravity, as its peers read it (the models list the IDE shows):
// POST <base>/v1internal:fetchAvailableModels {"project": P}
//
//	{"models": {"gemini-3-pro-high": {"displayName": "…",
//	            "quotaInfo": {"remainingFraction": 0.4, "resetTime": "…"}}, …}}
//
// where a quotaInfo with a reset time and no fraction is a used-up model.
//
// Each bucket or model is a plan window named after its unit ("requests")
// and scoped to its model id (which matches the models containing it).
func init() {
	Register("gemini-code-assist", googleUsage{method: "retrieveUserQuota", parse: parseCodeAssistQuota})
	Register("antigravity", googleUsage{method: "fetchAvailableModels", parse: parseAntigravityModels})
}

type googleUsage struct {
	method string
	parse  func(gjson.Result) []Window
}

func (g googleUsage) Fetch(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, now time.Time) ([]Window, error) {
	project := strings.TrimSpace(acc.Project)
	if project == "" {
		return nil, fmt.Errorf("quota: %s usage endpoint: the sign-in has no Cloud Code project", e.ID)
	}
	body, _ := json.Marshal(map[string]string{"project": project})
	root, err := postJSON(ctx, send, e, acc, baseOf(e, acc)+"/v1internal:"+g.method, body)
	if err != nil {
		return nil, err
	}
	return g.parse(root), nil
}

func parseCodeAssistQuota(root gjson.Result) []Window {
	var out []Window
	for _, b := range root.Get("buckets").Array() {
		w, ok := googleWindow(b.Get("modelId").String(), b.Get("tokenType").String(), b)
		if ok {
			out = append(out, w)
		}
	}
	return out
}

func parseAntigravityModels(root gjson.Result) []Window {
	var out []Window
	root.Get("models").ForEach(func(k, v gjson.Result) bool {
		if q := v.Get("quotaInfo"); q.IsObject() {
			if w, ok := googleWindow(k.String(), "", q); ok {
				out = append(out, w)
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Model < out[j].Model })
	return out
}

// googleWindow reads one bucket: remainingFraction and resetTime.
func googleWindow(model, unit string, v gjson.Result) (Window, bool) {
	model = strings.TrimPrefix(strings.TrimSpace(model), "models/")
	if model == "" || !v.IsObject() {
		return Window{}, false
	}
	name := strings.ToLower(strings.TrimSpace(unit))
	switch name {
	case "", "request":
		name = "requests"
	}
	w := Window{Name: name, Model: model, Plan: true}
	if t, err := time.Parse(time.RFC3339, v.Get("resetTime").String()); err == nil {
		w.ResetAt = t.UTC()
	}
	switch f := v.Get("remainingFraction"); {
	case f.Type == gjson.Number:
		w.Used = clamp01(1 - f.Float())
	case !w.ResetAt.IsZero():
		w.Used = 1 // Cloud Code leaves the fraction out once it reaches 0
	default:
		return Window{}, false
	}
	return w, true
}

// postJSON is getJSON with a body (sent as a POST).
func postJSON(ctx context.Context, send Sender, e *provider.Entry, acc provider.Access, url string, body []byte) (gjson.Result, error) {
	raw, err := send(ctx, &provider.Call{Entry: e, Op: provider.OpUsage, URL: url, APIKey: acc.Token, Body: body,
		AccountRef: acc.AccountRef, BaseURL: acc.BaseURL, Project: acc.Project})
	if err != nil {
		return gjson.Result{}, err
	}
	root := gjson.ParseBytes(raw)
	if !root.IsObject() {
		return root, fmt.Errorf("quota: %s usage endpoint: the answer is not a JSON object", e.ID)
	}
	return root, nil
}
