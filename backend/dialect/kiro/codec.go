// Package kiro is the Kiro (AWS CodeWhisperer) upstream dialect: POST
// /generateAssistantResponse with a conversationState body, answered in the
// AWS event-stream binary framing. No client speaks it, so only the
// upstream half of dialect.Codec is real.
//
// Upstream side: EncodeRequest builds the body from the hub request
// (request_encode.go). The answer is binary; the provider re-frames it as
// SSE with SSEBody (sse.go, over the frame reader in eventstream.go) so the
// gateway's stream path reads it like any other, and the stream decoder
// (stream_decode.go) turns those events into hub events. DecodeResponse
// folds a whole event-stream body into one answer.
package kiro

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"unsafe"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// Codec is the Kiro codec.
var Codec dialect.Codec = codec{}

type codec struct{}

func (codec) Name() dialect.Name { return dialect.Kiro }

// errNotClient answers the client-side methods: no client speaks Kiro.
func errNotClient() *ir.Error {
	return &ir.Error{Kind: ir.KindInternal, Message: "kiro is an upstream dialect only; no client speaks it"}
}

func (codec) DecodeRequest([]byte) (*ir.Request, error) {
	e := errNotClient()
	e.Kind = ir.KindBadRequest
	return nil, e
}

func (codec) EncodeResponse(*ir.Response) ([]byte, error) { return nil, errNotClient() }

// NewStreamEncoder returns an encoder that writes nothing: the gateway
// never picks Kiro as a client's dialect.
func (codec) NewStreamEncoder(*ir.Request) dialect.StreamEncoder { return noEncoder{} }

type noEncoder struct{}

func (noEncoder) Encode(dst []byte, _ *ir.Event) []byte { return dst }

// EncodeError renders e the way AWS services word an error body.
func (codec) EncodeError(e *ir.Error) []byte {
	b := jsonw.AppendStringField([]byte("{"), "message", e.Message)
	if e.Type != "" {
		b = jsonw.AppendStringField(b, "__type", e.Type)
	}
	return append(b, '}')
}

func (codec) EncodeRequest(req *ir.Request) ([]byte, error) { return EncodeRequestWith(req, Options{}) }

func (codec) NewStreamDecoder() dialect.StreamDecoder { return newStreamDecoder() }

// DecodeResponse folds a whole answer (the event-stream bytes) into one
// response, as the stream path would.
func (codec) DecodeResponse(body []byte) (*ir.Response, error) {
	rd := sse.NewReader(SSEBody(io.NopCloser(bytes.NewReader(body))))
	dec := newStreamDecoder()
	var acc ir.Accumulator
	var evs []ir.Event
	for {
		ev, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Message: "kiro: " + err.Error()}
			}
			break
		}
		evs, err = dec.Decode(evs[:0], ev)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			acc.Add(&evs[i])
		}
		if e := acc.Err(); e != nil {
			return nil, e
		}
	}
	if !acc.Done() {
		return nil, &ir.Error{Kind: ir.KindStreamInterrupted, Message: "kiro: the answer ended before it finished"}
	}
	return acc.Response(), nil
}

// unsafeString views b as a string without copying, for lookups that do
// not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
