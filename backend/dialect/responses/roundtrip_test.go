package responses

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// What a Responses upstream can carry back: thinking only when OpenAI
// signed it, no message item ids, no item ids without their kind's prefix,
// tool output text joined, system text as one block. normalize applies
// exactly those losses, so decode(encode(decode(body))) must equal
// decode(body) once both are normalized.
func normalize(req *ir.Request) *ir.Request {
	out := *req
	out.System = nil
	var sys []string
	for _, b := range req.System { // developer item ids are not sent upstream
		sys = append(sys, b.Text)
	}
	if len(sys) > 0 {
		out.System = []ir.Block{{Type: ir.BlockText, Text: strings.Join(sys, "\n\n")}}
	}
	out.Messages = nil
	for _, m := range req.Messages {
		var blocks []ir.Block
		for _, b := range m.Content {
			if nb, keep := normalizeBlock(b); keep {
				blocks = append(blocks, nb)
			}
		}
		if len(blocks) > 0 {
			out.Messages = append(out.Messages, ir.Message{Role: m.Role, Content: blocks})
		}
	}
	out.Tools = slices.Clone(req.Tools)
	for i := range out.Tools {
		if out.Tools[i].Kind == ir.ToolKindFunction && len(out.Tools[i].Parameters) == 0 {
			out.Tools[i].Parameters = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		if out.Tools[i].Kind != ir.ToolKindFunction || isCustomTool(&out.Tools[i]) {
			out.Tools[i].Description = gjsonStr(out.Tools[i].Raw, "description")
			out.Tools[i].Name = gjsonStr(out.Tools[i].Raw, "name")
		}
	}
	return &out
}

func gjsonStr(raw json.RawMessage, key string) string {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	s, _ := m[key].(string)
	return s
}

func normalizeBlock(b ir.Block) (ir.Block, bool) {
	switch b.Type {
	case ir.BlockThinking:
		return b, b.Origin == ir.OriginOpenAI && b.Signature != ""
	case ir.BlockRedactedThinking:
		return b, false
	case ir.BlockText:
		b.ID = ""
	case ir.BlockToolUse:
		if !strings.HasPrefix(b.ID, prefixFunction) && !strings.HasPrefix(b.ID, prefixCustom) {
			b.ID = ""
		}
	case ir.BlockToolResult:
		if text, ok := plainText(b.Content); ok {
			b.Content = nil
			if text != "" {
				b.Content = []ir.Block{{Type: ir.BlockText, Text: text}}
			}
		}
	}
	return b, true
}

func TestRequestRoundTrip(t *testing.T) {
	for _, name := range cases(t, "decode_request", ".json") {
		t.Run(name, func(t *testing.T) {
			first, err := Codec.DecodeRequest(dialecttest.Read(t, path("decode_request", name, ".json")))
			if err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeRequest(first)
			if err != nil {
				t.Fatal(err)
			}
			second, err := Codec.DecodeRequest(body)
			if err != nil {
				t.Fatalf("re-decode: %v\n%s", err, body)
			}
			want, _ := json.Marshal(normalize(first))
			got, _ := json.Marshal(normalize(second))
			if !bytes.Equal(want, got) {
				t.Fatalf("round trip changed the request\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for _, name := range cases(t, "decode_response", ".json") {
		t.Run(name, func(t *testing.T) {
			first, err := Codec.DecodeResponse(dialecttest.Read(t, path("decode_response", name, ".json")))
			if err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeResponse(first)
			if err != nil {
				t.Fatal(err)
			}
			second, err := Codec.DecodeResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(first)
			got, _ := json.Marshal(second)
			if !bytes.Equal(want, got) {
				t.Fatalf("round trip changed the response\n got %s\nwant %s", got, want)
			}
		})
	}
}

// blockView is what survives a Responses stream for a block.
type blockView struct {
	Type, Text, Tool, CallID, Input, Signature string
}

func viewBlocks(t *testing.T, r *ir.Response) []blockView {
	t.Helper()
	var out []blockView
	for _, b := range r.Content {
		v := blockView{Type: string(b.Type), Text: b.Text, Tool: b.ToolName, CallID: b.ToolCallID, Signature: b.Signature}
		if len(b.Input) > 0 {
			var buf bytes.Buffer
			if err := json.Compact(&buf, b.Input); err != nil {
				t.Fatalf("tool input is not JSON: %s", b.Input)
			}
			v.Input = buf.String()
		}
		out = append(out, v)
	}
	return out
}

func accumulate(evs []ir.Event) *ir.Accumulator {
	var acc ir.Accumulator
	for i := range evs {
		acc.Add(&evs[i])
	}
	return &acc
}

// Hub events → client SSE (our encoder) → hub events (our decoder) keeps
// content, stop reason, usage and errors.
func TestStreamRoundTrip(t *testing.T) {
	for _, name := range []string{"text", "reasoning_tools", "max_tokens", "error_mid_stream"} {
		t.Run(name, func(t *testing.T) {
			var views []dialecttest.EventView
			readJSON(t, path("encode_stream", name, ".events.json"), &views)
			orig := eventsFromViews(t, views)
			back, complete := decodeSSE(t, encodeEvents(&ir.Request{Model: "m"}, orig))
			if !complete {
				t.Fatal("re-decoded stream is incomplete")
			}
			checkWellFormed(t, back)
			a, b := accumulate(orig), accumulate(back)
			if (a.Err() == nil) != (b.Err() == nil) || (a.Err() != nil && a.Err().Kind != b.Err().Kind) {
				t.Fatalf("error changed: %v → %v", a.Err(), b.Err())
			}
			if a.Err() != nil {
				return
			}
			ra, rb := a.Response(), b.Response()
			if ra.StopReason != rb.StopReason || ra.Usage != rb.Usage {
				t.Errorf("stop/usage changed: %v %+v → %v %+v", ra.StopReason, ra.Usage, rb.StopReason, rb.Usage)
			}
			va, vb := viewBlocks(t, ra), viewBlocks(t, rb)
			for i := range va { // a call id the hub lacked was generated
				if i < len(vb) && va[i].Type == "tool_use" && va[i].CallID == "" {
					vb[i].CallID = ""
				}
			}
			if !slices.Equal(va, vb) {
				t.Errorf("blocks changed\n got %+v\nwant %+v", vb, va)
			}
		})
	}
}

// A custom tool call streamed to Codex and streamed back from a Responses
// upstream keeps its free-text input.
func TestStreamRoundTripCustomTool(t *testing.T) {
	req := &ir.Request{Model: "m", Tools: []ir.Tool{{Kind: ir.ToolKindFunction, Name: "apply_patch",
		Raw: json.RawMessage(`{"type":"custom","name":"apply_patch"}`)}}}
	input := `{"input":"*** Begin Patch\n*** Add File: \"a\\b\".txt\n\u00e9\n*** End Patch"}`
	orig := []ir.Event{
		{Type: ir.EvMessageStart, ID: "x", Model: "m"},
		{Type: ir.EvBlockStart, Index: 0, Block: &ir.Block{Type: ir.BlockToolUse, ToolCallID: "c1", ToolName: "apply_patch"}},
		{Type: ir.EvToolArgsDelta, Index: 0, Text: input[:20]},
		{Type: ir.EvToolArgsDelta, Index: 0, Text: input[20:]},
		{Type: ir.EvBlockStop, Index: 0},
		{Type: ir.EvMessageStop, Stop: ir.StopToolUse},
	}
	back, _ := decodeSSE(t, encodeEvents(req, orig))
	got := accumulate(back).Response().Content[0]
	var want, have any
	_ = json.Unmarshal([]byte(input), &want)
	if err := json.Unmarshal(got.Input, &have); err != nil || !reflect.DeepEqual(want, have) ||
		got.ToolName != "apply_patch" || got.ToolCallID != "c1" {
		t.Fatalf("custom call changed: %s %s %s", got.ToolName, got.ToolCallID, got.Input)
	}
}

// Codex replays the reasoning items it was streamed. Foreign signatures
// must come back with their true origin (so an Anthropic upstream gets its
// signature and OpenAI never sees it).
func TestClientReplayRestoresOrigin(t *testing.T) {
	var views []dialecttest.EventView
	readJSON(t, path("encode_stream", "foreign_thinking", ".events.json"), &views)
	frames := checkFrames(t, encodeEvents(&ir.Request{Model: "m"}, eventsFromViews(t, views)))
	output := frames[len(frames)-1]["response"].(map[string]any)["output"]
	input := []any{map[string]any{"role": "user", "content": "hi"}}
	input = append(input, output.([]any)...)
	input = append(input, map[string]any{"type": "function_call_output", "call_id": "toolu_1", "output": "ok"})
	body, _ := json.Marshal(map[string]any{"model": "m", "input": input})
	req, err := Codec.DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	asst := req.Messages[1].Content
	if asst[0].Type != ir.BlockThinking || asst[0].Origin != ir.OriginAnthropic || asst[0].Signature != "EqQBCkYIBRgC" ||
		asst[0].Text != "Let me think" {
		t.Errorf("thinking = %+v", asst[0])
	}
	if asst[1].Type != ir.BlockRedactedThinking || asst[1].Origin != ir.OriginAnthropic || asst[1].Data != "RedactedPayload" {
		t.Errorf("redacted = %+v", asst[1])
	}
	if asst[2].Type != ir.BlockThinking || asst[2].Signature != "" {
		t.Errorf("unsigned thinking = %+v", asst[2])
	}
	body, _ = Codec.EncodeRequest(req)
	if bytes.Contains(body, []byte("EqQBCkYIBRgC")) || bytes.Contains(body, []byte("RedactedPayload")) {
		t.Errorf("a foreign signature reached a Responses upstream: %s", body)
	}
}
