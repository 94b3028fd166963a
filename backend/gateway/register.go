package gateway

import (
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/kiro"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
)

func init() {
	RegisterCodec(openai.Codec)
	RegisterCodec(responses.Codec)
	RegisterCodec(anthropic.Codec)
	RegisterCodec(gemini.Codec)
	RegisterCodec(kiro.Codec) // upstream only: no client route speaks it
}
