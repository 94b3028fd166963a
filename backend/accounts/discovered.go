package accounts

import (
	"slices"

	"switchboard/backend/provider"
)

// Local servers (Ollama, LM Studio) serve whatever the user pulled, not the
// catalog's examples. Core lists their models (see core's local model
// discovery) and hands the ids here; Build then routes exactly those.

// SetDiscovered records the models a local provider reported; it reports
// whether they differ from what was known.
func (s *Store) SetDiscovered(providerID string, ids []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discovered == nil {
		s.discovered = map[string][]string{}
	}
	if old, ok := s.discovered[providerID]; ok && slices.Equal(old, ids) {
		return false
	}
	s.discovered[providerID] = slices.Clone(ids)
	return true
}

// withDiscovered replaces a local entry's models by the discovered ones
// (keeping the catalog's details of those it knows). A provider whose
// models the user listed explicitly keeps the user's list.
func (s *Store) withDiscovered(e provider.Entry, pinned bool) provider.Entry {
	if pinned || !e.Local {
		return e
	}
	s.mu.Lock()
	ids, ok := s.discovered[e.ID]
	s.mu.Unlock()
	if !ok {
		return e
	}
	models := make([]provider.Model, 0, len(ids))
	for _, id := range ids {
		m, known := e.Model(id)
		if !known {
			m = provider.Model{ID: id, Name: id}
		}
		models = append(models, m)
	}
	e.Models = models
	return e
}
