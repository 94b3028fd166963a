package route

import "switchboard/backend/dialect"

// A provider may serve some models on another API than its entry's, under
// the same base URL (Copilot serves its Codex models on /responses only;
// the catalog or the model list marks them with provider.Model.Dialect).
// Such a model is reached through a variant of the provider: the same
// accounts, limits and quirks, the entry switched to the model's dialect,
// so the gateway encodes for that API and the client picks its path. A
// variant keeps the provider's id, so cooldowns, breakers and usage stay
// the provider's own.

// dialectVariants builds p's variants, one per other dialect its models
// use; nil when every model speaks the entry's.
func dialectVariants(p *Provider) map[dialect.Name]*Provider {
	var out map[dialect.Name]*Provider
	for _, m := range p.Entry.Models {
		if m.Dialect == "" || m.Dialect == p.Entry.Dialect || out[m.Dialect] != nil {
			continue
		}
		if out == nil {
			out = map[dialect.Name]*Provider{}
		}
		v := *p
		v.Entry.Dialect, v.variants = m.Dialect, nil
		out[m.Dialect] = &v
	}
	return out
}

// forModel is the provider as it reaches model: a variant when the model
// is served on another dialect, p itself otherwise.
func (p *Provider) forModel(model string) *Provider {
	if len(p.variants) == 0 {
		return p
	}
	if m, ok := p.Entry.Model(model); ok {
		if v := p.variants[m.Dialect]; v != nil {
			return v
		}
	}
	return p
}
