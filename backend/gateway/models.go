package gateway

import (
	"net/http"
	"slices"
	"strings"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// modelsCreated is the fixed "created" time of listed models: the list is
// computed, not stored, and clients only need a stable value.
const modelsCreated = 1767225600 // 2026-01-01

// listModels answers the model list in the caller's dialect, listing only
// what is actually routable under the names clients must send. Anthropic
// clients get the same ids (no invented claude-* names for other vendors).
func (g *Gateway) listModels(w http.ResponseWriter, r *http.Request) {
	models := g.routes.Load().Models()
	if k := keyGate(r.Context()); k != nil && k.Restricted() {
		// a key limited to some models lists only those (pickers offer nothing it would be refused)
		allowed := make([]route.ModelInfo, 0, len(models))
		for _, m := range models {
			if k.Allows(m.ID) {
				allowed = append(allowed, m)
			}
		}
		models = allowed
	}
	w.Header().Set("Content-Type", "application/json")
	switch dialectOf(r) {
	case dialect.Anthropic:
		list := make([]anthropic.ModelInfo, 0, len(models))
		for _, m := range models {
			if servesChat(m) {
				list = append(list, anthropic.ModelInfo{ID: m.ID, DisplayName: m.ID, Created: modelsCreated})
			}
		}
		_, _ = w.Write(anthropic.EncodeModelList(list))
	case dialect.Gemini:
		list := make([]gemini.ModelInfo, 0, len(models))
		for _, m := range models {
			list = append(list, geminiInfo(m))
		}
		_, _ = w.Write(gemini.EncodeModelList(list))
	default:
		list := make([]openai.ModelEntry, 0, len(models))
		for _, m := range models {
			list = append(list, openai.ModelEntry{ID: m.ID, OwnedBy: m.Provider, Created: modelsCreated, Capabilities: capNames(m)})
		}
		_, _ = w.Write(openai.EncodeModelList(list))
	}
}

// capNames are the model's capabilities as /v1/models shows them.
func capNames(m route.ModelInfo) []string {
	out := make([]string, len(m.Capabilities))
	for i, c := range m.Capabilities {
		out[i] = string(c)
	}
	return out
}

// servesChat: Anthropic clients list chat models only (a model whose
// capabilities are not known is listed).
func servesChat(m route.ModelInfo) bool {
	return m.Capabilities == nil && !m.Embedding || slices.Contains(m.Capabilities, provider.CapChat)
}

func geminiInfo(m route.ModelInfo) gemini.ModelInfo {
	return gemini.ModelInfo{ID: m.ID, DisplayName: m.ID, InputTokenLimit: m.Context, OutputTokenLimit: m.MaxOutput}
}

// getModel answers GET /v1/models/{id} (OpenAI retrieve model).
func (g *Gateway) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, m := range g.routes.Load().Models() {
		if m.ID == id {
			w.Header().Set("Content-Type", "application/json")
			b := openai.EncodeModelList([]openai.ModelEntry{{ID: m.ID, OwnedBy: m.Provider, Created: modelsCreated, Capabilities: capNames(m)}})
			// The list encoder wraps one entry; strip the wrapper.
			s := string(b)
			if i, j := strings.Index(s, "[{"), strings.LastIndex(s, "}]"); i >= 0 && j > i {
				s = s[i+1 : j+1]
			}
			_, _ = w.Write([]byte(s))
			return
		}
	}
	writeError(w, dialectOf(r), ir.Errorf(ir.KindNotFound, "model %q is not routable", id))
}

// getGeminiModel answers GET /v1beta/models/{model} (models.get); the model
// may contain '/'.
func (g *Gateway) getGeminiModel(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/v1beta/models/")
	for _, m := range g.routes.Load().Models() {
		if m.ID == id {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(gemini.EncodeModel(geminiInfo(m)))
			return
		}
	}
	writeError(w, dialect.Gemini, ir.Errorf(ir.KindNotFound, "model %q is not routable", id))
}
