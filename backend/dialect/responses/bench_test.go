package responses

import (
	"fmt"
	"os"
	"testing"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

func codexBody(b *testing.B) []byte {
	body, err := os.ReadFile("testdata/decode_request/codex_tool_exec.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeRequest decodes a real 40 KB Codex request (9 tools).
func BenchmarkDecodeRequest(b *testing.B) {
	body := codexBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Codec.DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeRequest encodes the same Codex conversation for a
// Responses upstream.
func BenchmarkEncodeRequest(b *testing.B) {
	req, err := Codec.DecodeRequest(codexBody(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Codec.EncodeRequest(req); err != nil {
			b.Fatal(err)
		}
	}
}

// upstreamStream is a typical 50-event Responses stream: handshake, one
// message of 44 text deltas, its done events and response.completed.
func upstreamStream() []sse.Event {
	ev := func(typ, data string) sse.Event { return sse.Event{Name: []byte(typ), Data: []byte(data)} }
	evs := []sse.Event{
		ev("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-5","output":[]}}`),
		ev("response.in_progress", `{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}`),
		ev("response.output_item.added", `{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}`),
		ev("response.content_part.added", `{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}`),
	}
	for i := range 44 {
		evs = append(evs, ev("response.output_text.delta", fmt.Sprintf(
			`{"type":"response.output_text.delta","sequence_number":%d,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"word %d, ","logprobs":[]}`, i+4, i)))
	}
	evs = append(evs,
		ev("response.content_part.done", `{"type":"response.content_part.done","sequence_number":48,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"…","annotations":[]}}`),
		ev("response.completed", `{"type":"response.completed","sequence_number":49,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024},"output_tokens":132,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":1332}}}`))
	return evs
}

func BenchmarkStreamDecode(b *testing.B) {
	stream := upstreamStream()
	evs := make([]ir.Event, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dec := Codec.NewStreamDecoder()
		evs = evs[:0]
		for _, ev := range stream {
			var err error
			if evs, err = dec.Decode(evs, ev); err != nil {
				b.Fatal(err)
			}
		}
		if _, ok := dec.End(evs); !ok {
			b.Fatal("incomplete")
		}
	}
}

// hubStream is the same answer as hub events (50 of them).
func hubStream() []ir.Event {
	u := ir.Usage{InputTokens: 1200, OutputTokens: 132, CachedTokens: 1024}
	evs := []ir.Event{{Type: ir.EvMessageStart, ID: "msg_1", Model: "claude-sonnet-4-5"},
		{Type: ir.EvBlockStart, Index: 0, Block: &ir.Block{Type: ir.BlockText}}}
	for i := range 46 {
		evs = append(evs, ir.Event{Type: ir.EvTextDelta, Index: 0, Text: fmt.Sprintf("word %d, ", i)})
	}
	return append(evs, ir.Event{Type: ir.EvBlockStop, Index: 0}, ir.Event{Type: ir.EvUsage, Usage: &u},
		ir.Event{Type: ir.EvMessageStop, Stop: ir.StopEndTurn})
}

func BenchmarkStreamEncode(b *testing.B) {
	stream := hubStream()
	req := &ir.Request{Model: "gpt-5"}
	out := make([]byte, 0, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		enc := Codec.NewStreamEncoder(req)
		out = out[:0]
		for i := range stream {
			out = enc.Encode(out, &stream[i])
		}
	}
}
