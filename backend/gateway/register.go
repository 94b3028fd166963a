package gateway

import (
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
)

func init() {
	RegisterCodec(openai.Codec)
	RegisterCodec(responses.Codec)
	RegisterCodec(anthropic.Codec)
	RegisterCodec(gemini.Codec)
}
