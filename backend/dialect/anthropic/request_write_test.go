package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"switchboard/backend/ir"
)

// Raw JSON in the IR that is not JSON fails the request as a bad request
// naming the member, instead of reaching the upstream as a broken body.
func TestEncodeRequestRejectsInvalidRawJSON(t *testing.T) {
	user := []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}}
	bad := json.RawMessage(`{"type":`)
	for _, tt := range []struct {
		name, member string
		req          ir.Request
	}{
		{"schema", "input_schema", ir.Request{Messages: user, Tools: []ir.Tool{{Kind: ir.ToolKindFunction, Name: "f", Parameters: bad}}}},
		{"tool cache_control", "cache_control", ir.Request{Messages: user, Tools: []ir.Tool{{Name: "f", CacheControl: bad}}}},
		{"block cache_control", "cache_control", ir.Request{Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi", CacheControl: bad}}}}}},
		{"server tool", "tools", ir.Request{Messages: user, Tools: []ir.Tool{{Kind: "web_search_20250305", Raw: bad}}}},
		{"response schema", "schema", ir.Request{Messages: user, ResponseFormat: &ir.ResponseFormat{Type: "json_schema", Schema: bad}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model = "claude-sonnet-4-5"
			body, err := Codec.EncodeRequest(&tt.req)
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != ir.KindBadRequest || !strings.Contains(e.Message, tt.member) {
				t.Fatalf("err = %v (body %s), want a bad request naming %s", err, body, tt.member)
			}
		})
	}
}

// A long text decoded from an Anthropic body goes back out as the client
// wrote it (its escapes copied, not decoded and escaped again), and the
// body stays valid.
func TestEncodeRequestCopiesWrittenTexts(t *testing.T) {
	long := strings.Repeat(`see \/usr\/bin and caf\u00e9\n`, 20)
	in := `{"model":"m","max_tokens":10,"system":"` + long + `","messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"}]}]}`
	req, err := Codec.DecodeRequest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Codec.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	if n := strings.Count(string(out), long); n != 2 {
		t.Fatalf("the written form appears %d times, want 2 (system and message): %s", n, out)
	}
}

// Encoding never writes to the caller's IR (the router may encode the same
// IR again for another upstream): turns that need no change are shared,
// and merging them, adding reminders or pairing results must copy, spare
// capacity included.
func TestEncodeRequestLeavesTheIRAlone(t *testing.T) {
	roomy := func(blocks ...ir.Block) []ir.Block { return append(make([]ir.Block, 0, 8), blocks...) }
	text := func(s string) ir.Block { return ir.Block{Type: ir.BlockText, Text: s} }
	req := &ir.Request{Model: "claude-sonnet-4-5", Messages: []ir.Message{
		{Role: ir.RoleUser, Content: roomy(text("one"))},
		{Role: ir.RoleUser, Content: roomy(text("two"))}, // merged into the first
		{Role: ir.RoleAssistant, Content: roomy(text("calling"),
			ir.Block{Type: ir.BlockToolUse, ToolCallID: "toolu_1", ToolName: "f", Input: json.RawMessage(`{}`)},
			ir.Block{Type: ir.BlockToolUse, ToolCallID: "toolu_2", ToolName: "f", Input: json.RawMessage(`{}`)})},
		{Role: ir.RoleUser, Content: roomy(ir.Block{Type: ir.BlockToolResult, ToolCallID: "toolu_2",
			Content: []ir.Block{text("r2")}})}, // toolu_1's result is missing: synthesised
		{Role: ir.RoleSystem, Content: roomy(text("mind the tests"))}, // a reminder in the user turn before
		{Role: ir.RoleAssistant, Content: roomy(text("done"))},
		{Role: ir.RoleUser, Content: roomy(text("thanks"))},
		{Role: ir.RoleSystem, Content: roomy(text("trailing"))}, // joins the last user turn
	}}
	before, _ := json.Marshal(req)
	spare := func() []ir.Block {
		var out []ir.Block
		for _, m := range req.Messages {
			out = append(out, m.Content[len(m.Content):cap(m.Content)]...)
		}
		return out
	}
	first, err := Codec.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(req)
	if string(before) != string(after) {
		t.Fatalf("the IR changed:\n%s\n%s", before, after)
	}
	for _, b := range spare() {
		if b.Type != "" {
			t.Fatalf("a block was written into the IR's spare capacity: %+v", b)
		}
	}
	again, _ := Codec.EncodeRequest(req)
	if string(first) != string(again) {
		t.Fatalf("a second encoding differs:\n%s\n%s", first, again)
	}
	for _, want := range []string{`"text":"two"`, `"tool_use_id":"toolu_1","content":"No result`, "mind the tests", "trailing"} {
		if !strings.Contains(string(first), want) {
			t.Fatalf("body lacks %s: %s", want, first)
		}
	}
}
