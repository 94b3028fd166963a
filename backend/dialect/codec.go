// Package dialect holds the wire dialects clients and upstreams speak, each
// in its own subpackage (openai, responses, anthropic, gemini), and the
// contract they all implement. Translation is hub-and-spoke: a dialect only
// knows how to go to and from the ir package, never to another dialect.
package dialect

import (
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// Name identifies a wire dialect.
type Name string

const (
	OpenAIChat Name = "openai"    // POST /v1/chat/completions
	Responses  Name = "responses" // POST /v1/responses
	Anthropic  Name = "anthropic" // POST /v1/messages
	Gemini     Name = "gemini"    // POST /v1beta/models/{model}:generateContent
	// Kiro is AWS CodeWhisperer's generateAssistantResponse, spoken only to
	// the Kiro upstream (no client sends it).
	Kiro Name = "kiro"
)

// Codec translates one dialect to and from the hub. Implementations are
// stateless and safe for concurrent use; stream state lives in the
// StreamDecoder/StreamEncoder they create.
//
// Errors returned by Decode* are *ir.Error with Kind ir.KindBadRequest and a
// message a client can act on. Unknown fields never cause an error.
type Codec interface {
	Name() Name

	// Client side: what a client sent us, and what we send back.
	// DecodeRequest's IR may share body's memory (copying a megabyte of
	// conversation per request is what it avoids): the caller must not
	// change body while the IR is in use, and must copy any string it keeps
	// beyond the request.
	DecodeRequest(body []byte) (*ir.Request, error)
	EncodeResponse(resp *ir.Response) ([]byte, error)
	NewStreamEncoder(req *ir.Request) StreamEncoder
	// EncodeError renders e as a JSON error body in this dialect's shape.
	EncodeError(e *ir.Error) []byte

	// Upstream side: what we send a vendor, and what it answers.
	EncodeRequest(req *ir.Request) ([]byte, error)
	DecodeResponse(body []byte) (*ir.Response, error)
	NewStreamDecoder() StreamDecoder
}

// ValidDecoder is a Codec that can decode a request body its caller has
// already checked is valid JSON (the gateway's one pass over every body,
// jsonscan.Scan), skipping the codec's own check: on a megabyte of
// conversation that check is a full pass of its own. The result is
// DecodeRequest's for the same valid body.
type ValidDecoder interface {
	// spans, when not nil, holds what a jsonscan.Walker.Scan of body
	// remembered; a codec that walks bodies with a Walker walks with it
	// (nothing is scanned twice) and may change it until it returns.
	DecodeValidRequest(body []byte, spans *jsonscan.Walker) (*ir.Request, error)
}

// StreamDecoder turns upstream SSE events into hub events.
type StreamDecoder interface {
	// Decode consumes one upstream event and appends 0..n hub events to dst.
	// An upstream error event becomes an ir.EvError (not a Go error); a Go
	// error means the event could not be parsed at all.
	Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error)
	// End is called once when the upstream body ends. It appends anything
	// the decoder held back (a stop waiting for a trailing usage chunk) and
	// reports whether the stream was complete: the upstream's terminal event
	// arrived, or, where the dialect has no sentinel (Gemini), a finish
	// reason did. An incomplete stream is ir.KindStreamInterrupted.
	End(dst []ir.Event) ([]ir.Event, bool)
}

// StreamEncoder turns hub events into client frames.
//
// After EvMessageStop or EvError it appends the dialect's terminal frame
// ([DONE], message_stop, response.completed/response.failed…) and ignores
// anything that follows. Blocks still open when either arrives are closed
// first, so the client always sees a well-formed stream.
type StreamEncoder interface {
	Encode(dst []byte, ev *ir.Event) []byte
}
