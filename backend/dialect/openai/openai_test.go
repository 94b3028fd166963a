package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

func TestName(t *testing.T) {
	if Codec.Name() != dialect.OpenAIChat {
		t.Fatal(Codec.Name())
	}
}

func TestReasoningEffort(t *testing.T) {
	cases := []struct {
		r    *ir.Reasoning
		want string
	}{
		{nil, ""},
		{&ir.Reasoning{Effort: "minimal"}, "minimal"},
		{&ir.Reasoning{Effort: "none", Disabled: true}, "none"},
		{&ir.Reasoning{Disabled: true}, ""},
		{&ir.Reasoning{Disabled: true, BudgetTokens: 5000}, ""},
		{&ir.Reasoning{Adaptive: true}, "medium"},
		{&ir.Reasoning{BudgetTokens: -1}, "medium"},
		{&ir.Reasoning{BudgetTokens: 1}, "low"},
		{&ir.Reasoning{BudgetTokens: 1024}, "low"},
		{&ir.Reasoning{BudgetTokens: 1025}, "medium"},
		{&ir.Reasoning{BudgetTokens: 8192}, "medium"},
		{&ir.Reasoning{BudgetTokens: 8193}, "high"},
		{&ir.Reasoning{IncludeThoughts: true}, ""},
	}
	for _, c := range cases {
		if got := reasoningEffort(c.r); got != c.want {
			t.Errorf("reasoningEffort(%+v) = %q, want %q", c.r, got, c.want)
		}
	}
}

func TestEncodeRequestOptions(t *testing.T) {
	req := &ir.Request{Model: "deepseek-reasoner", MaxTokens: 100, Messages: []ir.Message{
		{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "q"}}},
		{Role: ir.RoleAssistant, Content: []ir.Block{
			{Type: ir.BlockThinking, Text: "plan"},
			{Type: ir.BlockToolUse, ToolCallID: "c", ToolName: "f", Input: json.RawMessage(`{}`)}}},
		{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockToolResult, ToolCallID: "c"}}},
	}}
	plain, _ := Codec.EncodeRequest(req)
	if strings.Contains(string(plain), "reasoning_content") || !strings.Contains(string(plain), `"max_tokens":100`) {
		t.Fatalf("default options: %s", plain)
	}
	body, _ := EncodeRequestWith(req, RequestOptions{MaxCompletionTokens: true, ReasoningContent: true})
	want := `{"model":"deepseek-reasoner","messages":[{"role":"user","content":"q"},` +
		`{"role":"assistant","content":null,"reasoning_content":"plan","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
		`{"role":"tool","tool_call_id":"c","content":""}],"max_completion_tokens":100}`
	if string(body) != want {
		t.Fatalf("got  %s\nwant %s", body, want)
	}
	if _, err := Codec.EncodeRequest(nil); err == nil {
		t.Fatal("nil request must fail")
	}
}

// TestAppendStringMatchesEncodingJSON checks our escaper against the
// standard library on awkward input.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash", "\x00\x01\x1f\x7f", "\a\b\f\v\t\r\n",
		"日本語 ✓ 😀", "\u2028\u2029", "bad \xff utf8 \xc3", "</script>&<>", strings.Repeat("ab\"", 100)} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: decodes to %q, want %q", s, back, wantBack)
		}
	}
}

func TestStreamDecoderHoldsStopForUsage(t *testing.T) {
	d := Codec.NewStreamDecoder()
	var evs []ir.Event
	for _, data := range []string{
		`{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}`,
		`{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}`,
	} {
		var err error
		if evs, err = d.Decode(evs, sse.Event{Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	n := len(evs)
	if evs[n-1].Type != ir.EvMessageStop || evs[n-2].Type != ir.EvUsage || evs[n-2].Usage.InputTokens != 3 {
		t.Fatalf("usage must come right before the stop: %v", evs)
	}
	evs, _ = d.Decode(evs, sse.Event{Data: []byte("[DONE]")})
	evs, complete := d.End(evs)
	if len(evs) != n || !complete {
		t.Fatalf("nothing may follow the stop; complete=%v", complete)
	}
}

// A chunk's members are read in the pass that validates it: keys written
// with escapes are the keys they spell, a repeated key's last value counts,
// and an invalid chunk is refused.
func TestStreamChunkMembers(t *testing.T) {
	d := Codec.NewStreamDecoder()
	var evs []ir.Event
	for _, data := range []string{
		`{"\u0069d":"c","model":"m","ch\u006fices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}`,
		`{"choices":[{"index":0}],"choices":[],"us\u0061ge":{"prompt_tokens":3,"completion_tokens":1}}`,
	} {
		var err error
		if evs, err = d.Decode(evs, sse.Event{Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	if evs[0].Type != ir.EvMessageStart || evs[0].ID != "c" {
		t.Fatalf("the escaped id was not read: %+v", evs[0])
	}
	n := len(evs)
	if n < 3 || evs[2].Type != ir.EvTextDelta || evs[2].Text != "hi" ||
		evs[n-1].Type != ir.EvMessageStop || evs[n-2].Type != ir.EvUsage || evs[n-2].Usage.InputTokens != 3 {
		t.Fatalf("want text, then usage before the stop: %+v", evs)
	}
	for _, bad := range []string{`{"id":"c","choices":[}`, `{"id":"c"} x`, `{"id":"c\q"}`} {
		if _, err := Codec.NewStreamDecoder().Decode(nil, sse.Event{Data: []byte(bad)}); err == nil {
			t.Errorf("%s: an invalid chunk was accepted", bad)
		}
	}
}

func TestStreamDecoderEndWithoutTerminal(t *testing.T) {
	d := Codec.NewStreamDecoder()
	evs, _ := d.Decode(nil, sse.Event{Data: []byte(`{"choices":[{"index":0,"delta":{"content":"x"}}]}`)})
	evs, complete := d.End(evs)
	if complete || evs[len(evs)-1].Type == ir.EvMessageStop {
		t.Fatalf("a cut stream must be incomplete and not stopped: %v", evs)
	}
}

func TestCompletionRequest(t *testing.T) {
	req, err := DecodeCompletionRequest([]byte(`{"model":"gpt-3.5-turbo-instruct","prompt":["Say","this"],"max_tokens":7,"temperature":0,"stop":"\n","stream":true,"stream_options":{"include_usage":true},"suffix":"x","echo":false,"n":1,"tools":[{"type":"function"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(req)
	want := `{"model":"gpt-3.5-turbo-instruct","messages":[{"role":"user","content":[{"type":"text","text":"Say"},{"type":"text","text":"this"}]}],"max_tokens":7,"temperature":0,"stop":["\n"],"stream":true,"include_usage":true}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, bad := range []string{`{"model":"m","prompt":[1,2,3]}`, `{"model":"m","prompt":[[1,2]]}`, `{"model":"m"}`,
		`{"model":"m","prompt":""}`, `{"prompt":"x"}`, `{"model":"m","prompt":[]}`, `nope`} {
		if _, err := DecodeCompletionRequest([]byte(bad)); err == nil {
			t.Errorf("%s: want error", bad)
		} else if e, ok := err.(*ir.Error); !ok || e.Kind != ir.KindBadRequest {
			t.Errorf("%s: %v is not a bad request", bad, err)
		}
	}
}

func TestCompletionResponse(t *testing.T) {
	body, _ := EncodeCompletionResponse(&ir.Response{ID: "x", Model: "m", Created: 9,
		Content:    []ir.Block{{Type: ir.BlockThinking, Text: "no"}, {Type: ir.BlockText, Text: "This is a test."}},
		StopReason: ir.StopMaxTokens, Usage: ir.Usage{InputTokens: 5, OutputTokens: 7}})
	want := `{"id":"cmpl-TEST","object":"text_completion","created":9,"model":"m","choices":[{"text":"This is a test.","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`
	if string(body) != want {
		t.Fatalf("got  %s\nwant %s", body, want)
	}
}

func TestEmbedRequest(t *testing.T) {
	req, err := DecodeEmbedRequest([]byte(`{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"base64","dimensions":256,"user":"u"}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Model != "text-embedding-3-small" || len(req.Inputs) != 2 || req.EncodingFormat != "base64" || req.Dimensions != 256 {
		t.Fatalf("%+v", req)
	}
	body, _ := EncodeEmbedRequest(req)
	if want := `{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"float","dimensions":256}`; string(body) != want {
		t.Fatalf("got %s want %s", body, want)
	}
	one, err := DecodeEmbedRequest([]byte(`{"model":"m","input":"solo"}`))
	if err != nil || len(one.Inputs) != 1 || one.EncodingFormat != "" {
		t.Fatalf("%+v %v", one, err)
	}
	for _, bad := range []string{`{"model":"m","input":[1,2]}`, `{"model":"m","input":[[1,2]]}`, `{"model":"m","input":[]}`,
		`{"model":"m","input":""}`, `{"model":"m","input":["a",""]}`, `{"model":"m","input":{"x":1}}`,
		`{"input":"x"}`, `{"model":"m","input":"x","encoding_format":"int8"}`, `[`} {
		if _, err := DecodeEmbedRequest([]byte(bad)); err == nil {
			t.Errorf("%s: want error", bad)
		} else if e, ok := err.(*ir.Error); !ok || e.Kind != ir.KindBadRequest {
			t.Errorf("%s: %v is not a bad request", bad, err)
		}
	}
}

func TestEmbedResponse(t *testing.T) {
	upstream := `{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-1]},{"object":"embedding","index":0,"embedding":[0.25,1e-7]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`
	resp, err := DecodeEmbedResponse([]byte(upstream))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Vectors) != 2 || resp.Vectors[0][0] != 0.25 || resp.Vectors[1][1] != -1 || resp.Usage.InputTokens != 8 {
		t.Fatalf("%+v", resp)
	}
	floats, _ := EncodeEmbedResponse(resp, "float")
	want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,1e-07]},{"object":"embedding","index":1,"embedding":[0.5,-1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`
	if string(floats) != want {
		t.Fatalf("got  %s\nwant %s", floats, want)
	}
	b64, _ := EncodeEmbedResponse(resp, "base64")
	var parsed struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b64, &parsed); err != nil {
		t.Fatal(err)
	}
	// Decode the way the SDKs do: base64 → little-endian float32s.
	raw, _ := base64.StdEncoding.DecodeString(parsed.Data[1].Embedding)
	if len(raw) != 8 || math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -1 {
		t.Fatalf("base64 vector: % x", raw)
	}
	// A vendor that answered in base64 anyway is read back the same.
	again, err := DecodeEmbedResponse(b64)
	if err != nil || again.Vectors[1][0] != 0.5 || again.Vectors[0][1] != float32(1e-7) {
		t.Fatalf("%+v %v", again, err)
	}
	for _, bad := range []string{`{`, `{"data":"x"}`, `{"data":[{"embedding":"!!"}]}`, `{"data":[{"embedding":true}]}`} {
		if _, err := DecodeEmbedResponse([]byte(bad)); err == nil {
			t.Errorf("%s: want error", bad)
		}
	}
	if _, err := DecodeEmbedResponse([]byte(`{"error":{"message":"bad","type":"invalid_request_error"}}`)); err == nil {
		t.Error("error body must fail")
	}
}

func TestEncodeModelList(t *testing.T) {
	got := EncodeModelList([]ModelEntry{{ID: "gpt-4o", OwnedBy: "openai", Created: 1}, {ID: "cc/claude", OwnedBy: "switchboard"}})
	want := `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"openai"},{"id":"cc/claude","object":"model","created":0,"owned_by":"switchboard"}]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if string(EncodeModelList(nil)) != `{"object":"list","data":[]}` {
		t.Fatal("empty list")
	}
}
