package provider

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/dialect"
)

// The providers the product promises out of the box.
var requiredProviders = map[string]dialect.Name{
	"openai": dialect.OpenAIChat, "anthropic": dialect.Anthropic, "gemini": dialect.Gemini,
	"openrouter": dialect.OpenAIChat, "deepseek": dialect.OpenAIChat, "groq": dialect.OpenAIChat,
	"xai": dialect.OpenAIChat, "mistral": dialect.OpenAIChat, "nvidia": dialect.OpenAIChat,
	"together": dialect.OpenAIChat, "fireworks": dialect.OpenAIChat, "cerebras": dialect.OpenAIChat,
	"perplexity": dialect.OpenAIChat, "glm": dialect.Anthropic, "minimax": dialect.Anthropic,
	"kimi": dialect.Anthropic, "ollama": dialect.OpenAIChat, "lmstudio": dialect.OpenAIChat,
}

func TestCatalogEntriesAreValid(t *testing.T) {
	entries := All()
	if len(entries) < len(requiredProviders) {
		t.Fatalf("catalog has %d entries, want at least %d", len(entries), len(requiredProviders))
	}
	if err := validateCatalog(entries); err != nil {
		t.Fatal(err)
	}
	ids, prefixes := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		t.Run(e.ID, func(t *testing.T) {
			if ids[e.ID] || prefixes[e.Prefix] {
				t.Errorf("id %q or prefix %q is not unique", e.ID, e.Prefix)
			}
			ids[e.ID], prefixes[e.Prefix] = true, true
			checkEntryConventions(t, e)
			checkModels(t, e)
		})
	}
	for id, d := range requiredProviders {
		e, ok := Lookup(id)
		if !ok {
			t.Errorf("required provider %q missing", id)
			continue
		}
		if e.Dialect != d {
			t.Errorf("%s: dialect %s, want %s", id, e.Dialect, d)
		}
	}
}

func checkEntryConventions(t *testing.T, e Entry) {
	t.Helper()
	u, err := url.Parse(e.BaseURL)
	if err != nil {
		t.Fatalf("base_url: %v", err)
	}
	local := u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost"
	switch {
	case e.Local && !local:
		t.Errorf("local provider at non-loopback %s", e.BaseURL)
	case !e.Local && u.Scheme != "https":
		t.Errorf("remote provider must use https: %s", e.BaseURL)
	case e.Local && (e.Auth != AuthNone || e.Tier != tierLocal):
		t.Errorf("local provider should have auth none and tier local, got %s/%s", e.Auth, e.Tier)
	}
	for _, suffix := range []string{"/chat/completions", "/messages", "/models", "/responses"} {
		if strings.HasSuffix(e.BaseURL, suffix) {
			t.Errorf("base_url %s includes the endpoint %s", e.BaseURL, suffix)
		}
	}
	if !versioned(e.Dialect) && strings.Contains(u.Path, "/v1") {
		t.Errorf("%s base URLs are roots, got %s", e.Dialect, e.BaseURL)
	}
	if e.Dialect == dialect.Anthropic && e.Headers["anthropic-version"] != anthropicVersion {
		t.Errorf("anthropic-dialect provider without anthropic-version header")
	}
	if d, err := url.Parse(e.Docs); err != nil || d.Scheme != "https" {
		t.Errorf("docs %q is not an https URL", e.Docs)
	}
	// Media models (images, speech…) come on top of the well-known text ones.
	text := 0
	for _, m := range e.Models {
		if c := e.Caps(m); slices.Contains(c, CapChat) || slices.Contains(c, CapEmbedding) {
			text++
		}
	}
	if len(e.Models) < 2 || text > 6 {
		t.Errorf("%d models (%d chat or embedding), want 2-6 well-known ones", len(e.Models), text)
	}
}

func checkModels(t *testing.T, e Entry) {
	t.Helper()
	for _, m := range e.Models {
		caps := e.Caps(m)
		textual := slices.Contains(caps, CapChat) || slices.Contains(caps, CapEmbedding)
		if m.Name == "" || textual && m.Context <= 0 {
			t.Errorf("model %s: needs a name and (chat, embedding) a context length", m.ID)
		}
		for _, c := range caps {
			if !e.Serves(m.ID, c) || !e.Supports(OpFor(c)) {
				t.Errorf("model %s: declares %s, which %s's API has no endpoint for", m.ID, c, e.ID)
			}
		}
		if m.InputPrice < 0 || m.OutputPrice < 0 || m.CachedPrice < 0 {
			t.Errorf("model %s: negative price", m.ID)
		}
		if m.CachedPrice > m.InputPrice {
			t.Errorf("model %s: cached input costs more than input", m.ID)
		}
		if m.Embedding && (m.OutputPrice != 0 || m.Reasoning) {
			t.Errorf("embedding model %s has an output price or reasoning", m.ID)
		}
		if m.MaxOutput > m.Context {
			t.Errorf("model %s: max_output %d > context %d", m.ID, m.MaxOutput, m.Context)
		}
		if e.Local && (m.InputPrice != 0 || m.OutputPrice != 0) {
			t.Errorf("local model %s has a price", m.ID)
		}
	}
}

func TestCatalogHasEmbeddingModels(t *testing.T) {
	for id, want := range map[string][]string{
		"openai":  {"text-embedding-3-small", "text-embedding-3-large"},
		"gemini":  {"gemini-embedding-001", "text-embedding-004"},
		"mistral": {"mistral-embed"},
	} {
		e, _ := Lookup(id)
		for _, m := range want {
			if got, ok := e.Model(m); !ok || !got.Embedding {
				t.Errorf("%s: embedding model %s missing or not marked embedding", id, m)
			}
		}
	}
}

func TestCatalogBaseURLs(t *testing.T) {
	for id, want := range map[string]string{
		"openai":    "https://api.openai.com/v1",
		"anthropic": "https://api.anthropic.com",
		"gemini":    "https://generativelanguage.googleapis.com",
		"glm":       "https://api.z.ai/api/anthropic",
		"minimax":   "https://api.minimax.io/anthropic",
		"kimi":      "https://api.kimi.com/coding",
		"ollama":    "http://127.0.0.1:11434/v1",
		"lmstudio":  "http://127.0.0.1:1234/v1",
	} {
		if e, _ := Lookup(id); e.BaseURL != want {
			t.Errorf("%s base_url = %q, want %q", id, e.BaseURL, want)
		}
	}
	a, _ := Lookup("anthropic")
	g, _ := Lookup("gemini")
	if a.Auth != AuthXAPIKey || g.Auth != AuthGoogKey {
		t.Errorf("auth styles: anthropic %s, gemini %s", a.Auth, g.Auth)
	}
}

func TestValidatorRejectsBadEntries(t *testing.T) {
	good, _ := Lookup("openai")
	cases := map[string]func(*Entry){
		"bad dialect":     func(e *Entry) { e.Dialect = "soap" },
		"bad auth":        func(e *Entry) { e.Auth = "basic" },
		"bad tier":        func(e *Entry) { e.Tier = "gold" },
		"bad prefix":      func(e *Entry) { e.Prefix = "Open AI" },
		"http remote":     func(e *Entry) { e.BaseURL = "http://api.openai.com/v1" },
		"trailing slash":  func(e *Entry) { e.BaseURL += "/" },
		"query":           func(e *Entry) { e.BaseURL += "?x=1" },
		"relative":        func(e *Entry) { e.BaseURL = "/v1" },
		"negative price":  func(e *Entry) { e.Models[0].InputPrice = -1 },
		"duplicate model": func(e *Entry) { e.Models = append(e.Models, e.Models[0]) },
	}
	for name, mutate := range cases {
		e := good.clone()
		mutate(&e)
		if err := e.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := validateCatalog([]Entry{good, good}); err == nil {
		t.Error("duplicate ids accepted")
	}
	if _, err := parseCatalog([]byte("- id: x\n  basee_url: https://x\n")); err == nil {
		t.Error("unknown YAML key accepted")
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	e, _ := Lookup("anthropic")
	e.Headers["anthropic-version"] = "mutated"
	e.Models[0].ID = "mutated"
	again, _ := Lookup("anthropic")
	if again.Headers["anthropic-version"] != anthropicVersion || again.Models[0].ID == "mutated" {
		t.Fatal("Lookup exposed the shared catalog")
	}
	if p, ok := ByPrefix("ds"); !ok || p.ID != "deepseek" {
		t.Errorf("ByPrefix(ds) = %q, %v", p.ID, ok)
	}
	if _, ok := ByPrefix("deepseekx"); ok {
		t.Error("ByPrefix found an unknown prefix")
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found an unknown id")
	}
}

func TestFromConfig(t *testing.T) {
	tests := []struct {
		name  string
		pc    config.ProviderConfig
		check func(t *testing.T, e Entry)
	}{
		{"catalog as is", config.ProviderConfig{ID: "groq"}, func(t *testing.T, e Entry) {
			if e.BaseURL != "https://api.groq.com/openai/v1" || e.Prefix != "groq" || len(e.Models) == 0 {
				t.Errorf("%+v", e)
			}
		}},
		{"catalog overrides", config.ProviderConfig{ID: "openai", Prefix: "work", BaseURL: "https://proxy.example.com/v1/",
			Headers: map[string]string{"OpenAI-Organization": "org-1"}, Models: []string{"gpt-4.1", "my-finetune"}},
			func(t *testing.T, e Entry) {
				if e.Prefix != "work" || e.BaseURL != "https://proxy.example.com/v1" || e.Headers["OpenAI-Organization"] != "org-1" {
					t.Errorf("%+v", e)
				}
				if len(e.Models) != 2 || e.Models[0].Context != 1047576 || e.Models[1].ID != "my-finetune" {
					t.Errorf("models %+v", e.Models)
				}
			}},
		{"header override is case-insensitive", config.ProviderConfig{ID: "anthropic", Headers: map[string]string{"Anthropic-Version": "2024-01-01"}},
			func(t *testing.T, e Entry) {
				if len(e.Headers) != 1 || e.Headers["Anthropic-Version"] != "2024-01-01" {
					t.Errorf("headers %v", e.Headers)
				}
			}},
		{"custom anthropic-compatible", config.ProviderConfig{ID: "corp", Type: "anthropic-compatible", BaseURL: "https://llm.corp.example/v1/messages"},
			func(t *testing.T, e Entry) {
				if e.Dialect != dialect.Anthropic || e.Auth != AuthXAPIKey || e.BaseURL != "https://llm.corp.example" ||
					e.Prefix != "corp" || e.Headers["anthropic-version"] != anthropicVersion || e.Local {
					t.Errorf("%+v", e)
				}
			}},
		{"custom local", config.ProviderConfig{ID: "vllm", Type: "openai-compatible", BaseURL: "http://10.0.0.5:8000/v1/chat/completions", AllowLocal: true},
			func(t *testing.T, e Entry) {
				if !e.Local || e.Tier != tierLocal || e.BaseURL != "http://10.0.0.5:8000/v1" || e.Auth != AuthBearer {
					t.Errorf("%+v", e)
				}
			}},
		{"catalog switched to responses", config.ProviderConfig{ID: "openai", Type: "responses-compatible"},
			func(t *testing.T, e Entry) {
				if e.Dialect != dialect.Responses || e.BaseURL != "https://api.openai.com/v1" {
					t.Errorf("%+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := FromConfig(tt.pc)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, e)
		})
	}
}

func TestFromConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		pc   config.ProviderConfig
		want string
	}{
		"unknown id":             {config.ProviderConfig{ID: "acme"}, "needs type"},
		"type without base_url":  {config.ProviderConfig{ID: "acme", Type: "openai-compatible"}, "base_url"},
		"bad type":               {config.ProviderConfig{ID: "acme", Type: "soap", BaseURL: "https://x.example"}, "not one of"},
		"http remote":            {config.ProviderConfig{ID: "acme", Type: "openai-compatible", BaseURL: "http://x.example/v1"}, "clear text"},
		"dialect switch w/o url": {config.ProviderConfig{ID: "gemini", Type: "openai-compatible"}, "needs a base_url"},
		"bad prefix":             {config.ProviderConfig{ID: "openai", Prefix: "Bad Prefix"}, "prefix"},
	} {
		_, err := FromConfig(tc.pc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}

// Every media capability has catalog models, each with its wire shape.
func TestCatalogServesEveryCapability(t *testing.T) {
	want := map[Capability][]string{
		CapImage:         {"openai/dall-e-3", "openai/gpt-image-1", "gemini/gemini-2.5-flash-image"},
		CapSpeech:        {"openai/tts-1", "gemini/gemini-2.5-flash-preview-tts"},
		CapTranscription: {"openai/whisper-1", "groq/whisper-large-v3"},
		CapModeration:    {"openai/omni-moderation-latest"},
		CapRerank:        {"cohere/rerank-v3.5", "jina/jina-reranker-v2-base-multilingual", "voyage/rerank-2.5"},
	}
	for c, ids := range want {
		for _, id := range ids {
			pid, model, _ := strings.Cut(id, "/")
			e, ok := Lookup(pid)
			if !ok || !e.Serves(model, c) {
				t.Errorf("%s does not serve %s", id, c)
			}
			if e.Serves(model, CapChat) {
				t.Errorf("%s claims chat", id)
			}
		}
	}
	for _, tc := range []struct{ id, shape string }{{"cohere", RerankCohere}, {"jina", RerankJina}, {"voyage", RerankVoyage}} {
		if e, _ := Lookup(tc.id); e.Rerank != tc.shape || e.URL(OpRerank, "m", false) != e.BaseURL+"/rerank" {
			t.Errorf("%s: rerank shape %q at %s", tc.id, e.Rerank, e.URL(OpRerank, "m", false))
		}
	}
	g, _ := Lookup("gemini")
	if u := g.URL(OpSpeech, "gemini-2.5-flash-preview-tts", false); !strings.HasSuffix(u, "/v1beta/models/gemini-2.5-flash-preview-tts:generateContent") {
		t.Errorf("gemini speech URL %s", u)
	}
	if g.Supports(OpTranscribe) || g.Supports(OpRerank) {
		t.Error("gemini claims an endpoint it lacks")
	}
	a, _ := Lookup("anthropic")
	if a.Serves("claude-opus-4-5", CapImage) || a.Supports(OpImage) {
		t.Error("anthropic claims images")
	}
}

func TestCatalogRejectsUnknownCapability(t *testing.T) {
	_, err := parseCatalog([]byte(`- {id: x, name: X, prefix: x, base_url: "https://x.example/v1", dialect: openai, auth: bearer, tier: api-key,
    models: [{id: m, name: M, capabilities: [telepathy]}]}`))
	if err == nil || !strings.Contains(err.Error(), "telepathy") {
		t.Fatalf("err = %v", err)
	}
}
