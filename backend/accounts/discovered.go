package accounts

import (
	"slices"

	"switchboard/backend/provider"
)

// Local servers (Ollama, LM Studio) serve whatever the user pulled, and a
// subscription seat (Copilot) whatever its plan and policy allow, not the
// catalog's examples. Core lists their models (see core's local and sign-in
// model discovery) and hands them here; Build then routes exactly those.

// discoveredSet is what one provider reported.
type discoveredSet struct {
	models []provider.Model
	// detailed: the list said what each model can do (Copilot's does), so
	// its capabilities replace the catalog's; an ids-only list keeps them.
	detailed bool
}

// SetDiscovered records the model ids a provider reported; it reports
// whether they differ from what was known.
func (s *Store) SetDiscovered(providerID string, ids []string) bool {
	models := make([]provider.Model, len(ids))
	for i, id := range ids {
		models[i] = provider.Model{ID: id}
	}
	return s.setDiscovered(providerID, discoveredSet{models: models})
}

// SetDiscoveredModels records the models a provider reported with their
// limits and capabilities; it reports whether they differ from what was
// known.
func (s *Store) SetDiscoveredModels(providerID string, models []provider.Model) bool {
	return s.setDiscovered(providerID, discoveredSet{models: slices.Clone(models), detailed: true})
}

func (s *Store) setDiscovered(providerID string, set discoveredSet) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discovered == nil {
		s.discovered = map[string]discoveredSet{}
	}
	if old, ok := s.discovered[providerID]; ok && old.detailed == set.detailed && slices.EqualFunc(old.models, set.models, provider.Model.Equal) {
		return false
	}
	s.discovered[providerID] = set
	return true
}

// withDiscovered replaces an entry's models by the discovered ones: what
// the upstream reported wins, the catalog fills in what it left out. A
// provider whose models the user listed explicitly keeps the user's list.
func (s *Store) withDiscovered(e provider.Entry, pinned bool) provider.Entry {
	if pinned || (!e.Local && e.Auth != provider.AuthOAuth) {
		return e
	}
	s.mu.Lock()
	found, ok := s.discovered[e.ID]
	s.mu.Unlock()
	if !ok {
		return e
	}
	models := make([]provider.Model, 0, len(found.models))
	for _, d := range found.models {
		m, _ := e.Model(d.ID)
		models = append(models, mergeModel(m, d, found.detailed))
	}
	e.Models = models
	return e
}

// mergeModel lays what an upstream reported of a model over the catalog's
// entry for it (zero when the catalog does not know it). Prices stay the
// catalog's: no model list carries them.
func mergeModel(cat, found provider.Model, detailed bool) provider.Model {
	m := cat
	m.ID = found.ID
	for _, f := range []struct {
		dst *int
		v   int
	}{{&m.Context, found.Context}, {&m.MaxOutput, found.MaxOutput}} {
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if found.Name != "" {
		m.Name = found.Name
	}
	if m.Name == "" {
		m.Name = found.ID
	}
	if detailed { // the seat's word over the catalog, which may predate it
		m.Vision, m.Reasoning, m.Embedding, m.Dialect = found.Vision, found.Reasoning, found.Embedding, found.Dialect
	}
	return m
}
