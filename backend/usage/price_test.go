package usage

import (
	"math"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
	"switchboard/backend/ir"
)

func tokensOf(u ir.Usage) Tokens {
	return Tokens{In: int64(u.InputTokens), Out: int64(u.OutputTokens), CacheRead: int64(u.CachedTokens),
		CacheWrite: int64(u.CacheCreationTokens), Reasoning: int64(u.ReasoningTokens)}
}

// Each vendor family's usage object, as its API sends it, read by the
// dialect's own usage reader (the one the gateway uses) and priced: cached
// and reasoning tokens are inside or beside the totals depending on the
// vendor, and each must be billed once at its own price.
func TestCostPerProviderFamily(t *testing.T) {
	gpt5 := Override{Provider: "openai", Model: "gpt-5", Input: 1.25, Output: 10, CacheRead: 0.125, Reasoning: 20}
	cases := []struct {
		name, provider, model, usage string
		read                         func(gjson.Result) ir.Usage
		overrides                    []Override
		want                         Quote
	}{
		{name: "openai chat: cached inside prompt, reasoning inside completion", provider: "openai", model: "gpt-5",
			usage: `{"prompt_tokens":1000000,"completion_tokens":200000,"prompt_tokens_details":{"cached_tokens":400000},"completion_tokens_details":{"reasoning_tokens":150000}}`,
			read:  openai.DecodeUsage,
			// 600k×1.25 + 400k×0.125 + 200k×10
			want: Quote{Billing: BillingAPI, Cost: 2.80, CostKnown: true}},
		{name: "openai chat: reasoning at its own price", provider: "openai", model: "gpt-5", overrides: []Override{gpt5},
			usage: `{"prompt_tokens":1000000,"completion_tokens":200000,"prompt_tokens_details":{"cached_tokens":400000},"completion_tokens_details":{"reasoning_tokens":150000}}`,
			read:  openai.DecodeUsage,
			// 600k×1.25 + 400k×0.125 + 50k×10 + 150k×20
			want: Quote{Billing: BillingAPI, Cost: 4.30, CostKnown: true}},
		{name: "deepseek: cache hits in its own field", provider: "deepseek", model: "deepseek-chat",
			usage: `{"prompt_tokens":1000000,"completion_tokens":100000,"prompt_cache_hit_tokens":500000,"prompt_cache_miss_tokens":500000}`,
			read:  openai.DecodeUsage,
			// 500k×0.56 + 500k×0.07 + 100k×1.68
			want: Quote{Billing: BillingAPI, Cost: 0.483, CostKnown: true}},
		{name: "responses: cached and reasoning details inside the totals", provider: "openai", model: "gpt-5",
			usage: `{"input_tokens":1000000,"output_tokens":200000,"input_tokens_details":{"cached_tokens":400000},"output_tokens_details":{"reasoning_tokens":150000},"total_tokens":1200000}`,
			read:  responses.DecodeUsage,
			want:  Quote{Billing: BillingAPI, Cost: 2.80, CostKnown: true}},
		{name: "anthropic: cache reads and writes beside input_tokens", provider: "anthropic", model: "claude-sonnet-4-5",
			usage: `{"input_tokens":10000,"cache_read_input_tokens":80000,"cache_creation_input_tokens":10000,"output_tokens":5000}`,
			read:  anthropic.DecodeUsage,
			// 10k×3 + 80k×0.30 + 10k×3.75 (write) + 5k×15
			want: Quote{Billing: BillingAPI, Cost: 0.1665, CostKnown: true}},
		{name: "anthropic: a prompt over 200k tokens at the 1M-context prices", provider: "anthropic", model: "claude-sonnet-4-5",
			usage: `{"input_tokens":100000,"cache_read_input_tokens":800000,"cache_creation_input_tokens":100000,"output_tokens":50000}`,
			read:  anthropic.DecodeUsage,
			// 100k×6 + 800k×0.60 + 100k×7.50 (write) + 50k×22.50
			want: Quote{Billing: BillingAPI, Cost: 2.955, CostKnown: true}},
		{name: "gemini 2.5 pro: 200k prompt tokens at the base price", provider: "gemini", model: "gemini-2.5-pro",
			usage: `{"promptTokenCount":200000,"candidatesTokenCount":10000,"totalTokenCount":210000}`,
			read:  gemini.ReadUsage,
			want:  Quote{Billing: BillingAPI, Cost: 0.35, CostKnown: true}}, // 200k×1.25 + 10k×10
		{name: "gemini 2.5 pro: one token more at the long-context price", provider: "gemini", model: "gemini-2.5-pro",
			usage: `{"promptTokenCount":200001,"candidatesTokenCount":10000,"totalTokenCount":210001}`,
			read:  gemini.ReadUsage,
			want:  Quote{Billing: BillingAPI, Cost: 0.6500025, CostKnown: true}}, // 200,001×2.5 + 10k×15
		{name: "gemini: cached inside prompt, thoughts beside candidates", provider: "gemini", model: "gemini-2.5-flash",
			usage: `{"promptTokenCount":1000000,"cachedContentTokenCount":400000,"candidatesTokenCount":100000,"thoughtsTokenCount":300000,"totalTokenCount":1400000}`,
			read:  gemini.ReadUsage,
			// 600k×0.30 + 400k×0.075 + (100k + 300k thoughts)×2.50
			want: Quote{Billing: BillingAPI, Cost: 1.21, CostKnown: true}},
		{name: "dated snapshot priced as its model", provider: "openai", model: "gpt-5-2025-08-07",
			usage: `{"prompt_tokens":1000000,"completion_tokens":0}`, read: openai.DecodeUsage,
			want: Quote{Billing: BillingAPI, Cost: 1.25, CostKnown: true}},
		{name: "claude plan: $0, valued at the Anthropic API", provider: "claude", model: "claude-sonnet-4-5",
			usage: `{"input_tokens":10000,"cache_read_input_tokens":80000,"cache_creation_input_tokens":10000,"output_tokens":5000}`,
			read:  anthropic.DecodeUsage,
			want:  Quote{Billing: BillingPlan, CostKnown: true, Value: 0.1665, ValueKnown: true}},
		{name: "codex plan: valued at the OpenAI model it maps to", provider: "codex", model: "gpt-5.1-codex",
			usage: `{"input_tokens":1000000,"output_tokens":200000,"input_tokens_details":{"cached_tokens":400000},"output_tokens_details":{"reasoning_tokens":150000}}`,
			read:  responses.DecodeUsage,
			want:  Quote{Billing: BillingPlan, CostKnown: true, Value: 2.80, ValueKnown: true}},
		{name: "gemini code assist plan: valued at the Gemini API", provider: "gemini-code-assist", model: "gemini-2.5-flash",
			usage: `{"promptTokenCount":1000000,"cachedContentTokenCount":400000,"candidatesTokenCount":100000,"thoughtsTokenCount":300000}`,
			read:  gemini.ReadUsage,
			want:  Quote{Billing: BillingPlan, CostKnown: true, Value: 1.21, ValueKnown: true}},
		{name: "glm plan: valued at its own list price", provider: "glm", model: "glm-4.6",
			usage: `{"input_tokens":1000000,"output_tokens":1000000}`, read: anthropic.DecodeUsage,
			want: Quote{Billing: BillingPlan, CostKnown: true, Value: 2.80, ValueKnown: true}},
		{name: "plan without an API equivalent: value unknown, not 0", provider: "kimi-coding", model: "kimi-for-coding",
			usage: `{"input_tokens":1000,"output_tokens":1000}`, read: anthropic.DecodeUsage,
			want: Quote{Billing: BillingPlan, CostKnown: true}},
		{name: "plan value follows an override of the API model", provider: "codex", model: "gpt-5", overrides: []Override{gpt5},
			usage: `{"input_tokens":1000000,"output_tokens":100000,"output_tokens_details":{"reasoning_tokens":100000}}`,
			read:  responses.DecodeUsage,
			want:  Quote{Billing: BillingPlan, CostKnown: true, Value: 1.25 + 2.0, ValueKnown: true}},
		{name: "custom provider: unknown price, not 0", provider: "my-llm", model: "m",
			usage: `{"prompt_tokens":10,"completion_tokens":5}`, read: openai.DecodeUsage,
			want: Quote{Billing: BillingAPI}},
		{name: "custom provider priced by an override", provider: "my-llm", model: "m",
			overrides: []Override{{Provider: "my-llm", Model: "m", Input: 2, Output: 4}},
			usage:     `{"prompt_tokens":1000000,"completion_tokens":500000}`, read: openai.DecodeUsage,
			want: Quote{Billing: BillingAPI, Cost: 4, CostKnown: true}},
		{name: "no tokens: nothing billed, priced or not", provider: "my-llm", model: "m",
			usage: `{}`, read: openai.DecodeUsage, want: Quote{Billing: BillingAPI, CostKnown: true}},
		{name: "local server: free", provider: "ollama", model: "anything",
			usage: `{"prompt_tokens":1000000,"completion_tokens":1000000}`, read: openai.DecodeUsage,
			want: Quote{Billing: BillingFree, CostKnown: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPrices(map[string][]Override{"override": tc.overrides})
			got := p.Quote(tc.provider, tc.model, tokensOf(tc.read(gjson.Parse(tc.usage))))
			if got.Billing != tc.want.Billing || got.CostKnown != tc.want.CostKnown || got.ValueKnown != tc.want.ValueKnown ||
				math.Abs(got.Cost-tc.want.Cost) > 1e-9 || math.Abs(got.Value-tc.want.Value) > 1e-9 {
				t.Fatalf("quote %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCostClampsInconsistentCounts(t *testing.T) {
	p := Price{In: 1, Out: 2, Cached: 0.5, CacheWrite: 1.5}
	// More cached than input, more reasoning than output: never negative.
	if c := p.CostOf(Tokens{In: 100, CacheRead: 500, Out: 10, Reasoning: 50}); c < 0 || math.Abs(c-(100*0.5+10*2)/1e6) > 1e-12 {
		t.Fatalf("cost %v", c)
	}
	if c := p.CostOf(Tokens{In: 100, CacheRead: 60, CacheWrite: 60}); math.Abs(c-(60*0.5+40*1.5)/1e6) > 1e-12 {
		t.Fatalf("cost %v", c)
	}
}

func TestPriceListShowsSourcesAndValues(t *testing.T) {
	p := NewPrices(map[string][]Override{
		"override": {{Provider: "openai", Model: "gpt-5", Input: 2, Output: 12}, {Provider: "my-llm", Model: "m", Input: 1, Output: 1}},
		"config":   {{Provider: "openai", Model: "gpt-5-mini", Input: 0.3, Output: 3}},
	})
	by := map[string]ModelPrice{}
	for _, m := range p.List() {
		by[m.Provider+"/"+m.Model] = m
	}
	if m := by["openai/gpt-5"]; m.Source != "override" || m.Input != 2 || m.Catalog == nil || m.Catalog.In != 1.25 || m.AsOf != "2026-11-26" {
		t.Fatalf("override %+v", m)
	}
	if m := by["openai/gpt-5-mini"]; m.Source != "config" || m.Input != 0.3 {
		t.Fatalf("config %+v", m)
	}
	if m := by["my-llm/m"]; m.Source != "override" || !m.Known || m.Billing != BillingAPI {
		t.Fatalf("custom %+v", m)
	}
	if m := by["codex/gpt-5.1-codex"]; m.Billing != BillingPlan || m.ValuedAs != "openai/gpt-5" || m.Input != 2 || !m.Known {
		t.Fatalf("plan %+v", m)
	}
	if m := by["kimi-coding/kimi-for-coding"]; m.Billing != BillingPlan || m.Known {
		t.Fatalf("plan without equivalent %+v", m)
	}
	if m := by["ollama/llama3.2"]; m.Billing != BillingFree || !m.Known {
		t.Fatalf("local %+v", m)
	}
}

// Record prices every row on the request's goroutine: a catalog model costs
// no allocation.
func TestQuoteDoesNotAllocate(t *testing.T) {
	p := CatalogPrices()
	w := &Row{Provider: "anthropic", UpstreamModel: "claude-sonnet-4-5", TokensIn: 1000, TokensCached: 500, TokensOut: 100}
	if n := testing.AllocsPerRun(100, func() { p.priceRow(w) }); n != 0 {
		t.Fatalf("pricing a row allocates %v times", n)
	}
	if !w.CostKnown || w.Billing != "api" {
		t.Fatalf("row %+v", w)
	}
}

// What routing's cost-optimized strategy sees: plans and local models as
// free, an override over the catalog, nothing for a model nobody priced.
func TestRoutingPrice(t *testing.T) {
	p := NewPrices(map[string][]Override{"override": {{Provider: "openai", Model: "gpt-5", Input: 0.5, Output: 1},
		{Provider: "ollama", Model: "llama3.2", Input: 0.1, Output: 0.1}}})
	cat, _ := CatalogPrice("anthropic", "claude-sonnet-4-5")
	for _, c := range []struct {
		provider, model string
		want            float64
		known           bool
	}{
		{"openai", "gpt-5", 1.5, true},                                      // override
		{"anthropic", "claude-sonnet-4-5", cat.In + cat.Out, true},          // catalog
		{"anthropic", "claude-sonnet-4-5-20250929", cat.In + cat.Out, true}, // dated snapshot
		{"claude", "claude-sonnet-4-5", 0, true},                            // subscription
		{"ollama", "qwen3", 0, true},                                        // local
		{"ollama", "llama3.2", 0.2, true},                                   // a local model the user priced
		{"my-llm", "m", 0, false},                                           // nobody priced it
	} {
		got, known := p.RoutingPrice(c.provider, c.model)
		if known != c.known || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s/%s: %v %v, want %v %v", c.provider, c.model, got, known, c.want, c.known)
		}
	}
}
