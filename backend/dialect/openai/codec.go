// Package openai is the OpenAI Chat Completions dialect
// (POST /v1/chat/completions), plus the legacy completions endpoint
// (POST /v1/completions), embeddings (POST /v1/embeddings) and the model
// list. It is also the dialect of most "OpenAI-compatible" upstreams
// (DeepSeek, Groq, OpenRouter, vLLM, Ollama…), so the upstream side is
// lenient about what those vendors add (reasoning_content, reasoning,
// usage in odd places) and conservative about what it sends.
//
// Decoding uses gjson over one copy of the body: every string in the
// resulting IR aliases that copy, so a request decodes with few allocations
// and unknown fields cost nothing. Encoding is hand-built JSON appended to
// one buffer, so field order is stable (goldens) and the hot per-delta
// stream frames allocate nothing.
package openai

import (
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
)

// Codec is the OpenAI Chat Completions dialect.
var Codec dialect.Codec = codec{}

var _ dialect.Codec = codec{}

type codec struct{}

func (codec) Name() dialect.Name { return dialect.OpenAIChat }

func (codec) EncodeRequest(req *ir.Request) ([]byte, error) {
	return EncodeRequestWith(req, RequestOptions{})
}

func (codec) NewStreamDecoder() dialect.StreamDecoder { return newStreamDecoder() }

func (codec) NewStreamEncoder(req *ir.Request) dialect.StreamEncoder {
	return newStreamEncoder(req)
}

// RequestOptions are per-upstream quirks of the OpenAI-compatible family.
// The zero value is what works with the widest range of vendors.
type RequestOptions struct {
	// MaxCompletionTokens sends max_completion_tokens instead of
	// max_tokens. OpenAI's reasoning models (o-series, gpt-5) reject
	// max_tokens; many compatible vendors only know max_tokens, hence the
	// default.
	MaxCompletionTokens bool
	// ReasoningContent echoes assistant thinking text back as
	// reasoning_content. DeepSeek and Kimi require it in tool loops;
	// OpenAI itself rejects the unknown message field, hence off by default.
	ReasoningContent bool
}

// now and newID are variables so tests get stable ids and timestamps.
var (
	now   = time.Now
	newID = randomID
)

// randomID returns prefix followed by 24 random hex digits, the shape of
// OpenAI's own ids ("chatcmpl-…", "call_…").
func randomID(prefix string) string { return randid.Hex(prefix, 24) }

func badRequest(format string, args ...any) *ir.Error {
	return ir.Errorf(ir.KindBadRequest, format, args...)
}

// badUpstream reports an upstream body we cannot parse. It is not the
// client's fault, so it is an upstream failure the router may retry.
func badUpstream(format string, args ...any) *ir.Error {
	e := ir.Errorf(ir.KindUpstream5xx, format, args...)
	e.Status = 502
	return e
}
