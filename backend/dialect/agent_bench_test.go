package dialect_test

// Codecs on agent-sized requests (see dialecttest/agentbody): a Claude
// Code, a Codex, a Gemini CLI and an OpenCode turn deep in a session, about 100 KB and
// 1 MB, decoded by the client's codec and encoded for every upstream.
// Besides -benchmem's B/op, each benchmark reports B/op relative to the
// client's body ("xbody"): the gateway's budget is about 1.5× the body for
// a pass-through and 4× for a translation, all steps together.
//
//	go test ./backend/dialect -run '^$' -bench Agent -benchmem

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/dialecttest/agentbody"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
)

// clientCodec is the codec of each shape's client.
var clientCodec = map[agentbody.Shape]dialect.Codec{
	agentbody.Claude: anthropic.Codec, agentbody.Codex: responses.Codec, agentbody.Gemini: gemini.Codec,
	agentbody.OpenCode: openai.Codec,
}

var agentSizes = []int{100_000, 1_000_000}

func agentBody(tb testing.TB, s agentbody.Shape, size int) []byte {
	tb.Helper()
	body, _, err := agentbody.Generate(agentbody.Options{Shape: s, Size: size, Seed: 1, Model: "bench-model"})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

func sizeName(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%gm", float64(n)/1e6)
	}
	return fmt.Sprintf("%dk", n/1000)
}

// TestAgentBodies: every shape decodes with its client's codec and encodes
// for every upstream dialect, the same bytes into the buffer the gateway
// lends (ir.Request.Scratch) when it has room.
func TestAgentBodies(t *testing.T) {
	for _, s := range agentbody.Shapes {
		req, err := clientCodec[s].DecodeRequest(agentBody(t, s, 100_000))
		if err != nil {
			t.Fatalf("%s: decode: %v", s, err)
		}
		if len(req.Tools) == 0 || len(req.Messages) < 10 {
			t.Fatalf("%s: decoded %d tools, %d messages", s, len(req.Tools), len(req.Messages))
		}
		for _, up := range codecs {
			out, err := up.EncodeRequest(req)
			if err != nil || !json.Valid(out) {
				t.Errorf("%s → %s: %v (valid JSON: %v)", s, up.Name(), err, json.Valid(out))
			}
			r := *req
			scratch := make([]byte, 7, 2*len(out)) // stale bytes in front must not matter
			r.Scratch = scratch
			got, err := up.EncodeRequest(&r)
			if err != nil {
				t.Fatalf("%s → %s with scratch: %v", s, up.Name(), err)
			}
			if !bytes.Equal(got, out) {
				t.Errorf("%s → %s: the encoding differs with a scratch buffer", s, up.Name())
			}
			if unsafe.SliceData(got) != unsafe.SliceData(scratch) {
				t.Errorf("%s → %s: the encoder did not write into the scratch buffer", s, up.Name())
			}
		}
	}
}

// perBody runs op in a benchmark loop and reports its allocated bytes per
// op relative to the body size.
func perBody(b *testing.B, body int, op func()) {
	b.SetBytes(int64(body))
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	n := 0
	for b.Loop() {
		op()
		n++
	}
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n)/float64(body), "xbody")
}

// BenchmarkAgentDecode decodes each shape with its client's codec.
func BenchmarkAgentDecode(b *testing.B) {
	for _, s := range agentbody.Shapes {
		for _, size := range agentSizes {
			body := agentBody(b, s, size)
			c := clientCodec[s]
			b.Run(fmt.Sprintf("%s/%s-%s", c.Name(), s, sizeName(size)), func(b *testing.B) {
				perBody(b, len(body), func() {
					if _, err := c.DecodeRequest(body); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkAgentEncode encodes each decoded shape for every upstream
// dialect (xbody is relative to the client's body).
func BenchmarkAgentEncode(b *testing.B) {
	for _, s := range agentbody.Shapes {
		for _, size := range agentSizes {
			body := agentBody(b, s, size)
			req, err := clientCodec[s].DecodeRequest(body)
			if err != nil {
				b.Fatal(err)
			}
			for _, up := range codecs {
				b.Run(fmt.Sprintf("%s/%s-%s", up.Name(), s, sizeName(size)), func(b *testing.B) {
					perBody(b, len(body), func() {
						if _, err := up.EncodeRequest(req); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		}
	}
}

// BenchmarkAgentTranslate is the whole request side of a translation:
// decode the client's body, encode it for the upstream.
func BenchmarkAgentTranslate(b *testing.B) {
	for _, s := range agentbody.Shapes {
		for _, size := range agentSizes {
			body := agentBody(b, s, size)
			for _, up := range codecs {
				if up.Name() == clientCodec[s].Name() {
					continue
				}
				b.Run(fmt.Sprintf("%s-%s/to-%s", s, sizeName(size), up.Name()), func(b *testing.B) {
					perBody(b, len(body), func() {
						req, err := clientCodec[s].DecodeRequest(body)
						if err == nil {
							_, err = up.EncodeRequest(req)
						}
						if err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		}
	}
}
