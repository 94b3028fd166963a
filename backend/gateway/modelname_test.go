package gateway

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tidwall/sjson"

	"switchboard/backend/dialect"
)

func TestSetAnswerModel(t *testing.T) {
	cases := []struct {
		d          dialect.Name
		body, want string
	}{
		{dialect.OpenAIChat, `{"id":"x","model":"gpt-5-2025","choices":[]}`, `{"id":"x","model":"combo\"1","choices":[]}`},
		{dialect.Anthropic, `{"content":[{"type":"tool_use","input":{"model":"keep"}}], "model" : "claude-x"}`,
			`{"content":[{"type":"tool_use","input":{"model":"keep"}}], "model" : "combo\"1"}`},
		{dialect.Responses, `{"model":"combo\"1","output":[]}`, `{"model":"combo\"1","output":[]}`},
		{dialect.Gemini, `{"candidates":[{"content":{"parts":[{"functionCall":{"args":{"modelVersion":"keep"}}}]}}],"modelVersion":"gemini-3"}`,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"args":{"modelVersion":"keep"}}}]}}],"modelVersion":"combo\"1"}`},
		{dialect.OpenAIChat, `{"id":"x","choices":[]}`, `{"id":"x","choices":[]}`}, // no model: nothing added
	}
	for _, c := range cases {
		if got := string(setAnswerModel([]byte(c.body), c.d, `combo"1`)); got != c.want {
			t.Errorf("%s: got %s\nwant %s", c.d, got, c.want)
		}
	}
}

func TestModelRewriterStream(t *testing.T) {
	cases := []struct {
		d        dialect.Name
		raw, out string
	}{
		{dialect.OpenAIChat,
			"data: {\"id\":\"c\",\"model\":\"up\",\"choices\":[{\"delta\":{\"content\":\"\\\"model\\\":\\\"x\\\"\"}}]}\n\ndata: {\"model\": \"up\"}\r\n\r\ndata: [DONE]\n\n",
			"data: {\"id\":\"c\",\"model\":\"al\",\"choices\":[{\"delta\":{\"content\":\"\\\"model\\\":\\\"x\\\"\"}}]}\n\ndata: {\"model\": \"al\"}\r\n\r\ndata: [DONE]\n\n"},
		{dialect.Anthropic,
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-up\",\"content\":[]}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"content_block\":{\"type\":\"tool_use\",\"input\":{\"model\":\"k\"}}}\n\n",
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"al\",\"content\":[]}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"content_block\":{\"type\":\"tool_use\",\"input\":{\"model\":\"k\"}}}\n\n"},
		{dialect.Responses,
			"event: response.created\ndata:{\"type\":\"response.created\",\"response\":{\"model\":\"gpt-up\",\"tools\":[{\"parameters\":{\"properties\":{\"model\":{}}}}]}}\n\nevent: response.output_text.delta\ndata: {\"delta\":\"model\"}\n\n",
			"event: response.created\ndata:{\"type\":\"response.created\",\"response\":{\"model\":\"al\",\"tools\":[{\"parameters\":{\"properties\":{\"model\":{}}}}]}}\n\nevent: response.output_text.delta\ndata: {\"delta\":\"model\"}\n\n"},
		{dialect.Gemini,
			"data: {\"candidates\":[],\"modelVersion\":\"gemini-3\"}\n\n",
			"data: {\"candidates\":[],\"modelVersion\":\"al\"}\n\n"},
		{dialect.OpenAIChat, "data: {\"model\":\"al\"}\n\n", "data: {\"model\":\"al\"}\n\n"},
		{dialect.OpenAIChat, "data: {\"model\":\"u", "data: {\"model\":\"u"}, // an incomplete event is left alone
	}
	for _, c := range cases {
		m := newModelRewriter(c.d, "al")
		if got := string(m.rewrite([]byte(c.raw))); got != c.out {
			t.Errorf("%s:\n got %q\nwant %q", c.d, got, c.out)
		}
	}
}

// One rewriter renames a whole stream: a chunk that begins like the last
// renamed one up to its model reuses where the model was; any other is
// looked up again (a new id, another model, a model already the client's,
// lines ended by CR alone).
func TestModelRewriterAcrossChunks(t *testing.T) {
	m := newModelRewriter(dialect.OpenAIChat, "al")
	for i, c := range []struct{ raw, out string }{
		{`data: {"id":"c1","model":"up","choices":[{"delta":{"content":"a"}}]}` + "\n\n",
			`data: {"id":"c1","model":"al","choices":[{"delta":{"content":"a"}}]}` + "\n\n"},
		{`data: {"id":"c1","model":"up","choices":[{"delta":{"content":"bb"}}]}` + "\n\n",
			`data: {"id":"c1","model":"al","choices":[{"delta":{"content":"bb"}}]}` + "\n\n"},
		{`data: {"id":"c22","model":"up","choices":[]}` + "\n\n", `data: {"id":"c22","model":"al","choices":[]}` + "\n\n"},
		{`data: {"id":"c22","model":"up2","choices":[]}` + "\n\n", `data: {"id":"c22","model":"al","choices":[]}` + "\n\n"},
		{`data: {"id":"c22","model":"up"}`, `data: {"id":"c22","model":"al"}`},
		{`data: {"id":"c22","model":"al","x":1}` + "\n\n", `data: {"id":"c22","model":"al","x":1}` + "\n\n"},
		{`data: {"id":"c22","mode":"up","model":"up"}` + "\r\r" + `data: {"id":"c22","model":"up"}` + "\r\r",
			`data: {"id":"c22","mode":"up","model":"al"}` + "\r\r" + `data: {"id":"c22","model":"al"}` + "\r\r"},
		{`data: {"id":"c22","model":"up"` + "\n" + `data: ,"more":1}` + "\n\n", `data: {"id":"c22","model":"al"` + "\n" + `data: ,"more":1}` + "\n\n"},
	} {
		if got := string(m.rewrite([]byte(c.raw))); got != c.out {
			t.Errorf("chunk %d:\n got %q\nwant %q", i, got, c.out)
		}
	}
}

func BenchmarkModelRewriterChunk(b *testing.B) {
	raw := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-5-2025-08-07","choices":[{"index":0,"delta":{"content":"Hello there"},"finish_reason":null}]}` + "\n\n")
	m := newModelRewriter(dialect.OpenAIChat, "openai/gpt-5")
	b.ReportAllocs()
	for b.Loop() {
		m.rewrite(raw)
	}
}

// An Anthropic burst names no model after message_start: the rename must
// cost little on the text deltas that make most of a stream.
func BenchmarkModelRewriterDeltas(b *testing.B) {
	var raw []byte
	for i := range 16 {
		raw = fmt.Appendf(raw, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"word %d of the \\\"answer\\\", and more\"}}\n\n", i)
	}
	m := newModelRewriter(dialect.Anthropic, "ant/claude")
	m.rewrite([]byte(`event: message_start` + "\n" + `data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[]}}` + "\n\n"))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if out := m.rewrite(raw); len(out) != len(raw) {
			b.Fatal("a delta was renamed")
		}
	}
}

// A pass-through body names the upstream's model exactly as sjson's
// rewrite did, without copying or changing the client's bytes.
func TestModelParts(t *testing.T) {
	cases := []struct {
		d    dialect.Name
		body string
	}{
		{dialect.Anthropic, `{"model":"ant/claude","max_tokens":8,"messages":[]}`},
		{dialect.Anthropic, `{"messages":[{"role":"user","content":[{"type":"tool_use","input":{"model":"keep"}}]}], "model" : "ant/claude"}`},
		{dialect.OpenAIChat, `{"messages":[],"model":"oai/\u0067pt\"5","stream":true}`},
		{dialect.Responses, `{"input":"hi","model":"up-model"}`}, // already the upstream's name
		{dialect.Responses, `{"input":"hi"}`},                    // no model: one is added
		{dialect.OpenAIChat, `{}`},
		{dialect.Gemini, `{"contents":[],"model":"not-read"}`}, // the model is in the URL
	}
	for _, c := range cases {
		body := []byte(c.body)
		parts := modelParts(body, c.d, "up-model")
		got := bytes.Join(parts, nil)
		want := body
		if c.d != dialect.Gemini {
			want, _ = sjson.SetBytes(body, "model", "up-model")
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s %s:\n got %s\nwant %s", c.d, c.body, got, want)
		}
		if string(body) != c.body {
			t.Errorf("%s: the client's body changed: %s", c.d, body)
		}
		if len(parts) == 3 && (&parts[0][0] != &body[0] || len(parts[0])+len(parts[1])+len(parts[2]) != len(got)) {
			t.Errorf("%s: the parts do not alias the client's body", c.d)
		}
		if bytes.Equal(got, body) && (len(parts) != 1 || &parts[0][0] != &body[0]) {
			t.Errorf("%s: an unchanged body was copied", c.d)
		}
	}
}

// Remembering where the last chunk's model was never changes a rename: a
// chunk renamed after another gets what a fresh rewriter makes of it.
func FuzzModelRewriterMemo(f *testing.F) {
	f.Add(`data: {"id":"c1","model":"up","choices":[]}`+"\n\n", `data: {"id":"c1","model":"up2","choices":[]}`+"\n\n")
	f.Add(`data: {"id":"c1","model":"up"}`+"\n\n", `data: {"id":"c1","model":"up"}`+"\r\rdata: {\"model\":\"x\"}\n\n")
	f.Add(`data: {"id":"c","model":"up","a":1}`, `data: {"id":"c","model":"up"`)
	f.Fuzz(func(t *testing.T, first, next string) {
		for _, d := range []dialect.Name{dialect.OpenAIChat, dialect.Anthropic} {
			warm := newModelRewriter(d, "al")
			warm.rewrite([]byte(first))
			got := string(warm.rewrite([]byte(next)))
			if want := string(newModelRewriter(d, "al").rewrite([]byte(next))); got != want {
				t.Fatalf("%s after %q: %q, a fresh rewriter %q", d, first, got, want)
			}
		}
	})
}

// newModelRewriter is a fresh rewriter, as a stream's pooled one is after
// reset.
func newModelRewriter(d dialect.Name, model string) *modelRewriter {
	m := &modelRewriter{}
	m.reset(d, model)
	return m
}
