package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// normalize applies what a trip through Chat Completions loses by design
// (see EncodeRequestWith), so decode(encode(r)) can be compared with r.
func normalize(r *ir.Request) *ir.Request {
	n := *r
	n.System = joinBlocks(r.System)
	n.TopK = nil
	n.IncludeUsage = r.Stream
	n.Messages = nil
	for _, m := range r.Messages {
		n.Messages = append(n.Messages, normalizeMessage(m)...)
	}
	n.Tools = nil
	for _, t := range r.Tools {
		if t.Kind == ir.ToolKindFunction {
			t.CacheControl = nil
			if len(t.Parameters) == 0 {
				t.Parameters = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			t.Parameters = compact(t.Parameters)
			n.Tools = append(n.Tools, t)
		}
	}
	if len(n.Tools) == 0 {
		n.ToolChoice, n.ParallelToolCalls = nil, nil
	}
	n.Reasoning = nil
	if e := reasoningEffort(r.Reasoning); e != "" {
		n.Reasoning = &ir.Reasoning{Effort: e, Disabled: e == "none"}
	}
	if rf := r.ResponseFormat; rf != nil && rf.Type == "json_schema" {
		c := *rf
		if c.Name == "" {
			c.Name = "response"
		}
		c.Schema = compact(c.Schema)
		n.ResponseFormat = &c
	}
	return &n
}

func normalizeMessage(m ir.Message) []ir.Message {
	switch m.Role {
	case ir.RoleSystem:
		return []ir.Message{{Role: m.Role, Content: joinBlocks(m.Content)}}
	case ir.RoleAssistant:
		out := joinBlocks(m.Content)
		for _, b := range m.Content {
			if b.Type == ir.BlockToolUse {
				b.Input = compact(b.Input)
				out = append(out, b)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return []ir.Message{{Role: m.Role, Content: out}}
	}
	var results, rest []ir.Block
	for _, b := range m.Content {
		switch {
		case b.Type == ir.BlockToolResult:
			b.Content = joinBlocks(b.Content)
			b.IsError = false
			results = append(results, b)
		case b.Type == ir.BlockImage || b.Text != "":
			b.CacheControl = nil
			rest = append(rest, b)
		}
	}
	var out []ir.Message
	if len(results) > 0 {
		out = append(out, ir.Message{Role: ir.RoleUser, Content: results})
	}
	if len(rest) > 0 {
		out = append(out, ir.Message{Role: ir.RoleUser, Content: rest})
	}
	return out
}

// joinBlocks joins text blocks into one, as the encoder does for system
// prompts, assistant text and tool results.
func joinBlocks(bs []ir.Block) []ir.Block {
	if t := joinText(bs, ir.BlockText, "\n\n"); t != "" {
		return []ir.Block{{Type: ir.BlockText, Text: t}}
	}
	return nil
}

func compact(raw json.RawMessage) json.RawMessage {
	var sb strings.Builder
	if len(raw) == 0 {
		return raw
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	sb.Write(b)
	return json.RawMessage(sb.String())
}

func TestRequestRoundTrip(t *testing.T) {
	var cases []string
	for _, in := range inputs(t, "decode_request", ".json") {
		if !strings.HasPrefix(name(in), "bad_") {
			cases = append(cases, in)
		}
	}
	cases = append(cases, inputs(t, "encode_request", ".ir.json")...)
	for _, in := range cases {
		t.Run(name(in), func(t *testing.T) {
			var want *ir.Request
			if strings.HasSuffix(in, ".ir.json") {
				want = readIR[ir.Request](t, in)
				dropToolResultImages(want) // they move to a user message by design

			} else {
				var err error
				if want, err = Codec.DecodeRequest(dialecttest.Read(t, in)); err != nil {
					t.Fatal(err)
				}
			}
			body, err := Codec.EncodeRequest(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Codec.DecodeRequest(body)
			if err != nil {
				t.Fatalf("decode of our own body: %v\n%s", err, body)
			}
			g, w := normalize(got), normalize(want)
			if !reflect.DeepEqual(g, w) {
				gj, _ := json.Marshal(g)
				wj, _ := json.Marshal(w)
				t.Fatalf("round trip changed the request\n got %s\nwant %s", gj, wj)
			}
		})
	}
}

func dropToolResultImages(r *ir.Request) {
	for _, m := range r.Messages {
		for i := range m.Content {
			b := &m.Content[i]
			if b.Type != ir.BlockToolResult {
				continue
			}
			kept := b.Content[:0:0]
			for _, c := range b.Content {
				if c.Type != ir.BlockImage {
					kept = append(kept, c)
				}
			}
			b.Content = kept
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for _, in := range inputs(t, "encode_response", ".ir.json") {
		t.Run(name(name(in)), func(t *testing.T) {
			want := readIR[ir.Response](t, in)
			body, _ := Codec.EncodeResponse(want)
			got, err := Codec.DecodeResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			var wantContent []ir.Block
			if th := joinText(want.Content, ir.BlockThinking, ""); th != "" {
				wantContent = append(wantContent, ir.Block{Type: ir.BlockThinking, Text: th})
			}
			if tx := joinText(want.Content, ir.BlockText, ""); tx != "" {
				wantContent = append(wantContent, ir.Block{Type: ir.BlockText, Text: tx})
			}
			for _, b := range want.Content {
				if b.Type == ir.BlockToolUse {
					if len(b.Input) == 0 {
						b.Input = json.RawMessage("{}")
					}
					wantContent = append(wantContent, ir.Block{Type: b.Type, ToolCallID: b.ToolCallID, ToolName: b.ToolName, Input: compact(b.Input)})
				}
			}
			for i := range got.Content {
				got.Content[i].Input = compact(got.Content[i].Input)
			}
			if len(wantContent) == 0 {
				wantContent = []ir.Block{}
			}
			if !reflect.DeepEqual(got.Content, wantContent) {
				t.Errorf("content: got %+v want %+v", got.Content, wantContent)
			}
			wantStop := stopFromFinish(finishFromStop(fixStop(want.StopReason, want.Content)))
			if got.StopReason != wantStop {
				t.Errorf("stop: got %s want %s", got.StopReason, wantStop)
			}
			wantUsage := want.Usage
			wantUsage.CacheCreationTokens = 0
			if got.Usage != wantUsage {
				t.Errorf("usage: got %+v want %+v", got.Usage, wantUsage)
			}
		})
	}
}

// TestStreamRoundTrip decodes each upstream fixture, encodes the events for
// a client that asked for usage, decodes that again, and checks both
// streams fold to the same answer.
func TestStreamRoundTrip(t *testing.T) {
	for _, in := range inputs(t, "stream_decode", ".sse") {
		t.Run(name(in), func(t *testing.T) {
			evs, complete, err := decodeStream(t, dialecttest.Read(t, in))
			if err != nil || !complete {
				t.Skip("incomplete upstream stream")
			}
			out := encodeStream(Codec.NewStreamEncoder(&ir.Request{Model: "m", IncludeUsage: true}), evs)
			evs2, complete2, err := decodeStream(t, out)
			if err != nil || !complete2 {
				t.Fatalf("re-decode: complete=%v err=%v\n%s", complete2, err, out)
			}
			a, b := fold(evs), fold(evs2)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip changed the stream\n got %+v\nwant %+v\n%s", b, a, out)
			}
		})
	}
}

type folded struct {
	Content []ir.Block
	Stop    ir.StopReason
	Usage   ir.Usage
	Err     string
}

func fold(evs []ir.Event) folded {
	var acc ir.Accumulator
	for i := range evs {
		acc.Add(&evs[i])
	}
	r := acc.Response()
	f := folded{Content: r.Content, Stop: r.StopReason, Usage: r.Usage}
	if e := acc.Err(); e != nil {
		f = folded{Content: r.Content, Err: e.Kind.String() + ": " + e.Message}
	}
	return f
}
