package integration

import (
	"strings"
	"testing"

	"switchboard/backend/config"
)

// TestImagesSkipTextOnlyModels: a combo's first target is a catalog model
// known not to read images (DeepSeek Chat); a request with an image goes
// to the second target (GPT-5 reads images) without touching the first,
// and a text request still takes the first.
func TestImagesSkipTextOnlyModels(t *testing.T) {
	text, vision := newUpstream(t, dOpenAI), newUpstream(t, dOpenAI)
	g := startGateway(t, gwOpts{combos: []config.ComboConfig{{Name: "mixed", Strategy: "priority",
		Targets: []config.TargetEntry{{Model: "deepseek/deepseek-chat"}, {Model: "openai/gpt-5"}}}}},
		prov{id: "deepseek", dialect: dOpenAI, base: text.BaseURL(), models: []string{"deepseek-chat"}},
		prov{id: "openai", dialect: dOpenAI, base: vision.BaseURL(), models: []string{"gpt-5"}})
	image := `{"model":"mixed","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`
	r := g.do("POST", "/v1/chat/completions", image, nil)
	if r.Status != 200 {
		t.Fatalf("image request: %d %s", r.Status, r.Body)
	}
	if text.Hits() != 0 || vision.Hits() != 1 {
		t.Fatalf("hits text-only=%d vision=%d, want 0 and 1", text.Hits(), vision.Hits())
	}
	row := onlyRow(t, g)
	if !strings.Contains(row.Route, "does not read images") {
		t.Errorf("route notes do not say why the first target was skipped: %s", row.Route)
	}
	r = g.do("POST", "/v1/chat/completions", `{"model":"mixed","messages":[{"role":"user","content":"hi"}]}`, nil)
	if r.Status != 200 || text.Hits() != 1 {
		t.Fatalf("text request: %d, text-only hits %d", r.Status, text.Hits())
	}
	// Directly to the text-only model: a clear 400 in the client's dialect.
	r = g.do("POST", "/v1/chat/completions", strings.Replace(image, `"mixed"`, `"deepseek/deepseek-chat"`, 1), nil)
	if r.Status != 400 || !strings.Contains(string(r.Body), "does not read images") {
		t.Fatalf("direct image request to a text-only model: %d %s", r.Status, r.Body)
	}
}

// TestReasoningModelsGetNoSampling: OpenAI's reasoning models (catalog
// flag) refuse temperature/top_p; both a pass-through Chat request and a
// translated Anthropic one reach gpt-5 without them, while a model that
// takes them (DeepSeek Chat) still gets the client's temperature.
func TestReasoningModelsGetNoSampling(t *testing.T) {
	oa, ds := newUpstream(t, dOpenAI), newUpstream(t, dOpenAI)
	g := startGateway(t, gwOpts{},
		prov{id: "openai", dialect: dOpenAI, base: oa.BaseURL(), models: []string{"gpt-5"}},
		prov{id: "deepseek", dialect: dOpenAI, base: ds.BaseURL(), models: []string{"deepseek-chat"}})
	chat := `{"model":"openai/gpt-5","temperature":0.2,"top_p":0.9,"presence_penalty":0.1,"messages":[{"role":"user","content":"hi"}]}`
	if r := g.do("POST", "/v1/chat/completions", chat, nil); r.Status != 200 {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	msgs := `{"model":"openai/gpt-5","max_tokens":50,"temperature":0.2,"messages":[{"role":"user","content":"hi"}]}`
	if r := g.do("POST", "/v1/messages", msgs, map[string]string{"anthropic-version": "2023-06-01"}); r.Status != 200 {
		t.Fatalf("messages: %d %s", r.Status, r.Body)
	}
	for _, rec := range oa.Requests() {
		for _, k := range []string{"temperature", "top_p", "presence_penalty"} {
			if _, ok := rec.JSON()[k]; ok {
				t.Errorf("gpt-5 received %s: %s", k, rec.Body)
			}
		}
	}
	if r := g.do("POST", "/v1/chat/completions", strings.Replace(chat, "openai/gpt-5", "deepseek/deepseek-chat", 1), nil); r.Status != 200 {
		t.Fatalf("deepseek: %d", r.Status)
	}
	if got := ds.Requests()[0].JSON()["temperature"]; got != 0.2 {
		t.Errorf("deepseek-chat temperature = %v, want the client's 0.2", got)
	}
}
