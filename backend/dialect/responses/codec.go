// Package responses is the OpenAI Responses API dialect (POST /v1/responses),
// the only wire API Codex speaks.
//
// Mapping decisions worth knowing (each is documented again where it lives):
//
//   - Custom (freeform) tools, like Codex's apply_patch, become ordinary
//     function tools in the hub taking {"input": string}; the original
//     definition stays in Tool.Raw (Kind stays "function" so every other
//     upstream can offer the tool). Their calls become tool_use blocks whose
//     Input is {"input": "<text>"}. Whether a call is custom is decided from
//     the request's tool list (a function tool whose Raw has type "custom"),
//     or, where no request is at hand (EncodeResponse), from the item id
//     prefix "ctc_" that Responses upstreams give custom calls.
//   - Namespace tools (Codex's {"type":"namespace"}) and hosted tools
//     (web_search, file_search, …) keep Kind and Raw; only a Responses
//     upstream gets them back. A call to a function inside a namespace is
//     named "<namespace>.<name>" in the hub: OpenAI function names cannot
//     contain a dot, so the split back is unambiguous.
//   - Reasoning items carry encrypted_content as a thinking Signature of
//     Origin openai. When the client side must hand back a signature made by
//     another vendor (an Anthropic thinking signature or redacted thinking, a
//     Gemini thought signature), it is wrapped as "swb1:<origin>:<sig>" (or
//     "swb1r:<origin>:<data>" for redacted thinking) so that, when Codex
//     replays the reasoning item, DecodeRequest restores its true Origin.
//   - The system prompt: instructions and leading developer/system items
//     all go to Request.System. Blocks from an input item keep the item's id
//     so EncodeRequest gives them back to a Responses upstream as the
//     developer messages they were (only id-less blocks form instructions);
//     Codex's prompt thus reaches the upstream with its structure intact.
//   - previous_response_id is kept and given back to a Responses upstream,
//     which stored the earlier response; the gateway refuses to route such a
//     request to any other dialect (Codex, store:false, never sends one).
//   - Requests to a Responses upstream always carry store:false, since the
//     gateway never reads stored responses back (and ChatGPT's Codex backend
//     refuses anything else); include:["reasoning.encrypted_content"] goes
//     with every reasoning request so the next turn can replay it. Item ids
//     are sent only when they have their kind's prefix (fc_, ctc_, rs_):
//     OpenAI refuses others, and message ids are never sent.
package responses

import (
	"time"

	"switchboard/backend/dialect"
)

// Codec is the Responses dialect. It is stateless and safe for concurrent use.
var Codec dialect.Codec = codec{}

var _ dialect.Codec = codec{}

type codec struct{}

func (codec) Name() dialect.Name { return dialect.Responses }

// nowUnix is the clock for created_at; a variable so tests are stable.
var nowUnix = func() int64 { return time.Now().Unix() }

// Item id prefixes used by the Responses API.
const (
	prefixResponse  = "resp_"
	prefixMessage   = "msg_"
	prefixFunction  = "fc_"
	prefixCustom    = "ctc_"
	prefixReasoning = "rs_"
	prefixCall      = "call_"
)
