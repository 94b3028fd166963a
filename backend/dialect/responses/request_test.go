package responses

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// Golden: client body (testdata/decode_request/X.json) → hub request (X.ir.json).
func TestDecodeRequestGolden(t *testing.T) {
	for _, name := range cases(t, "decode_request", ".json") {
		t.Run(name, func(t *testing.T) {
			req, err := Codec.DecodeRequest(dialecttest.Read(t, path("decode_request", name, ".json")))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.GoldenJSON(t, path("decode_request", name, ".ir.json"), req)
		})
	}
}

// Golden: hub request (testdata/encode_request/X.ir.json) → upstream body (X.body.json).
func TestEncodeRequestGolden(t *testing.T) {
	for _, name := range cases(t, "encode_request", ".ir.json") {
		t.Run(name, func(t *testing.T) {
			var req ir.Request
			readJSON(t, path("encode_request", name, ".ir.json"), &req)
			body, err := Codec.EncodeRequest(&req)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			dialecttest.Golden(t, path("encode_request", name, ".body.json"), body)
		})
	}
}

// The Codex captures go through decode then encode: what a Responses
// upstream receives for a real Codex turn.
func TestCodexCaptureReencode(t *testing.T) {
	for _, name := range []string{"codex_exec", "codex_tool_exec"} {
		t.Run(name, func(t *testing.T) {
			req, err := Codec.DecodeRequest(dialecttest.Read(t, path("decode_request", name, ".json")))
			if err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, path("encode_request", name, ".reencoded.json"), body)
		})
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"invalid json", `{"model":`, "not valid JSON"},
		{"not an object", `["x"]`, "must be a JSON object"},
		{"no model", `{"input":"hi"}`, "model is required"},
		{"model not string", `{"model":5,"input":"hi"}`, "model is required"},
		{"no input", `{"model":"m"}`, "input is required"},
		{"null input", `{"model":"m","input":null}`, "input is required"},
		{"empty string input", `{"model":"m","input":""}`, "input is empty"},
		{"input wrong type", `{"model":"m","input":42}`, "string or an array"},
		{"item not object", `{"model":"m","input":["hi"]}`, "input[0] must be an object"},
		{"bad role", `{"model":"m","input":[{"role":"critic","content":"x"}]}`, `unsupported message role "critic"`},
		{"call without id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "needs a call_id"},
		{"output without id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "needs a call_id"},
		{"only developer", `{"model":"m","input":[{"role":"developer","content":"x"}]}`, "no user, assistant or tool items"},
		{"empty array", `{"model":"m","input":[]}`, "no user, assistant or tool items"},
		{"tool without name", `{"model":"m","input":"hi","tools":[{"type":"function"}]}`, "tools[0]: a function tool needs a name"},
		{"custom without name", `{"model":"m","input":"hi","tools":[{"type":"custom"}]}`, "tools[0]: a custom tool needs a name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Codec.DecodeRequest([]byte(tc.body))
			var e *ir.Error
			if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
				t.Fatalf("want a bad-request *ir.Error, got %v", err)
			}
			if !strings.Contains(e.Message, tc.want) {
				t.Fatalf("message %q does not mention %q", e.Message, tc.want)
			}
		})
	}
}

// Codex's first request: two developer messages become System after
// nothing else, the hosted/namespace tools survive as raw kinds.
func TestDecodeCodexCapture(t *testing.T) {
	req, err := Codec.DecodeRequest(dialecttest.Read(t, path("decode_request", "codex_tool_exec", ".json")))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.System) != 3 {
		t.Errorf("system blocks = %d, want 3 (two developer items, one with two parts)", len(req.System))
	}
	if got := req.Messages[len(req.Messages)-1]; got.Role != ir.RoleUser || got.Content[0].Type != ir.BlockToolResult ||
		got.Content[0].ToolName != "exec_command" {
		t.Errorf("last message = %+v, want the exec_command result", got)
	}
	kinds := map[string]bool{}
	for _, tool := range req.Tools {
		kinds[tool.Kind] = true
	}
	if !kinds["namespace"] || !kinds["web_search"] || !kinds["function"] {
		t.Errorf("tool kinds = %v", kinds)
	}
	if req.Reasoning == nil || !req.Reasoning.IncludeThoughts || req.PromptCacheKey == "" || !req.Stream {
		t.Errorf("options lost: reasoning=%+v cache=%q stream=%v", req.Reasoning, req.PromptCacheKey, req.Stream)
	}
}
