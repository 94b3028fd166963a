package transfer

import (
	"encoding/json"
	"fmt"
	"strings"

	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// peerConn is one connection (account) of a peer, in neutral form.
type peerConn struct {
	provider, authType, name, email string
	priority                        int
	active                          bool
	apiKey                          string
	access, refresh, idToken        string
	expires                         int64 // unix ms
	project, accountRef             string
	source                          string // the peer's id
	// why is set when the peer's value cannot be read (encrypted, …).
	why string
}

// addConnection maps one peer connection to an account, or to a skipped
// item saying why it cannot be carried.
func (s *Setup) addConnection(c peerConn, nodes map[string]Provider) {
	name := strings.TrimSpace(c.name)
	if name == "" {
		name = c.email
	}
	if name == "" {
		name = "imported"
	}
	label := c.provider + "/" + name
	skip := func(kind, why string) {
		s.Skipped = append(s.Skipped, Item{Kind: kind, Name: label, Action: ActSkip, Why: why})
	}
	isOAuth := c.authType == "oauth" || (c.apiKey == "" && (c.access != "" || c.refresh != ""))
	kind := KindAccount
	if isOAuth {
		kind = KindSignIn
	}
	if c.why != "" {
		skip(kind, c.why)
		return
	}
	a := Account{Name: name, Priority: priorityFrom(c.priority), Disabled: !c.active}
	if !c.active {
		a.Changes = append(a.Changes, "imported turned off, as it was there")
	}
	if p, ok := nodes[c.provider]; ok {
		if isOAuth {
			skip(kind, "a custom endpoint takes an API key")
			return
		}
		a.Provider, a.APIKey = p.ID, c.apiKey
		s.Accounts = append(s.Accounts, a)
		return
	}
	id, ok := catalogID(c.provider)
	if !ok {
		skip(kind, "Switchboard has no provider "+c.provider)
		return
	}
	a.Provider = id
	if id != c.provider {
		a.Changes = append(a.Changes, "provider "+c.provider+" is "+id+" here")
	}
	e, _ := provider.Lookup(id)
	switch {
	case isOAuth && e.Auth != provider.AuthOAuth:
		skip(kind, id+" takes an API key in Switchboard, and only a sign-in token is stored")
		return
	case isOAuth:
		extra := map[string]string{}
		if c.project != "" {
			extra["project"] = c.project
		}
		raw, _ := json.Marshal(extra)
		a.SignIn = &SignIn{Access: c.access, Refresh: c.refresh, IDToken: c.idToken, ExpiresAt: c.expires, Email: c.email,
			AccountRef: c.accountRef, Source: "imported:" + c.source, Extra: raw}
		if c.refresh == "" {
			a.Changes = append(a.Changes, "no refresh token is stored: it works until the access token expires, then needs a sign-in")
		}
	case e.Auth == provider.AuthOAuth:
		skip(kind, id+" is a subscription sign-in in Switchboard; sign in with `switchboard login "+id+"`")
		return
	default:
		a.APIKey = c.apiKey
	}
	s.Accounts = append(s.Accounts, a)
}

// priorityFrom turns a peer's priority (1 = first) into ours (higher
// first): 1→100, 2→99, …; unset stays 0.
func priorityFrom(p int) int {
	if p <= 0 || p > 100 {
		return 0
	}
	return 101 - p
}

// nodeProvider maps a peer's custom OpenAI/Anthropic-compatible endpoint.
func nodeProvider(typ, apiType, name, prefix, baseURL string) (Provider, string) {
	p := Provider{Name: name, BaseURL: strings.TrimRight(baseURL, "/")}
	switch {
	case strings.HasPrefix(typ, "anthropic"):
		p.Type = "anthropic-compatible"
	case strings.HasPrefix(typ, "openai") && apiType == "responses":
		p.Type = "responses-compatible"
	case strings.HasPrefix(typ, "openai"):
		p.Type = "openai-compatible"
	default:
		return p, "a " + typ + " endpoint; Switchboard's custom providers speak OpenAI, Anthropic, Gemini or Responses"
	}
	if p.BaseURL == "" {
		return p, "it has no base URL"
	}
	p.Prefix = slug(prefix)
	if p.Prefix == "" {
		p.Prefix = slug(name)
	}
	p.ID = p.Prefix
	if p.ID == "" {
		return p, "it has neither a usable prefix nor name"
	}
	if _, clash := provider.Lookup(p.ID); clash || catalogPrefixTaken(p.Prefix) {
		p.Changes = append(p.Changes, "named custom-"+p.ID+": "+p.ID+" is a built-in provider here")
		p.ID = "custom-" + p.ID
		p.Prefix = p.ID
	}
	if strings.HasPrefix(p.BaseURL, "http://") {
		p.AllowLocal = true
		p.Changes = append(p.Changes, "plain http endpoint: marked local")
	}
	return p, ""
}

// peerTarget is one step of a peer's combo.
type peerTarget struct {
	model  string
	weight int
}

// addCombo maps a peer's combo; steps whose provider is unknown here are
// dropped and said.
func (s *Setup) addCombo(name, strategy string, targets []peerTarget, m modelMapper) {
	st, note := strategyFor(strategy)
	c := route.Combo{Name: comboName(name), Strategy: st}
	var changes []string
	if note != "" {
		changes = append(changes, note)
	}
	if c.Name != name {
		changes = append(changes, "named "+c.Name)
	}
	for _, t := range targets {
		mapped, ok := m.mapModel(t.model)
		if !ok {
			changes = append(changes, "step "+t.model+" dropped: Switchboard has no such provider")
			continue
		}
		if mapped != t.model {
			changes = append(changes, t.model+" is "+mapped+" here")
		}
		c.Targets = append(c.Targets, route.ComboTarget{Model: mapped, Weight: t.weight})
	}
	if len(c.Targets) == 0 {
		s.Skipped = append(s.Skipped, Item{Kind: KindCombo, Name: name, Action: ActSkip, Why: "none of its steps can be routed here"})
		return
	}
	data, _ := json.Marshal(c)
	s.Combos = append(s.Combos, Combo{Name: c.Name, Data: data, Changes: changes})
}

// comboName makes a peer's combo name one Switchboard accepts.
func comboName(n string) string {
	out := strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, strings.TrimSpace(n))
	out = strings.TrimLeft(out, "._-")
	if len(out) > 64 {
		out = out[:64]
	}
	if out == "" {
		out = "combo"
	}
	return out
}

// addAliases maps a peer's aliases.
func (s *Setup) addAliases(aliases map[string]string, m modelMapper) {
	for from, to := range aliases {
		mapped, ok := m.mapModel(to)
		if !ok {
			s.Skipped = append(s.Skipped, Item{Kind: KindAlias, Name: from, Action: ActSkip, Why: fmt.Sprintf("its target %s names a provider Switchboard does not have", to)})
			continue
		}
		s.Aliases = append(s.Aliases, Alias{Alias: from, Target: mapped})
	}
}

// catalogPrefixTaken reports whether a built-in provider routes prefix.
func catalogPrefixTaken(prefix string) bool {
	for _, e := range provider.All() {
		if e.Prefix == prefix {
			return true
		}
	}
	return false
}
