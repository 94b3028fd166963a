package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

const (
	// maxModelList bounds one models page (OpenRouter's is large).
	maxModelList = 16 << 20
	// maxModelPages bounds pagination against an upstream that never ends.
	maxModelPages = 20
)

// ListModels asks the upstream which models it serves: OpenAI-style and
// Anthropic {data:[{id}]}, Gemini {models:[{name:"models/x"}]}, following
// Anthropic's and Gemini's pagination.
func (c *Client) ListModels(ctx context.Context, entry *Entry, apiKey string, allowLocal bool) ([]string, error) {
	if !entry.ListModels || !entry.Supports(OpListModels) {
		return nil, &ir.Error{Kind: ir.KindNotFound, Provider: entry.ID,
			Message: "provider " + entry.ID + " has no models endpoint"}
	}
	var ids []string
	seen := map[string]bool{}
	query := firstPageQuery(entry.Dialect)
	for range maxModelPages {
		page, err := c.fetchJSON(ctx, &Call{Entry: entry, APIKey: apiKey, Op: OpListModels, AllowLocal: allowLocal, query: query})
		if err != nil {
			return nil, err
		}
		for _, id := range modelIDs(page) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if query = nextPageQuery(entry.Dialect, page); query == nil {
			break
		}
	}
	return ids, nil
}

// fetchJSON sends call and returns its (bounded) JSON body.
func (c *Client) fetchJSON(ctx context.Context, call *Call) (gjson.Result, error) {
	resp, err := c.Send(ctx, call)
	if err != nil {
		return gjson.Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxModelList))
	if err != nil {
		e := ClassifyTransport(err)
		e.Provider = call.Entry.ID
		return gjson.Result{}, e
	}
	if !jsonscan.Valid(body) {
		return gjson.Result{}, &ir.Error{Kind: ir.KindUpstream5xx, Status: 502, Provider: call.Entry.ID,
			Message: "upstream answered the model list with something that is not JSON"}
	}
	return gjson.ParseBytes(body), nil
}

// Page sizes at the vendors' maxima keep most lists to one request.
func firstPageQuery(d dialect.Name) url.Values {
	switch d {
	case dialect.Anthropic:
		return url.Values{"limit": {"1000"}}
	case dialect.Gemini:
		return url.Values{"pageSize": {"1000"}}
	}
	return nil
}

// nextPageQuery is the query for the following page, or nil at the end.
func nextPageQuery(d dialect.Name, page gjson.Result) url.Values {
	switch d {
	case dialect.Anthropic:
		if last := page.Get("last_id").String(); page.Get("has_more").Bool() && last != "" {
			return url.Values{"limit": {"1000"}, "after_id": {last}}
		}
	case dialect.Gemini:
		if tok := page.Get("nextPageToken").String(); tok != "" {
			return url.Values{"pageSize": {"1000"}, "pageToken": {tok}}
		}
	}
	return nil
}

// modelIDs reads ids from any of the list shapes.
func modelIDs(page gjson.Result) []string {
	var ids []string
	for _, m := range page.Get("data").Array() {
		if id := m.Get("id").String(); id != "" {
			ids = append(ids, id)
		}
	}
	for _, m := range page.Get("models").Array() {
		if id := strings.TrimPrefix(m.Get("name").String(), "models/"); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Test checks that the provider answers with these credentials, for
// `switchboard providers test`: it lists models when the upstream can,
// otherwise (or when the list endpoint is missing) it sends the smallest
// generation ("ping", one output token) to the entry's first chat model.
func (c *Client) Test(ctx context.Context, entry *Entry, auth Access, allowLocal bool) (time.Duration, error) {
	apiKey := auth.Token
	start := time.Now()
	if entry.ListModels {
		// One page, with the account's own access: a sign-in's API base
		// (Copilot's seat, Qwen's resource_url) is where it must answer.
		_, err := c.fetchJSON(ctx, &Call{Entry: entry, APIKey: apiKey, AccountRef: auth.AccountRef, BaseURL: auth.BaseURL,
			Project: auth.Project, Op: OpListModels, AllowLocal: allowLocal, query: firstPageQuery(entry.Dialect)})
		var ie *ir.Error
		if err == nil || !errors.As(err, &ie) || ie.Kind != ir.KindModelNotSupported || chatModel(entry) == "" {
			return time.Since(start), err
		}
		start = time.Now() // a 404 on /models: try a generation instead
	}
	op, model, body := OpGenerate, chatModel(entry), []byte(nil)
	if model == "" { // a rerank-only provider (Cohere, Jina, Voyage): rank one document
		op, model = OpRerank, modelFor(entry, CapRerank)
		body, _ = json.Marshal(map[string]any{"model": model, "query": "ping", "documents": []string{"ping"}})
	} else {
		body = pingBody(entry.Dialect, model)
	}
	if model == "" {
		return 0, &ir.Error{Kind: ir.KindBadRequest, Provider: entry.ID,
			Message: "provider " + entry.ID + " lists no models and has no chat or rerank model configured to test with"}
	}
	resp, err := c.Send(ctx, &Call{Entry: entry, APIKey: apiKey, AccountRef: auth.AccountRef, Op: op, Model: model,
		Body: body, AllowLocal: allowLocal, BaseURL: auth.BaseURL, Project: auth.Project})
	if err != nil {
		return time.Since(start), err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return time.Since(start), nil
}

// chatModel is the first chat model of the entry.
func chatModel(e *Entry) string { return modelFor(e, CapChat) }

// modelFor is the entry's first model serving c.
func modelFor(e *Entry, c Capability) string {
	for _, m := range e.Models {
		if slices.Contains(e.Caps(m), c) {
			return m.ID
		}
	}
	return ""
}

// pingBody is the smallest valid generation request in each dialect.
// Responses requires max_output_tokens >= 16.
func pingBody(d dialect.Name, model string) []byte {
	var v any
	user := []map[string]any{{"role": "user", "content": "ping"}}
	switch d {
	case dialect.Anthropic:
		v = map[string]any{"model": model, "max_tokens": 1, "messages": user}
	case dialect.Gemini:
		v = map[string]any{
			"contents":         []map[string]any{{"role": "user", "parts": []map[string]string{{"text": "ping"}}}},
			"generationConfig": map[string]any{"maxOutputTokens": 1},
		}
	case dialect.Responses:
		v = map[string]any{"model": model, "input": "ping", "max_output_tokens": 16}
	default:
		v = map[string]any{"model": model, "max_tokens": 1, "messages": user}
	}
	b, _ := json.Marshal(v)
	return b
}
