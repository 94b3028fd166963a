package usage

import (
	"cmp"
	"regexp"
	"slices"

	"switchboard/backend/provider"
)

// Pricing: the one place a request's money is worked out. The catalog's
// list prices, overridden per provider and model by the user (dashboard or
// config file), turn a row's tokens into its cost at write time; requests
// through a subscription cost nothing but carry what the same tokens would
// have cost on the vendor's API (their value), so the plan's savings show.

// Tokens are a request's token counts in the hub's convention (package ir):
// In counts every prompt token, cache reads and writes included; Out every
// generated token, reasoning included.
type Tokens struct{ In, Out, CacheRead, CacheWrite, Reasoning int64 }

// IsZero reports a request that used no tokens (an error before any).
func (t Tokens) IsZero() bool { return t == Tokens{} }

// Price is a model's USD price per million tokens. Cached (prompt-cache
// reads) and CacheWrite 0 are billed as input, Reasoning 0 as output: the
// catalog only lists where a vendor differs.
type Price struct {
	In, Out, Cached, CacheWrite, Reasoning float64
	// Long prices every token of a request whose prompt is longer than
	// LongAbove tokens (nil: one price whatever the length).
	Long      *Price
	LongAbove int64
}

// Cost is what in input tokens (cached of them read from the prompt
// cache) and out output tokens cost at p.
func (p Price) Cost(in, cached, out int64) float64 {
	return p.CostOf(Tokens{In: in, CacheRead: cached, Out: out})
}

// CostOf is what t costs at p. Counts a vendor reported inconsistently (more
// cached than input) are clamped rather than priced negative.
func (p Price) CostOf(t Tokens) float64 {
	if p.Long != nil && t.In > p.LongAbove {
		p = *p.Long
	}
	read := min(max(t.CacheRead, 0), max(t.In, 0))
	write := min(max(t.CacheWrite, 0), max(t.In, 0)-read)
	plain := max(t.In-read-write, 0)
	reason := min(max(t.Reasoning, 0), max(t.Out, 0))
	out := max(t.Out-reason, 0)
	return (float64(plain)*p.In + float64(read)*or(p.Cached, p.In) + float64(write)*or(p.CacheWrite, p.In) +
		float64(out)*p.Out + float64(reason)*or(p.Reasoning, p.Out)) / 1e6
}

func or(v, fallback float64) float64 {
	if v == 0 {
		return fallback
	}
	return v
}

// Billing says how a provider charges.
type Billing string

const (
	BillingAPI  Billing = "api"          // per token: the row has a cost
	BillingPlan Billing = "subscription" // prepaid plan: cost 0, value = API equivalent
	BillingFree Billing = "free"         // local servers and free tiers
)

// Quote is what one request cost (and, through a plan, was worth).
type Quote struct {
	Billing    Billing
	Cost       float64
	CostKnown  bool // false: no price for the model (never guessed as 0)
	Value      float64
	ValueKnown bool // subscription rows: the API-equivalent price is known
}

// Override is a user's price for one provider's model (USD per million
// tokens; 0 for CacheRead/CacheWrite bills them as input, 0 for Reasoning
// as output). On a subscription model it sets the value, not a cost.
type Override struct {
	Provider   string  `json:"provider" yaml:"provider"`
	Model      string  `json:"model" yaml:"model"`
	Input      float64 `json:"input" yaml:"input"`
	Output     float64 `json:"output" yaml:"output"`
	CacheRead  float64 `json:"cacheRead" yaml:"cache_read"`
	CacheWrite float64 `json:"cacheWrite" yaml:"cache_write"`
	Reasoning  float64 `json:"reasoning" yaml:"reasoning"`
}

func (o Override) price() Price {
	return Price{In: o.Input, Out: o.Output, Cached: o.CacheRead, CacheWrite: o.CacheWrite, Reasoning: o.Reasoning}
}

// ModelPrice is one row of the price list the dashboard shows.
type ModelPrice struct {
	Provider   string  `json:"provider"`
	Model      string  `json:"model"`
	Billing    Billing `json:"billing"`
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cacheRead"`
	CacheWrite float64 `json:"cacheWrite"`
	Reasoning  float64 `json:"reasoning"`
	// Known is false for a model nobody priced (its requests are marked
	// unpriced) and for a subscription model without an API equivalent.
	Known bool `json:"known"`
	// Source: catalog, override (dashboard/API) or config (file).
	Source string `json:"source"`
	AsOf   string `json:"asOf,omitempty"` // the catalog's prices_as_of
	// ValuedAs names the API model a subscription model is valued at.
	ValuedAs string `json:"valuedAs,omitempty"`
	// Catalog holds the catalog's price under an override.
	Catalog *Price `json:"catalog,omitempty"`
	// LongContext is the price of prompts longer than its Above tokens
	// (catalog prices only: an override prices every length alike).
	LongContext *provider.LongContextPrice `json:"longContext,omitempty"`
}

type pm struct{ provider, model string }

type priced struct {
	price  Price
	source string
}

// Prices is an immutable snapshot of every known price: swap a new one in
// when overrides change.
type Prices struct {
	catalog   map[pm]Price
	asOf      map[string]string // provider → prices_as_of
	tier      map[string]string // provider → catalog tier
	equiv     map[pm]pm         // subscription model → API model
	overrides map[pm]priced
}

// NewPrices builds the snapshot from the catalog and overrides (later
// overrides of the same model win: pass stored ones before the config
// file's).
func NewPrices(overrides map[string][]Override) *Prices {
	p := &Prices{catalog: map[pm]Price{}, asOf: map[string]string{}, tier: map[string]string{},
		equiv: map[pm]pm{}, overrides: map[pm]priced{}}
	for _, e := range provider.All() {
		p.tier[e.ID] = e.Tier
		p.asOf[e.ID] = e.PricesAsOf
		for _, m := range e.Models {
			if m.InputPrice+m.OutputPrice > 0 {
				pr := Price{In: m.InputPrice, Out: m.OutputPrice, Cached: m.CachedPrice,
					CacheWrite: m.CacheWritePrice, Reasoning: m.ReasoningPrice}
				if l := m.LongContext; l != nil {
					pr.Long, pr.LongAbove = &Price{In: l.InputPrice, Out: l.OutputPrice, Cached: l.CachedPrice,
						CacheWrite: l.CacheWritePrice}, l.Above
				}
				p.catalog[pm{e.ID, m.ID}] = pr
			}
			if eq := cmp.Or(m.APIEquivalent, e.APIEquivalent); eq != "" && e.Tier == "subscription" {
				p.equiv[pm{e.ID, m.ID}] = pm{eq, cmp.Or(m.APIModel, m.ID)}
			}
		}
	}
	for _, src := range []string{"override", "config"} {
		for _, o := range overrides[src] {
			p.overrides[pm{o.Provider, o.Model}] = priced{o.price(), src}
		}
	}
	return p
}

var catalogTable = NewPrices(nil)

// CatalogPrices is the snapshot without overrides.
func CatalogPrices() *Prices { return catalogTable }

// CatalogPrice prices from the built-in provider catalog.
func CatalogPrice(providerID, model string) (Price, bool) {
	return catalogTable.price(providerID, model)
}

// dated matches a dated snapshot suffix (gpt-5-2025-08-07,
// claude-sonnet-4-5-20250929): the snapshot is priced like its model.
var dated = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8})$`)

// price is the effective price of a model: the user's override, else the
// catalog's (also under the model's undated name).
func (p *Prices) price(providerID, model string) (Price, bool) {
	if o, ok := p.overrides[pm{providerID, model}]; ok {
		return o.price, true
	}
	if c, ok := p.catalog[pm{providerID, model}]; ok {
		return c, true
	}
	if n := len(model); n > 9 && model[n-1] >= '0' && model[n-1] <= '9' { // the regexp only when it may match
		if loc := dated.FindStringIndex(model); loc != nil {
			return p.price(providerID, model[:loc[0]])
		}
	}
	return Price{}, false
}

// billing is how a provider charges: a subscription stays one whatever
// its prices; local servers and free tiers cost nothing unless the user
// priced the model; anything else (custom providers included) per token.
func (p *Prices) billing(providerID, model string) Billing {
	switch p.tier[providerID] {
	case "subscription":
		return BillingPlan
	case "local", "free":
		if _, ok := p.overrides[pm{providerID, model}]; !ok {
			return BillingFree
		}
	}
	return BillingAPI
}

// value is a subscription model's price per token on the API: the user's
// override, else its API equivalent's effective price, else its own list
// price (GLM's plan sells the models it also sells per token).
func (p *Prices) value(providerID, model string) (Price, string, bool) {
	if o, ok := p.overrides[pm{providerID, model}]; ok {
		return o.price, "", true
	}
	if eq, ok := p.equiv[pm{providerID, model}]; ok {
		if pr, ok := p.price(eq.provider, eq.model); ok {
			return pr, eq.provider + "/" + eq.model, true
		}
	}
	if c, ok := p.catalog[pm{providerID, model}]; ok {
		return c, "", true
	}
	return Price{}, "", false
}

// RoutingPrice is what a provider's model costs per million tokens (input
// plus output) as its requests are billed: 0 for a subscription or a free
// or local model, else the override or catalog price; known is false when
// nobody priced it. The cost-optimized strategy orders targets by it.
func (p *Prices) RoutingPrice(providerID, model string) (perMTok float64, known bool) {
	if b := p.billing(providerID, model); b == BillingPlan || b == BillingFree {
		return 0, true
	}
	pr, ok := p.price(providerID, model)
	return pr.In + pr.Out, ok
}

// Quote prices t on a provider's model.
func (p *Prices) Quote(providerID, model string, t Tokens) Quote {
	q := Quote{Billing: p.billing(providerID, model)}
	switch q.Billing {
	case BillingFree:
		q.CostKnown = true
	case BillingPlan:
		q.CostKnown = true
		if t.IsZero() {
			q.ValueKnown = true
		} else if pr, _, ok := p.value(providerID, model); ok {
			q.Value, q.ValueKnown = pr.CostOf(t), true
		}
	default:
		if t.IsZero() {
			q.CostKnown = true // nothing used, nothing billed, priced or not
		} else if pr, ok := p.price(providerID, model); ok {
			q.Cost, q.CostKnown = pr.CostOf(t), true
		}
	}
	return q
}

// List is every catalog model and every override, with its effective
// price, sorted by provider and model.
func (p *Prices) List() []ModelPrice {
	var out []ModelPrice
	seen := map[pm]bool{}
	add := func(k pm) {
		if seen[k] {
			return
		}
		seen[k] = true
		mp := ModelPrice{Provider: k.provider, Model: k.model, Billing: p.billing(k.provider, k.model),
			AsOf: p.asOf[k.provider], Source: "catalog"}
		var pr Price
		if mp.Billing == BillingPlan {
			pr, mp.ValuedAs, mp.Known = p.value(k.provider, k.model)
		} else {
			pr, mp.Known = p.price(k.provider, k.model)
			if mp.Billing == BillingFree {
				mp.Known = true
			}
		}
		if o, ok := p.overrides[k]; ok {
			mp.Source = o.source
			if c, ok := p.catalog[k]; ok {
				mp.Catalog = &c
			}
		}
		mp.Input, mp.Output, mp.CacheRead, mp.CacheWrite, mp.Reasoning = pr.In, pr.Out, pr.Cached, pr.CacheWrite, pr.Reasoning
		if l := pr.Long; l != nil {
			mp.LongContext = &provider.LongContextPrice{Above: pr.LongAbove, InputPrice: l.In, OutputPrice: l.Out,
				CachedPrice: l.Cached, CacheWritePrice: l.CacheWrite}
		}
		out = append(out, mp)
	}
	for _, e := range provider.All() {
		for _, m := range e.Models {
			add(pm{e.ID, m.ID})
		}
	}
	for k := range p.overrides {
		add(k)
	}
	slices.SortStableFunc(out, func(a, b ModelPrice) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model))
	})
	return out
}

// priceRow fills a row's billing, cost and value from its tokens.
func (p *Prices) priceRow(w *Row) {
	q := p.Quote(w.Provider, w.UpstreamModel, w.tokens())
	w.Billing, w.CostUSD, w.CostKnown, w.ValueUSD, w.ValueKnown = string(q.Billing), q.Cost, q.CostKnown, q.Value, q.ValueKnown
	if w.UnitKind != "" { // a media request: billed per unit (images, seconds…) at the catalog's unit price
		w.CostUSD, w.CostKnown = w.UnitsCostUSD, true
	}
}

func (w *Row) tokens() Tokens {
	return Tokens{In: int64(w.TokensIn), Out: int64(w.TokensOut), CacheRead: int64(w.TokensCached),
		CacheWrite: int64(w.TokensCacheWrite), Reasoning: int64(w.TokensReasoning)}
}
