package anthropic

import (
	"fmt"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// The Claude Code tool-loop request: 24 tools, cached system blocks, a
// mid-conversation system message, a tool call and its result.
const benchRequest = "testdata/decode_request/claude_code_tool_read_2.json"

func BenchmarkDecodeRequest(b *testing.B) {
	body := dialecttest.Read(b, benchRequest)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Codec.DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req, err := Codec.DecodeRequest(dialecttest.Read(b, benchRequest))
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

// benchStream is a typical upstream answer: message_start, one text block
// of 50 deltas, message_delta, message_stop.
func benchStream() []sse.Event {
	var evs []sse.Event
	add := func(name, data string) { evs = append(evs, sse.Event{Name: []byte(name), Data: []byte(data)}) }
	add("message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2500,"cache_read_input_tokens":20000,"output_tokens":1}}}`)
	add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	for i := range 50 {
		add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token %d of a typical answer, \"quoted\"\n"}}`, i))
	}
	add("content_block_stop", `{"type":"content_block_stop","index":0}`)
	add("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":420}}`)
	add("message_stop", `{"type":"message_stop"}`)
	return evs
}

func BenchmarkStreamDecode(b *testing.B) {
	evs := benchStream()
	dst := make([]ir.Event, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		d := Codec.NewStreamDecoder()
		dst = dst[:0]
		for _, ev := range evs {
			var err error
			if dst, err = d.Decode(dst, ev); err != nil {
				b.Fatal(err)
			}
		}
		dst, _ = d.End(dst)
	}
}

func BenchmarkStreamEncode(b *testing.B) {
	src := benchStream()
	d := Codec.NewStreamDecoder()
	var evs []ir.Event
	for _, ev := range src {
		evs, _ = d.Decode(evs, ev)
	}
	req := &ir.Request{Model: "claude-sonnet-4-5"}
	out := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		enc := Codec.NewStreamEncoder(req)
		out = out[:0]
		for i := range evs {
			out = enc.Encode(out, &evs[i])
		}
	}
	if !strings.HasSuffix(string(out), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") {
		b.Fatal("stream not terminated")
	}
}
