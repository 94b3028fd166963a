// Package route turns the model a client asked for into an ordered list of
// candidates (provider, account, upstream model) and decides, attempt by
// attempt, whether a failure moves on to the next candidate. It is the only
// retry loop on the request path; HTTP clients never retry by themselves.
package route

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
)

// Account is one credential of a provider, with its secret revealed in
// memory only.
type Account struct {
	ID            string
	Name          string
	ProviderID    string
	APIKey        string
	Priority      int
	MaxConcurrent int
	RPM           int
	Disabled      bool
	Source        string // config | store
	// Cred is set for sign-in (subscription) accounts: the token comes from
	// it at call time and APIKey is empty.
	Cred provider.Credential
}

// Usable reports whether routing may send to the account: enabled, and
// for a sign-in, not waiting for the user to sign in again.
func (a *Account) Usable() bool {
	return !a.Disabled && (a.Cred == nil || !a.Cred.NeedsSignIn())
}

// skipReason says why an unusable account is skipped.
func (a *Account) skipReason() Reason {
	if a.Disabled {
		return ReasonDisabled
	}
	return ReasonNeedsSignIn
}

// Provider is a configured upstream with its accounts.
type Provider struct {
	Entry    provider.Entry
	Accounts []*Account
	Disabled bool
	Source   string // config | store
	// AccountStrategy orders the accounts on every request ("": fill-first
	// for direct requests, the combo's own strategy inside a combo).
	AccountStrategy Strategy

	// variants reach the models served on another dialect (see dialects.go).
	variants map[dialect.Name]*Provider
}

// Usable reports whether the provider can take requests.
func (p *Provider) Usable() bool {
	if p.Disabled {
		return false
	}
	if p.Entry.Auth == provider.AuthNone {
		return true
	}
	for _, a := range p.Accounts {
		if a.Usable() {
			return true
		}
	}
	return false
}

// UnusableError says why no account of p can serve, and what to do (nil
// when p is usable).
func (p *Provider) UnusableError() *ir.Error {
	if p.Usable() {
		return nil
	}
	if p.Disabled {
		return &ir.Error{Kind: ir.KindNoAccount, Provider: p.Entry.ID, Message: fmt.Sprintf(
			"provider %q is paused or disabled: resume it from the tray, or remove `disabled: true` from its config entry", p.Entry.ID)}
	}
	for _, a := range p.Accounts {
		if !a.Disabled && a.Cred != nil && a.Cred.NeedsSignIn() {
			return &ir.Error{Kind: ir.KindAuth, Status: 401, Provider: p.Entry.ID, Message: fmt.Sprintf(
				"provider %q: the sign-in %s needs you to sign in again (Providers page or `switchboard login %s`)", p.Entry.ID, a.Name, p.Entry.ID)}
		}
	}
	what := "has no account"
	if len(p.Accounts) > 0 {
		what = "has no enabled account (all are disabled)"
	}
	fix := "add an account on the Providers page or with `switchboard providers add`"
	switch {
	case len(p.Accounts) > 0:
		fix = "enable one on the Providers page (a paused provider resumes from the tray)"
	case p.Entry.Auth == provider.AuthOAuth:
		fix = fmt.Sprintf("sign in under Subscriptions on the Providers page, or with `switchboard login %s`", p.Entry.ID)
	case p.Entry.KeyOptional():
		fix = "add a keyless account (Health page: Add keyless account) or an API key on the Providers page"
	}
	return &ir.Error{Kind: ir.KindNoAccount, Provider: p.Entry.ID, Message: fmt.Sprintf(
		"provider %q %s, so no request can go to it: %s", p.Entry.ID, what, fix)}
}

// Candidate is one way to serve a request.
type Candidate struct {
	Provider *Provider
	Account  *Account // nil for providers without auth
	Model    string   // the upstream's model id
}

// Label names the candidate in logs: provider/account/model.
func (c Candidate) Label() string {
	acct := "-"
	if c.Account != nil {
		acct = c.Account.Name
	}
	return c.Provider.Entry.ID + "/" + acct + "/" + c.Model
}

// Snapshot is an immutable view of everything routable. Changes build a new
// snapshot and swap it in (see Table).
type Snapshot struct {
	providers []*Provider          // in preference order
	byPrefix  map[string]*Provider // prefix and id
	aliases   map[string]string    // exact aliases
	wildcards []wildcard           // aliases ending in '*'
	combos    map[string]*Combo
}

type wildcard struct{ prefix, target string }

// NewSnapshot indexes providers (kept in the given order) and aliases.
func NewSnapshot(providers []*Provider, aliases map[string]string, combos ...Combo) *Snapshot {
	s := &Snapshot{providers: providers, byPrefix: map[string]*Provider{}, aliases: map[string]string{},
		combos: map[string]*Combo{}}
	for i := range combos {
		c := combos[i]
		if c.Strategy == "" {
			c.Strategy = Priority
		}
		s.combos[c.Name] = &c
	}
	for _, p := range providers {
		sortAccounts(p.Accounts)
		p.variants = dialectVariants(p)
		s.byPrefix[p.Entry.ID] = p
		if p.Entry.Prefix != "" {
			s.byPrefix[p.Entry.Prefix] = p
		}
	}
	for from, to := range aliases {
		if strings.HasSuffix(from, "*") {
			s.wildcards = append(s.wildcards, wildcard{strings.TrimSuffix(from, "*"), to})
			continue
		}
		s.aliases[from] = to
	}
	// Longest wildcard prefix wins, deterministically.
	sort.Slice(s.wildcards, func(i, j int) bool {
		if len(s.wildcards[i].prefix) != len(s.wildcards[j].prefix) {
			return len(s.wildcards[i].prefix) > len(s.wildcards[j].prefix)
		}
		return s.wildcards[i].prefix < s.wildcards[j].prefix
	})
	return s
}

func sortAccounts(as []*Account) {
	sort.SliceStable(as, func(i, j int) bool { return as[i].Priority > as[j].Priority })
}

// Providers lists the snapshot's providers in preference order.
func (s *Snapshot) Providers() []*Provider { return s.providers }

// Aliases returns the exact aliases.
func (s *Snapshot) Aliases() map[string]string { return s.aliases }

// Provider finds a provider by id or prefix.
func (s *Snapshot) Provider(idOrPrefix string) (*Provider, bool) {
	p, ok := s.byPrefix[idOrPrefix]
	return p, ok
}

// maxAliasDepth bounds alias chains (and catches cycles).
const maxAliasDepth = 8

// Resolve returns the candidates for a model string, in order:
//   - an alias (exact, then the longest matching `prefix*` wildcard, whose
//     target may end in `/*` to keep the requested name);
//   - `prefix/model`, where prefix is a provider's prefix or id (the model
//     part may itself contain '/': openrouter/anthropic/claude-…);
//   - a bare model name, served by every usable provider whose catalog
//     lists it, in provider order.
//
// Each (provider, model) expands to one candidate per enabled account.
func (s *Snapshot) Resolve(model string) ([]Candidate, error) {
	return s.resolve(model, 0, "")
}

// ResolveEmbedding is Resolve restricted to embedding-capable upstreams.
func (s *Snapshot) ResolveEmbedding(model string) ([]Candidate, error) {
	return s.resolve(model, 0, provider.CapEmbedding)
}

// ResolveFor is Resolve restricted to upstream models serving c (images,
// speech…): a combo keeps only its targets that do, and a model that
// serves something else is a 400 that says what it serves.
func (s *Snapshot) ResolveFor(model string, c provider.Capability) ([]Candidate, error) {
	return s.resolve(model, 0, c)
}

func (s *Snapshot) resolve(model string, depth int, why provider.Capability) ([]Candidate, error) {
	if model == "" {
		return nil, ir.Errorf(ir.KindBadRequest, "no model given")
	}
	if depth > maxAliasDepth {
		return nil, ir.Errorf(ir.KindBadRequest, "model alias %q loops or nests more than %d deep", model, maxAliasDepth)
	}
	if to, ok := s.aliases[model]; ok {
		return s.resolve(to, depth+1, why)
	}
	if cb, ok := s.combos[model]; ok { // flattened, in declared order
		var out []Candidate
		for _, t := range cb.Targets {
			if c, err := s.resolve(t.Model, depth+1, why); err == nil {
				out = append(out, c...)
			}
		}
		if len(out) == 0 && why != "" {
			return nil, ir.Errorf(ir.KindBadRequest, "combo %q has no routable target serving %s", model, why)
		}
		if len(out) == 0 {
			return nil, ir.Errorf(ir.KindNotFound, "combo %q has no routable target", model)
		}
		return out, nil
	}
	for _, w := range s.wildcards {
		if strings.HasPrefix(model, w.prefix) {
			target := w.target
			if strings.HasSuffix(target, "/*") {
				target = strings.TrimSuffix(target, "*") + model
			}
			if target != model {
				return s.resolve(target, depth+1, why)
			}
		}
	}
	if prefix, rest, ok := strings.Cut(model, "/"); ok && rest != "" {
		if p, ok := s.byPrefix[prefix]; ok {
			if e := p.UnusableError(); e != nil {
				return nil, e
			}
			if why != "" && !p.Entry.Serves(rest, why) {
				return nil, wrongCapability(p.Entry, rest, why)
			}
			return expand(nil, p, rest), nil
		}
	}
	var out []Candidate
	var wrong *ir.Error
	for _, p := range s.providers {
		if _, ok := p.Entry.Model(model); !ok || !p.Usable() {
			continue
		}
		if why != "" && !p.Entry.Serves(model, why) {
			wrong = wrongCapability(p.Entry, model, why)
			continue
		}
		out = expand(out, p, model)
	}
	if len(out) == 0 && wrong != nil {
		return nil, wrong
	}
	if len(out) == 0 {
		return nil, &ir.Error{Kind: ir.KindNotFound, Message: fmt.Sprintf(
			"model %q is not routable: use provider/model (see GET /v1/models), an alias or a combo", model)}
	}
	return out, nil
}

// wrongCapability is the 400 for a model asked to do what it does not.
func wrongCapability(e provider.Entry, model string, c provider.Capability) *ir.Error {
	what := "an endpoint for it"
	if m, ok := e.Model(model); ok && m.Judged(e) {
		caps := e.Caps(m)
		names := make([]string, len(caps))
		for i, c := range caps {
			names[i] = string(c)
		}
		what = strings.Join(names, ", ")
	} else if len(e.Capabilities) > 0 {
		what = "its declared capabilities only"
	}
	return &ir.Error{Kind: ir.KindBadRequest, Status: 400, Provider: e.ID, Message: fmt.Sprintf(
		"model %s/%s does not serve %s (it serves: %s); pick a %s model (GET /v1/models lists each model's capabilities)",
		e.Prefix, model, c, what, c)}
}

func expand(out []Candidate, p *Provider, model string) []Candidate {
	p = p.forModel(model)
	if p.Entry.Auth == provider.AuthNone && len(p.Accounts) == 0 {
		return append(out, Candidate{Provider: p, Model: model})
	}
	for _, a := range p.Accounts {
		if !a.Disabled { // kept when only signed out: the plan names why it is skipped
			out = append(out, Candidate{Provider: p, Account: a, Model: model})
		}
	}
	return out
}

// ModelInfo is one routable model for the model lists.
type ModelInfo struct {
	ID        string // what clients send: prefix/model, alias
	Provider  string
	Upstream  string
	Context   int
	MaxOutput int
	Embedding bool
	Alias     bool
	Combo     bool
	// Capabilities are what the model serves (nil: not judged, see
	// provider.Model.Judged; a combo's are its targets').
	Capabilities []provider.Capability
}

// Combos lists the combos by name.
func (s *Snapshot) Combos() []Combo {
	out := make([]Combo, 0, len(s.combos))
	for _, c := range s.combos {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Models lists what is routable: every usable provider's known models as
// prefix/model, then aliases.
func (s *Snapshot) Models() []ModelInfo {
	var out []ModelInfo
	for _, p := range s.providers {
		if !p.Usable() {
			continue
		}
		prefix := p.Entry.Prefix
		if prefix == "" {
			prefix = p.Entry.ID
		}
		for _, m := range p.Entry.Models {
			out = append(out, ModelInfo{ID: prefix + "/" + m.ID, Provider: p.Entry.ID, Upstream: m.ID,
				Context: m.Context, MaxOutput: m.MaxOutput, Embedding: m.Embedding, Capabilities: capsOf(p.Entry, m)})
		}
	}
	names := make([]string, 0, len(s.aliases))
	for a := range s.aliases {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if c, err := s.Resolve(a); err == nil && len(c) > 0 {
			m, _ := c[0].Provider.Entry.Model(c[0].Model)
			out = append(out, ModelInfo{ID: a, Provider: c[0].Provider.Entry.ID, Upstream: c[0].Model,
				Context: m.Context, MaxOutput: m.MaxOutput, Embedding: m.Embedding, Alias: true, Capabilities: capsOf(c[0].Provider.Entry, m)})
		}
	}
	for _, c := range s.Combos() {
		out = append(out, ModelInfo{ID: c.Name, Provider: "combo", Upstream: c.Name, Combo: true, Capabilities: s.comboCaps(c.Name)})
	}
	return out
}

// capsOf is what a listed model serves, nil when not judged.
func capsOf(e provider.Entry, m provider.Model) []provider.Capability {
	if m.ID == "" || !m.Judged(e) {
		return nil
	}
	return e.Caps(m)
}

// comboCaps is every capability some target of the combo serves.
func (s *Snapshot) comboCaps(name string) []provider.Capability {
	var out []provider.Capability
	for _, c := range provider.Capabilities {
		cands, _ := s.ResolveFor(name, c)
		for _, cd := range cands {
			if m, ok := cd.Provider.Entry.Model(cd.Model); ok && m.Judged(cd.Provider.Entry) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// TargetState describes whether a model string can be served right now.
type TargetState struct {
	State string    `json:"state"` // ok | cooling | breaker_open | disabled | unroutable
	Until time.Time `json:"until,omitzero"`
	Note  string    `json:"note,omitempty"`
}

// State reports the live state of a model string: ok when any candidate is
// usable now, else why not and until when.
func (s *Snapshot) State(h *Health, model string) TargetState {
	if _, ok := s.combos[model]; ok {
		return TargetState{State: "ok", Note: "combo"}
	}
	cands, err := s.Resolve(model)
	if err != nil {
		return TargetState{State: "unroutable", Note: err.Error()}
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	best := TargetState{State: "disabled"}
	for _, c := range cands {
		if c.Account != nil && !c.Account.Usable() {
			continue
		}
		if b := h.breakers[c.Provider.Entry.ID]; b != nil && b.state == BreakerOpen && now.Before(b.openUntil) {
			best = soonerState(best, TargetState{State: "breaker_open", Until: b.openUntil})
			continue
		}
		if reason, until, resting := h.restingUntil(c, now); resting {
			best = soonerState(best, TargetState{State: "cooling", Until: until, Note: string(reason)})
			continue
		}
		if st := h.standing(c, now); st.Exhausted() {
			best = soonerState(best, TargetState{State: "cooling", Until: st.Until, Note: string(ReasonQuota)})
			continue
		}
		return TargetState{State: "ok"}
	}
	return best
}

func soonerState(a, b TargetState) TargetState {
	if a.State == "disabled" || (!b.Until.IsZero() && b.Until.Before(a.Until)) {
		return b
	}
	return a
}
