package provider

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Capability is a kind of request a model serves. Chat covers every
// generation endpoint (chat, messages, responses, generateContent text).
type Capability string

const (
	CapChat          Capability = "chat"
	CapEmbedding     Capability = "embedding"
	CapImage         Capability = "image"         // images/generations and edits
	CapSpeech        Capability = "speech"        // audio/speech (text to speech)
	CapTranscription Capability = "transcription" // audio/transcriptions and translations
	CapModeration    Capability = "moderation"
	CapRerank        Capability = "rerank"
)

// Capabilities lists every capability, in the order /v1/models shows them.
var Capabilities = []Capability{CapChat, CapEmbedding, CapImage, CapSpeech, CapTranscription, CapModeration, CapRerank}

// Unit is what a capability bills per request besides tokens.
type Unit string

const (
	UnitNone         Unit = ""
	UnitImages       Unit = "images"
	UnitCharacters   Unit = "characters"
	UnitAudioSeconds Unit = "audio_seconds"
	UnitSearchUnits  Unit = "search_units"
	UnitTokens       Unit = "tokens"
	UnitInputs       Unit = "inputs"
)

// UnitOf is the unit a capability's requests are counted in by default
// (a model's `unit` overrides it: Jina and Voyage bill rerank in tokens).
func UnitOf(c Capability) Unit {
	switch c {
	case CapImage:
		return UnitImages
	case CapSpeech:
		return UnitCharacters
	case CapTranscription:
		return UnitAudioSeconds
	case CapRerank:
		return UnitSearchUnits
	case CapModeration:
		return UnitInputs
	}
	return UnitNone
}

// Rerank wire shapes an upstream's /rerank speaks (Entry.Rerank).
const (
	RerankJina   = "jina"   // {model, query, documents, top_n, return_documents} → results[] + usage (the default; LocalAI, llama.cpp)
	RerankCohere = "cohere" // Cohere v2: documents are strings; meta.billed_units.search_units
	RerankVoyage = "voyage" // top_k; answer data[] with usage.total_tokens
)

// Caps is what the model serves: its declared capabilities, else the
// entry's (a custom provider declares them for all its models), else chat
// (or embedding for a model flagged so).
func (e Entry) Caps(m Model) []Capability {
	switch {
	case len(m.Capabilities) > 0:
		return m.Capabilities
	case len(e.Capabilities) > 0:
		return e.Capabilities
	case m.Embedding:
		return []Capability{CapEmbedding}
	}
	return []Capability{CapChat}
}

// Serves reports whether the entry's model id serves c. A model the
// entry does not list is not judged (an operator may route any model of
// a provider as prefix/model): it serves c when the entry's API has an
// endpoint for it and, for a provider that declares capabilities, when
// c is one of them.
func (e Entry) Serves(id string, c Capability) bool {
	if m, ok := e.Model(id); ok && m.Judged(e) {
		return slices.Contains(e.Caps(m), c)
	}
	if len(e.Capabilities) > 0 && !slices.Contains(e.Capabilities, c) {
		return false
	}
	return e.Supports(OpFor(c))
}

// Judged reports whether what the model serves is known: a catalog model,
// or one whose capabilities (or its provider's) were declared. A model an
// operator merely listed, or an upstream reported, may serve anything its
// provider's API has an endpoint for.
func (m Model) Judged(e Entry) bool {
	return m.cataloged || len(m.Capabilities) > 0 || len(e.Capabilities) > 0
}

// OpFor is the upstream operation of a capability (images: generations).
func OpFor(c Capability) Op {
	switch c {
	case CapEmbedding:
		return OpEmbed
	case CapImage:
		return OpImage
	case CapSpeech:
		return OpSpeech
	case CapTranscription:
		return OpTranscribe
	case CapModeration:
		return OpModerate
	case CapRerank:
		return OpRerank
	}
	return OpGenerate
}

// ParseCapabilities checks capability names (config, catalog).
func ParseCapabilities(names []string) ([]Capability, error) {
	out := make([]Capability, 0, len(names))
	for _, n := range names {
		c := Capability(strings.TrimSpace(strings.ToLower(n)))
		if !slices.Contains(Capabilities, c) {
			return nil, fmt.Errorf("unknown capability %q (known: %s)", n, capNames())
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func capNames() string {
	s := make([]string, len(Capabilities))
	for i, c := range Capabilities {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Equal reports whether two models are described alike (Model holds a
// slice, so == does not compile).
func (m Model) Equal(o Model) bool {
	if !slices.Equal(m.Capabilities, o.Capabilities) {
		return false
	}
	m.Capabilities, o.Capabilities = nil, nil
	return reflect.DeepEqual(m, o)
}

// UnitFor is the unit the model bills for capability c.
func (m Model) UnitFor(c Capability) Unit {
	if m.Unit != UnitNone {
		return m.Unit
	}
	return UnitOf(c)
}
