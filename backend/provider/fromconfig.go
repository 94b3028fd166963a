package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/dialect"
)

// customTypes maps the config's `type` to the dialect the upstream speaks.
var customTypes = map[string]dialect.Name{
	"openai-compatible":    dialect.OpenAIChat,
	"responses-compatible": dialect.Responses,
	"anthropic-compatible": dialect.Anthropic,
	"gemini-compatible":    dialect.Gemini,
}

// FromConfig turns a provider the operator declared into an Entry: a catalog
// entry with the config's overrides (name, prefix, base_url, headers, models,
// allow_local, type), or a custom provider built from type and base_url.
// The result is validated; errors name the provider and say how to fix it.
func FromConfig(pc config.ProviderConfig) (Entry, error) {
	e, err := baseEntry(pc)
	if err != nil {
		return Entry{}, err
	}
	if pc.Name != "" {
		e.Name = pc.Name
	}
	if pc.Prefix != "" {
		e.Prefix = pc.Prefix
	}
	if pc.BaseURL != "" {
		e.BaseURL = normalizeBaseURL(pc.BaseURL, e.Dialect)
		// The catalog's local exemption is for a server on this machine:
		// pointed anywhere else, the provider is as remote as any other.
		e.Local = e.Local && config.LoopbackURL(e.BaseURL)
	}
	if pc.AllowLocal {
		e.Local, e.AllowLocal = true, true
	}
	e.Headers = mergeHeaders(e.Headers, pc.Headers)
	if len(pc.Models) > 0 {
		e.Models = pickModels(e.Models, pc.Models)
	}
	if len(pc.Capabilities) > 0 {
		caps, err := ParseCapabilities(pc.Capabilities)
		if err != nil {
			return Entry{}, fmt.Errorf("provider %q: capabilities: %w", pc.ID, err)
		}
		e.Capabilities = caps
	}
	if err := applySignIn(&e, pc.SignIn); err != nil {
		return Entry{}, err
	}
	if err := e.validate(); err != nil {
		return Entry{}, fmt.Errorf("provider: %w", err)
	}
	return e, nil
}

// applySignIn checks a sign_in override: only subscription providers have
// one, its URLs are https (or http on loopback, for tests), its lead a
// positive duration.
func applySignIn(e *Entry, sc *config.SignInConfig) error {
	if sc == nil {
		return nil
	}
	if e.Auth != AuthOAuth {
		return fmt.Errorf("provider %q: sign_in is only for subscription providers (%s)", e.ID, strings.Join(SignInIDs(), ", "))
	}
	var errs []error
	for what, raw := range map[string]string{"auth_url": sc.AuthURL, "token_url": sc.TokenURL, "device_url": sc.DeviceURL,
		"api_url": sc.APIURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && config.LoopbackURL(raw)) {
			errs = append(errs, fmt.Errorf("provider %q: sign_in.%s %q must be an https URL (http only on loopback)", e.ID, what, raw))
		}
	}
	if sc.RefreshLead != "" {
		d, err := time.ParseDuration(sc.RefreshLead)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("provider %q: sign_in.refresh_lead %q is not a positive duration (e.g. 4h)", e.ID, sc.RefreshLead))
		} else {
			e.RefreshLead = d
		}
	}
	if sc.RedirectPort != nil && (*sc.RedirectPort < 0 || *sc.RedirectPort > 65535) {
		errs = append(errs, fmt.Errorf("provider %q: sign_in.redirect_port %d is out of range", e.ID, *sc.RedirectPort))
	}
	return errors.Join(errs...)
}

// baseEntry is the starting point FromConfig overrides: the catalog entry
// for pc.ID (possibly switched to another dialect by pc.Type) or a fresh
// custom entry.
func baseEntry(pc config.ProviderConfig) (Entry, error) {
	d, typed := customTypes[pc.Type]
	if pc.Type != "" && !typed {
		return Entry{}, fmt.Errorf("provider %q: type %q is not one of openai-compatible, responses-compatible, anthropic-compatible, gemini-compatible", pc.ID, pc.Type)
	}
	if e, ok := Lookup(pc.ID); ok {
		if !typed || d == e.Dialect {
			return e, nil
		}
		// A type on a catalog id switches its dialect (OpenAI through the
		// Responses API, Gemini through its OpenAI-compatible endpoint…).
		// The base URL convention differs between versioned (openai,
		// responses) and root (anthropic, gemini) dialects, so crossing
		// that line needs an explicit base_url.
		if versioned(d) != versioned(e.Dialect) && pc.BaseURL == "" {
			return Entry{}, fmt.Errorf("provider %q: type %s needs a base_url (the catalog's %s is for the %s dialect)", pc.ID, pc.Type, e.BaseURL, e.Dialect)
		}
		return withDialect(e, d), nil
	}
	if !typed || pc.BaseURL == "" {
		return Entry{}, fmt.Errorf("provider %q is not in the catalog (known: %s); a custom provider needs type (openai-compatible, responses-compatible, anthropic-compatible or gemini-compatible) and base_url", pc.ID, strings.Join(catalogIDs(), ", "))
	}
	e := Entry{ID: pc.ID, Name: pc.ID, Prefix: pc.ID, Tier: tierAPIKey, ListModels: true}
	if pc.AllowLocal {
		e.Tier = tierLocal
	}
	return withDialect(e, d), nil
}

// withDialect switches e to dialect d with that dialect's auth style and
// required headers. A provider without auth (a local server) stays without.
func withDialect(e Entry, d dialect.Name) Entry {
	e.Dialect = d
	if e.Auth != AuthNone {
		e.Auth = defaultAuth(d)
	}
	if d == dialect.Anthropic {
		e.Headers = mergeHeaders(map[string]string{"anthropic-version": anthropicVersion}, e.Headers)
	}
	return e
}

func defaultAuth(d dialect.Name) AuthStyle {
	switch d {
	case dialect.Anthropic:
		return AuthXAPIKey
	case dialect.Gemini:
		return AuthGoogKey
	}
	return AuthBearer
}

// versioned reports whether the dialect's base URL includes the version
// segment (see catalog.yaml).
func versioned(d dialect.Name) bool { return d == dialect.OpenAIChat || d == dialect.Responses }

// endpointSuffixes are what people paste by mistake at the end of a base
// URL (the full endpoint, or the version a root dialect adds itself).
var endpointSuffixes = map[dialect.Name][]string{
	dialect.OpenAIChat: {"/chat/completions"},
	dialect.Responses:  {"/responses"},
	dialect.Anthropic:  {"/v1/messages", "/messages", "/v1"},
	dialect.Gemini:     {"/v1beta/models", "/models", "/v1beta"},
}

// normalizeBaseURL trims whitespace, trailing slashes and a pasted endpoint
// so URL building never doubles a path segment.
func normalizeBaseURL(raw string, d dialect.Name) string {
	u := strings.TrimRight(strings.TrimSpace(raw), "/")
	for _, s := range endpointSuffixes[d] {
		if strings.HasSuffix(u, s) {
			u = strings.TrimRight(strings.TrimSuffix(u, s), "/")
			break
		}
	}
	return u
}

// mergeHeaders returns base with over applied; names compare
// case-insensitively (HTTP header names do) and over wins.
func mergeHeaders(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		for old := range out {
			if http.CanonicalHeaderKey(old) == http.CanonicalHeaderKey(k) {
				delete(out, old)
			}
		}
		out[k] = v
	}
	return out
}

// pickModels returns exactly the models the operator listed, keeping the
// catalog's metadata (context, prices) for the ones it knows.
func pickModels(known []Model, ids []string) []Model {
	out := make([]Model, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || slices.ContainsFunc(out, func(m Model) bool { return m.ID == id }) {
			continue
		}
		i := slices.IndexFunc(known, func(m Model) bool { return m.ID == id })
		if i >= 0 {
			out = append(out, known[i])
		} else {
			out = append(out, Model{ID: id, Name: id})
		}
	}
	return out
}

// SignInIDs lists the catalog's subscription (sign-in) providers, for
// messages that name them.
func SignInIDs() []string {
	var ids []string
	for _, e := range catalog {
		if e.Auth == AuthOAuth {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func catalogIDs() []string {
	ids := make([]string, len(catalog))
	for i, e := range catalog {
		ids[i] = e.ID
	}
	return ids
}
