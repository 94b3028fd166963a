// Package anthropic is the Anthropic Messages dialect (POST /v1/messages):
// what Claude Code and the Anthropic SDKs send us, and what we send an
// Anthropic upstream.
//
// Client side: DecodeRequest accepts every shape the official clients send
// (system as a string or blocks, role:"system" messages in the middle of the
// conversation, adaptive thinking, output_config, server tools) and keeps
// cache_control markers on their blocks. EncodeResponse, the stream encoder
// and EncodeError speak the wire format the SDKs parse.
//
// Upstream side: EncodeRequest produces a body the public API accepts from an
// IR of any origin (see request_encode.go for the rules it enforces);
// DecodeResponse and the stream decoder read its answers.
package anthropic

import (
	"strings"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
)

// Codec is the Anthropic Messages codec.
var Codec dialect.Codec = codec{}

var _ dialect.Codec = codec{}

type codec struct{}

func (codec) Name() dialect.Name { return dialect.Anthropic }

func (codec) NewStreamEncoder(req *ir.Request) dialect.StreamEncoder {
	return newStreamEncoder(req)
}

func (codec) NewStreamDecoder() dialect.StreamDecoder { return &streamDecoder{} }

// newID returns prefix followed by 24 random hex digits, the length of the
// ids Anthropic hands out (msg_…, toolu_…).
func newID(prefix string) string { return randid.Hex(prefix, 24) }

// Foreign reasoning signatures (Gemini thoughtSignature, Responses
// encrypted_content) reach an Anthropic client inside a thinking block's
// signature field. They are tagged "swb1:<origin>:" (the tag the Responses
// codec uses too) so that when the client replays the block we know whose it
// is: an Anthropic upstream never gets it (base64 signatures never contain
// ':'), its own vendor gets it back intact.
const foreignSigPrefix = "swb1:"

// wrapSignature renders a signature for an Anthropic client.
func wrapSignature(sig string, origin ir.Origin) string {
	if sig == "" || origin == ir.OriginAnthropic || origin == ir.OriginNone {
		return sig
	}
	return foreignSigPrefix + string(origin) + ":" + sig
}

// unwrapSignature is the inverse of wrapSignature for a signature a client
// replayed: untagged signatures are Anthropic's own.
func unwrapSignature(sig string) (string, ir.Origin) {
	if sig == "" {
		return "", ir.OriginNone
	}
	if rest, ok := strings.CutPrefix(sig, foreignSigPrefix); ok {
		if origin, s, ok := strings.Cut(rest, ":"); ok && origin != "" {
			return s, ir.Origin(origin)
		}
	}
	return sig, ir.OriginAnthropic
}
