package provider

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/backend/config"
	"switchboard/backend/dialect"
)

// AuthStyle is how an upstream wants its API key.
type AuthStyle string

const (
	AuthBearer  AuthStyle = "bearer"         // Authorization: Bearer <key>
	AuthXAPIKey AuthStyle = "x-api-key"      // x-api-key: <key> (Anthropic)
	AuthGoogKey AuthStyle = "x-goog-api-key" // x-goog-api-key: <key> (Gemini)
	AuthNone    AuthStyle = "none"           // local servers
	// AuthOAuth is a subscription sign-in: Authorization: Bearer <access
	// token>, the token coming from the account's Credential.
	AuthOAuth AuthStyle = "oauth"
)

const (
	tierLocal  = "local"
	tierAPIKey = "api-key"
	// anthropicVersion is the API version header every Anthropic-dialect
	// upstream requires.
	anthropicVersion = "2023-06-01"
)

// Tiers a provider can be in; routing strategies use them to prefer
// prepaid or cheap capacity.
var tiers = []string{"subscription", "api-key", "cheap", "free", "local"}

// LongContextPrice is a model's price above a prompt length (USD per
// million tokens; 0 for CachedPrice/CacheWritePrice bills them as input).
type LongContextPrice struct {
	Above           int64   `yaml:"above" json:"above"` // prompt tokens
	InputPrice      float64 `yaml:"input_price" json:"input"`
	OutputPrice     float64 `yaml:"output_price" json:"output"`
	CachedPrice     float64 `yaml:"cached_price" json:"cacheRead"`
	CacheWritePrice float64 `yaml:"cache_write_price" json:"cacheWrite"`
}

// Model is one model a provider serves. Prices are USD per million tokens.
type Model struct {
	ID          string  `yaml:"id"`
	Name        string  `yaml:"name"`
	Context     int     `yaml:"context"`
	MaxOutput   int     `yaml:"max_output"`
	InputPrice  float64 `yaml:"input_price"`
	OutputPrice float64 `yaml:"output_price"`
	CachedPrice float64 `yaml:"cached_price"` // prompt-cache reads (0: billed as input)
	// CacheWritePrice is what writing the prompt cache costs per million
	// tokens (0: billed as input); ReasoningPrice is reasoning output's
	// (0: billed as output).
	CacheWritePrice float64 `yaml:"cache_write_price"`
	ReasoningPrice  float64 `yaml:"reasoning_price"`
	// LongContext is the price of a request whose prompt is longer than
	// Above tokens where the vendor charges more for one (Gemini Pro,
	// Claude's 1M context): every token of it is billed at these prices.
	LongContext *LongContextPrice `yaml:"long_context"`
	// APIEquivalent and APIModel name the API model a subscription model is
	// valued at when they differ from the entry's (see Entry.APIEquivalent).
	APIEquivalent string `yaml:"api_equivalent"`
	APIModel      string `yaml:"api_model"`
	Embedding     bool   `yaml:"embedding"`
	Reasoning     bool   `yaml:"reasoning"`
	Vision        bool   `yaml:"vision"`
	// Dialect is the API the model is served on when it is not the entry's
	// ("" = the entry's): Copilot serves its Codex models on /responses
	// only. Routing reaches such a model with the entry switched to this
	// dialect, same base URL, accounts and quirks.
	Dialect dialect.Name `yaml:"dialect"`
	// Capabilities are what the model serves (see Entry.Caps for the
	// default); Unit overrides the capability's billing unit and UnitPrice
	// is USD per unit (per image, character, audio second, search unit;
	// per token when Unit is tokens).
	Capabilities []Capability `yaml:"capabilities"`
	Unit         Unit         `yaml:"unit"`
	UnitPrice    float64      `yaml:"unit_price"`
	cataloged    bool         // from catalog.yaml (see Judged)
}

// Entry describes one upstream provider: where it lives, which dialect it
// speaks, how it authenticates and what it serves.
type Entry struct {
	ID         string            `yaml:"id"`
	Name       string            `yaml:"name"`
	Prefix     string            `yaml:"prefix"`
	BaseURL    string            `yaml:"base_url"`
	Dialect    dialect.Name      `yaml:"dialect"`
	Auth       AuthStyle         `yaml:"auth"`
	Headers    map[string]string `yaml:"headers"` // sent on every request
	Tier       string            `yaml:"tier"`
	Local      bool              `yaml:"local"` // a server on this machine: loopback addresses allowed
	AllowLocal bool              `yaml:"-"`     // the operator's allow_local: every private address allowed
	Models     []Model           `yaml:"models"`
	ListModels bool              `yaml:"list_models"` // upstream has a models endpoint
	Docs       string            `yaml:"docs"`        // where users get a key
	// Capabilities are what the entry's models serve when a model declares
	// none (custom providers declare them for all their models).
	Capabilities []Capability `yaml:"capabilities"`
	// Rerank names the wire shape of the entry's /rerank (RerankJina when
	// empty).
	Rerank string `yaml:"rerank"`

	// PricesAsOf is the date (YYYY-MM-DD) the models' prices were taken.
	PricesAsOf string `yaml:"prices_as_of"`
	// APIEquivalent is the API provider whose prices value requests made
	// through this subscription (the same model id there, or Model.APIModel).
	APIEquivalent string `yaml:"api_equivalent"`

	// Sign-in providers (auth: oauth). SignIn names the vendor's sign-in
	// (oauth.Lookup); RefreshLead is how long before expiry the access token
	// is renewed; Quirks names what the upstream requires of sign-in traffic
	// beyond the token (see subscription.go); RiskNote is shown where the
	// user connects.
	SignIn      string        `yaml:"sign_in"`
	RefreshLead time.Duration `yaml:"refresh_lead"`
	Quirks      string        `yaml:"quirks"`
	RiskNote    string        `yaml:"risk_note"`
}

// Model returns the entry's model with the given id.
func (e Entry) Model(id string) (Model, bool) {
	for _, m := range e.Models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// priced reports whether any model of e has a price.
func (e Entry) priced() bool {
	for _, m := range e.Models {
		if m.InputPrice+m.OutputPrice > 0 {
			return true
		}
	}
	return false
}

// clone deep-copies e so callers can never mutate the shared catalog.
func (e Entry) clone() Entry {
	e.Headers = maps.Clone(e.Headers)
	e.Models = slices.Clone(e.Models)
	e.Capabilities = slices.Clone(e.Capabilities)
	return e
}

//go:embed catalog.yaml
var catalogYAML []byte

var (
	catalog  []Entry
	byID     map[string]int
	byPrefix map[string]int
)

// The catalog is compiled into the binary, so a broken entry is a build
// defect: fail at start-up (and in catalog_test.go) rather than at the first
// request that needs it.
func init() {
	entries, err := parseCatalog(catalogYAML)
	if err != nil {
		panic(err)
	}
	catalog = entries
	byID = make(map[string]int, len(entries))
	byPrefix = make(map[string]int, len(entries))
	for i, e := range entries {
		byID[e.ID] = i
		byPrefix[e.Prefix] = i
	}
}

// parseCatalog decodes and validates the catalog, rejecting unknown keys so
// a typo in the YAML cannot silently drop a field.
func parseCatalog(data []byte) ([]Entry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var entries []Entry
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("provider: catalog.yaml: %w", err)
	}
	if err := validateCatalog(entries); err != nil {
		return nil, fmt.Errorf("provider: catalog.yaml: %w", err)
	}
	for i := range entries {
		for j := range entries[i].Models {
			entries[i].Models[j].cataloged = true
		}
	}
	return entries, nil
}

// Lookup finds a catalog provider by id.
func Lookup(id string) (Entry, bool) {
	i, ok := byID[id]
	if !ok {
		return Entry{}, false
	}
	return catalog[i].clone(), true
}

// ByPrefix finds a catalog provider by its model prefix ("ds" for deepseek).
// Routing that also accepts the id as a prefix calls Lookup as well.
func ByPrefix(prefix string) (Entry, bool) {
	i, ok := byPrefix[prefix]
	if !ok {
		return Entry{}, false
	}
	return catalog[i].clone(), true
}

// All returns a copy of every catalog entry, in catalog order.
func All() []Entry {
	out := make([]Entry, len(catalog))
	for i, e := range catalog {
		out[i] = e.clone()
	}
	return out
}

// Same rule as config's prefixRe, so a catalog prefix is always one an
// operator could also have written.
var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// validateCatalog checks the whole catalog and reports every problem.
func validateCatalog(entries []Entry) error {
	var errs []error
	ids, prefixes := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		if err := e.validate(); err != nil {
			errs = append(errs, err)
		}
		if ids[e.ID] {
			errs = append(errs, fmt.Errorf("duplicate id %q", e.ID))
		}
		if prefixes[e.Prefix] {
			errs = append(errs, fmt.Errorf("duplicate prefix %q", e.Prefix))
		}
		ids[e.ID], prefixes[e.Prefix] = true, true
	}
	errs = append(errs, validateEquivalents(entries)...)
	return errors.Join(errs...)
}

// validateEquivalents checks that every api_equivalent names a priced API
// model: a typo would silently value a plan's requests as unknown.
func validateEquivalents(entries []Entry) []error {
	find := func(id string) *Entry {
		for i := range entries {
			if entries[i].ID == id {
				return &entries[i]
			}
		}
		return nil
	}
	var errs []error
	for _, e := range entries {
		if e.APIEquivalent != "" {
			if eq := find(e.APIEquivalent); eq == nil || eq.Tier == "subscription" {
				errs = append(errs, fmt.Errorf("provider %q: api_equivalent %q is not an API provider of the catalog", e.ID, e.APIEquivalent))
			}
		}
		for _, m := range e.Models {
			if m.APIEquivalent == "" && m.APIModel == "" {
				continue
			}
			pid, mid := cmp.Or(m.APIEquivalent, e.APIEquivalent), cmp.Or(m.APIModel, m.ID)
			eq := find(pid)
			if eq == nil {
				errs = append(errs, fmt.Errorf("provider %q: model %q: api_equivalent %q is not in the catalog", e.ID, m.ID, pid))
				continue
			}
			if am, ok := eq.Model(mid); !ok || am.InputPrice+am.OutputPrice == 0 {
				errs = append(errs, fmt.Errorf("provider %q: model %q: %s has no priced model %q", e.ID, m.ID, pid, mid))
			}
		}
	}
	return errs
}

// validate checks one entry (catalog or custom) and reports every problem.
func (e Entry) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("provider %q: "+format, append([]any{e.ID}, args...)...))
	}
	if !idRe.MatchString(e.ID) {
		bad("id must be lowercase letters, digits and '-'")
	}
	if !idRe.MatchString(e.Prefix) {
		bad("prefix %q must be lowercase letters, digits and '-'", e.Prefix)
	}
	if e.Name == "" {
		bad("name is empty")
	}
	if !knownDialect(e.Dialect) {
		bad("unknown dialect %q", e.Dialect)
	}
	switch e.Auth {
	case AuthBearer, AuthXAPIKey, AuthGoogKey, AuthNone:
		if e.SignIn != "" {
			bad("sign_in %q needs auth: oauth", e.SignIn)
		}
	case AuthOAuth:
		if e.SignIn == "" {
			bad("auth: oauth needs sign_in (the vendor's sign-in)")
		}
		if e.RefreshLead <= 0 {
			bad("auth: oauth needs a positive refresh_lead")
		}
	default:
		bad("unknown auth %q", e.Auth)
	}
	if e.Quirks != "" {
		if ds, ok := quirksDialect[e.Quirks]; !ok {
			bad("unknown quirks %q (known: %s)", e.Quirks, strings.Join(slices.Sorted(maps.Keys(quirksDialect)), ", "))
		} else if !slices.Contains(ds, e.Dialect) {
			bad("quirks %q are for the %s dialect, not %s", e.Quirks, joinDialects(ds), e.Dialect)
		}
	}
	if !slices.Contains(tiers, e.Tier) {
		bad("unknown tier %q", e.Tier)
	}
	if err := checkBaseURL(e.BaseURL, e.AllowLocal || (e.Local && config.LoopbackURL(e.BaseURL))); err != nil {
		bad("%v", err)
	}
	switch e.Rerank {
	case "", RerankJina, RerankCohere, RerankVoyage:
	default:
		bad("unknown rerank shape %q (known: jina, cohere, voyage)", e.Rerank)
	}
	if err := checkCaps(e.Capabilities); err != nil {
		bad("%v", err)
	}
	errs = append(errs, e.validateModels()...)
	if e.PricesAsOf != "" {
		if _, err := time.Parse(time.DateOnly, e.PricesAsOf); err != nil {
			bad("prices_as_of %q is not a YYYY-MM-DD date", e.PricesAsOf)
		}
	} else if e.priced() {
		bad("has prices but no prices_as_of (the date they were taken)")
	}
	return errors.Join(errs...)
}

func (e Entry) validateModels() []error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range e.Models {
		switch {
		case m.ID == "":
			errs = append(errs, fmt.Errorf("provider %q: a model has no id", e.ID))
		case seen[m.ID]:
			errs = append(errs, fmt.Errorf("provider %q: duplicate model %q", e.ID, m.ID))
		case m.InputPrice < 0 || m.OutputPrice < 0 || m.CachedPrice < 0 || m.CacheWritePrice < 0 || m.ReasoningPrice < 0:
			errs = append(errs, fmt.Errorf("provider %q: model %q has a negative price", e.ID, m.ID))
		case m.LongContext != nil && (m.LongContext.Above <= 0 || m.LongContext.InputPrice <= 0 || m.LongContext.OutputPrice <= 0 ||
			m.LongContext.CachedPrice < 0 || m.LongContext.CacheWritePrice < 0 || m.InputPrice+m.OutputPrice == 0):
			errs = append(errs, fmt.Errorf("provider %q: model %q: long_context needs above, input_price and output_price (and the model's own prices)", e.ID, m.ID))
		case m.Context < 0 || m.MaxOutput < 0:
			errs = append(errs, fmt.Errorf("provider %q: model %q has a negative token limit", e.ID, m.ID))
		case m.UnitPrice < 0:
			errs = append(errs, fmt.Errorf("provider %q: model %q has a negative unit_price", e.ID, m.ID))
		case checkCaps(m.Capabilities) != nil:
			errs = append(errs, fmt.Errorf("provider %q: model %q: %w", e.ID, m.ID, checkCaps(m.Capabilities)))
		case !knownUnit(m.Unit):
			errs = append(errs, fmt.Errorf("provider %q: model %q: unknown unit %q", e.ID, m.ID, m.Unit))
		case m.Dialect != "":
			if err := e.checkModelDialect(m); err != nil {
				errs = append(errs, fmt.Errorf("provider %q: model %q: %w", e.ID, m.ID, err))
			}
		}
		seen[m.ID] = true
	}
	return errs
}

// checkModelDialect accepts a model served on another API than its entry's
// only when that API lives under the same base URL (the versioned OpenAI
// dialects share one; Anthropic and Gemini bases are roots) and the entry's
// quirks are written for it too.
func (e Entry) checkModelDialect(m Model) error {
	switch {
	case !knownDialect(m.Dialect):
		return fmt.Errorf("unknown dialect %q", m.Dialect)
	case versioned(m.Dialect) != versioned(e.Dialect):
		return fmt.Errorf("dialect %s cannot share the %s base URL", m.Dialect, e.Dialect)
	case e.Quirks != "" && !slices.Contains(quirksDialect[e.Quirks], m.Dialect):
		return fmt.Errorf("quirks %q are not written for the %s dialect", e.Quirks, m.Dialect)
	}
	return nil
}

func checkCaps(cs []Capability) error {
	for _, c := range cs {
		if !slices.Contains(Capabilities, c) {
			return fmt.Errorf("unknown capability %q (known: %s)", c, capNames())
		}
	}
	return nil
}

func knownUnit(u Unit) bool {
	switch u {
	case UnitNone, UnitImages, UnitCharacters, UnitAudioSeconds, UnitSearchUnits, UnitTokens, UnitInputs:
		return true
	}
	return false
}

func joinDialects(ds []dialect.Name) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, " or ")
}

func knownDialect(d dialect.Name) bool {
	switch d {
	case dialect.OpenAIChat, dialect.Responses, dialect.Anthropic, dialect.Gemini, dialect.Kiro:
		return true
	}
	return false
}

// checkBaseURL accepts absolute http(s) URLs without query or fragment.
// Plain http is only for a local provider on loopback or an allow_local
// one: anywhere else the API key would cross the network in clear text.
func checkBaseURL(raw string, cleartextOK bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("base_url %q must be an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("base_url %q must not carry credentials, a query or a fragment", raw)
	}
	if strings.HasSuffix(raw, "/") {
		return fmt.Errorf("base_url %q must not end with '/'", raw)
	}
	if u.Scheme == "http" && !cleartextOK {
		return fmt.Errorf("base_url %q uses http:// and would send the API key in clear text; use https:// (or allow_local: true for a server on your own network)", raw)
	}
	return nil
}

// KeyOptional reports whether the provider can work without an API key: a
// local server from the catalog (Ollama, LM Studio…) or a custom provider
// the user declared (many self-hosted servers take none). Such a provider
// added without an account gets a keyless one, so it routes. A catalog
// vendor pointed at a local address (allow_local: a proxy or mirror of its
// API) still needs its key.
func (e Entry) KeyOptional() bool {
	if e.Auth == AuthOAuth {
		return false
	}
	if e.Auth == AuthNone || e.Tier == "local" {
		return true
	}
	_, cataloged := byID[e.ID]
	return !cataloged
}
