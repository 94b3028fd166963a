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
