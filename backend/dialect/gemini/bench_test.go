package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

const benchCapture = "testdata/request_decode/capture_gemini_cli_tool_read_2.in.json"

// benchBody is the Gemini CLI capture, compact as the CLI sends it.
func benchBody(b *testing.B) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, dialecttest.Read(b, benchCapture)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Codec.DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeRequest encodes the Claude Code tool list with a short
// tool conversation: the common Claude Code → Gemini path.
func BenchmarkEncodeRequest(b *testing.B) {
	req, err := Codec.DecodeRequest(benchBody(b))
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

// benchStream is a typical 50-chunk answer: 10 thought chunks, 38 text
// chunks (one signed), a function call, and the finishing chunk.
func benchStream() []sse.Event {
	var evs []sse.Event
	add := func(parts, extra string) {
		evs = append(evs, sse.Event{Data: []byte(`{"candidates":[{"content":{"parts":[` + parts +
			`],"role":"model"},` + extra + `"index":0}],"usageMetadata":{"promptTokenCount":1200,"totalTokenCount":1200},"modelVersion":"gemini-2.5-flash","responseId":"bench-1"}`)})
	}
	for i := range 10 {
		add(fmt.Sprintf(`{"text":"thinking step %d about the problem at hand","thought":true}`, i), "")
	}
	for i := range 38 {
		sig := ""
		if i == 0 {
			sig = `,"thoughtSignature":"` + strings.Repeat("QUJD", 64) + `"`
		}
		add(fmt.Sprintf(`{"text":"word %d of a fairly ordinary streamed sentence, \"quoted\". "%s}`, i, sig), "")
	}
	add(`{"functionCall":{"name":"read_file","args":{"file_path":"/tmp/x.txt","start_line":1}}}`, "")
	evs = append(evs, sse.Event{Data: []byte(`{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1200,"candidatesTokenCount":400,"thoughtsTokenCount":300,"totalTokenCount":1900},"modelVersion":"gemini-2.5-flash","responseId":"bench-1"}`)})
	return evs
}

func BenchmarkStreamDecode(b *testing.B) {
	chunks := benchStream()
	dst := make([]ir.Event, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		d := Codec.NewStreamDecoder()
		for _, ev := range chunks {
			var err error
			if dst, err = d.Decode(dst[:0], ev); err != nil {
				b.Fatal(err)
			}
		}
		if _, ok := d.End(dst[:0]); !ok {
			b.Fatal("incomplete")
		}
	}
}

func BenchmarkStreamEncode(b *testing.B) {
	var evs []ir.Event
	d := Codec.NewStreamDecoder()
	for _, ev := range benchStream() {
		evs, _ = d.Decode(evs, ev)
	}
	evs, _ = d.End(evs)
	dst := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		enc := Codec.NewStreamEncoder(nil)
		dst = dst[:0]
		for i := range evs {
			dst = enc.Encode(dst, &evs[i])
		}
	}
}
