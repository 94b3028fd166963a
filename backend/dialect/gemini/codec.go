// Package gemini is the Google Gemini API dialect (generativelanguage v1beta):
// POST /v1beta/models/{model}:generateContent, :streamGenerateContent?alt=sse,
// :countTokens, :embedContent and :batchEmbedContents.
//
// The model is part of the URL path, never of the body: DecodeRequest leaves
// ir.Request.Model empty and Stream false (the gateway sets both from the
// path) and EncodeRequest writes neither.
//
// Opaque values. Gemini's thoughtSignature may sit on any part: a thought
// part, an ordinary text part or a functionCall part. The codec keeps it on
// the ir block made from that part with Origin gemini, so ir text blocks may
// carry a Signature too (only for Gemini). A part that carries nothing but a
// signature (Gemini ends some streams with {"text":"","thoughtSignature":…})
// becomes a thinking block with empty text: other dialects drop foreign
// thinking, and Gemini gets the same part back. Signatures are replayed only
// to Gemini and only when their Origin is gemini.
//
// Function call ids. The v1beta API accepts an id on functionCall and
// functionResponse, and Gemini CLI sends ids it made itself, but other Gemini
// front ends (v1, Vertex, some relays) reject the field. The encoder therefore
// writes an id only when it came from a Gemini speaker: a tool_use block with
// Origin gemini (decoded from a Gemini functionCall that carried an id or a
// signature). Pairing never depends on it: Gemini pairs responses by name and
// order as well.
package gemini

import (
	"switchboard/backend/dialect"
	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
)

// Codec is the Gemini dialect.
var Codec dialect.Codec = codec{}

var _ dialect.Codec = codec{}

type codec struct{}

func (codec) Name() dialect.Name { return dialect.Gemini }

// SkipSignature is the sentinel Google documents for replaying a function
// call whose real thoughtSignature is unknown (history made by another
// vendor). Gemini 3 rejects an unsigned functionCall in the current turn;
// with this value it skips the check. Gemini CLI sends it the same way.
const SkipSignature = "skip_thought_signature_validator"

// badRequest builds the error every decoder returns for unusable input.
func badRequest(format string, args ...any) error {
	e := ir.Errorf(ir.KindBadRequest, format, args...)
	e.Status = 400
	return e
}

// newCallID makes a tool call id for a functionCall that came without one.
// It is random so ids stay unique across the turns of a conversation; tests
// swap it for a counter to keep goldens stable.
var newCallID = randomCallID

func randomCallID() string { return randid.Hex("call_", 16) }
