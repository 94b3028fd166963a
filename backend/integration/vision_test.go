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
