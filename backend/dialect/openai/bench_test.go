package openai

import (
	"fmt"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// The OpenCode tool-loop capture: ~12 KB, 10 tools, a tool call and result.
const benchRequest = "testdata/decode_request/opencode_tool_result.json"

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

// benchChunks is a typical 50-chunk upstream stream: role chunk, 47 text
// deltas, finish, usage (then [DONE]).
func benchChunks() []sse.Event {
	head := `{"id":"chatcmpl-B","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":`
	var evs []sse.Event
	add := func(s string) { evs = append(evs, sse.Event{Data: []byte(s)}) }
	add(head + `{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`)
	for i := 0; i < 47; i++ {
		add(head + fmt.Sprintf(`{"content":" word%d,"},"logprobs":null,"finish_reason":null}],"usage":null}`, i))
	}
	add(head + `{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`)
	add(`{"id":"chatcmpl-B","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":47,"total_tokens":147,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`)
	add("[DONE]")
	return evs
}

func BenchmarkStreamDecode(b *testing.B) {
	chunks := benchChunks()
	dst := make([]ir.Event, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		d := Codec.NewStreamDecoder()
		dst = dst[:0]
		for _, c := range chunks {
			var err error
			if dst, err = d.Decode(dst, c); err != nil {
				b.Fatal(err)
			}
		}
		dst, _ = d.End(dst)
	}
}

func BenchmarkStreamEncode(b *testing.B) {
	d := Codec.NewStreamDecoder()
	var evs []ir.Event
	for _, c := range benchChunks() {
		evs, _ = d.Decode(evs, c)
	}
	req := &ir.Request{Model: "gpt-4o-mini", IncludeUsage: true}
	out := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		e := Codec.NewStreamEncoder(req)
		out = out[:0]
		for i := range evs {
			out = e.Encode(out, &evs[i])
		}
	}
	if !strings.HasSuffix(string(out), sse.DoneFrame) {
		b.Fatal("stream not terminated")
	}
}

// TestHotPathAllocs pins the per-delta costs: encoding a text delta
// allocates nothing; decoding a chunk allocates its one string copy.
func TestHotPathAllocs(t *testing.T) {
	e := Codec.NewStreamEncoder(&ir.Request{Model: "m"})
	out := make([]byte, 0, 1<<16)
	out = e.Encode(out, &ir.Event{Type: ir.EvMessageStart})
	delta := &ir.Event{Type: ir.EvTextDelta, Text: "some \"streamed\" text\n"}
	if n := testing.AllocsPerRun(200, func() { out = e.Encode(out[:0], delta) }); n != 0 {
		t.Errorf("stream encode: %v allocs per text delta, want 0", n)
	}
	d := Codec.NewStreamDecoder()
	chunk := sse.Event{Data: []byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"word"},"finish_reason":null}]}`)}
	dst := make([]ir.Event, 0, 1024)
	dst, _ = d.Decode(dst, chunk)
	if n := testing.AllocsPerRun(200, func() { dst, _ = d.Decode(dst[:0], chunk) }); n > 1 {
		t.Errorf("stream decode: %v allocs per chunk, want <= 1", n)
	}
}
