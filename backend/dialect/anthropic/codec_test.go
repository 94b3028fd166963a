package anthropic

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

func TestName(t *testing.T) {
	if Codec.Name() != dialect.Anthropic {
		t.Fatal(Codec.Name())
	}
}

// appendString must agree with encoding/json on every string's value,
// invalid UTF-8 included (both replace each bad byte with U+FFFD).
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "ctl \x00\x01\x1f\x7f", "nl\n\r\t",
		"<html> & é 👋", "\u2028\u2029", "bad utf8 \xff\xfe end", "\xed\xa0\x80 surrogate"} {
		got := appendString(nil, s)
		var back, want string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		ref, _ := json.Marshal(s)
		_ = json.Unmarshal(ref, &want)
		if back != want {
			t.Errorf("%q: round trip gives %q, want %q", s, back, want)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q: valid text changed to %q", s, back)
		}
	}
}

func TestSignatureWrap(t *testing.T) {
	tests := []struct {
		sig    string
		origin ir.Origin
		wire   string
	}{
		{"EqQB+/=", ir.OriginAnthropic, "EqQB+/="},
		{"CiQB", ir.OriginGemini, "swb1:gemini:CiQB"},
		{"gAAAA:with:colons", ir.OriginOpenAI, "swb1:openai:gAAAA:with:colons"},
		{"", ir.OriginGemini, ""},
	}
	for _, tt := range tests {
		if got := wrapSignature(tt.sig, tt.origin); got != tt.wire {
			t.Errorf("wrap(%q, %s) = %q, want %q", tt.sig, tt.origin, got, tt.wire)
		}
		sig, origin := unwrapSignature(tt.wire)
		wantOrigin := tt.origin
		if tt.sig == "" {
			wantOrigin = ir.OriginNone
		}
		if sig != tt.sig || origin != wantOrigin {
			t.Errorf("unwrap(%q) = %q, %s", tt.wire, sig, origin)
		}
	}
	if sig, origin := unwrapSignature("swb1:"); sig != "swb1:" || origin != ir.OriginAnthropic {
		t.Errorf("malformed tag: %q %s", sig, origin)
	}
}

func TestNewID(t *testing.T) {
	a, b := newID("msg_"), newID("msg_")
	if a == b || len(a) != 28 || !strings.HasPrefix(a, "msg_") {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestEncodeModelList(t *testing.T) {
	got := string(EncodeModelList([]ModelInfo{
		{ID: "claude-sonnet-4-5", DisplayName: "Claude Sonnet 4.5", Created: 1759104000},
		{ID: "gpt-5"},
	}))
	want := `{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},` +
		`{"type":"model","id":"gpt-5","display_name":"gpt-5","created_at":"1970-01-01T00:00:00Z"}],` +
		`"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"gpt-5"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := string(EncodeModelList(nil)); got != `{"data":[],"has_more":false,"first_id":null,"last_id":null}` {
		t.Fatal(got)
	}
}

func TestCountTokens(t *testing.T) {
	if got := string(EncodeCountTokens(2095)); got != `{"input_tokens":2095}` {
		t.Fatal(got)
	}
	req, err := DecodeCountTokens([]byte(`{"model":"claude-sonnet-4-5","system":"s","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t","input_schema":{"type":"object"}}]}`))
	if err != nil || req.MaxTokens != 0 || len(req.Tools) != 1 || len(req.System) != 1 {
		t.Fatalf("%+v %v", req, err)
	}
}

func TestStreamDecoderRejectsGarbage(t *testing.T) {
	d := Codec.NewStreamDecoder()
	if _, err := d.Decode(nil, sse.Event{Data: []byte("not json")}); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, complete := d.End(nil); complete {
		t.Fatal("empty stream reported complete")
	}
}

// The encoder ignores everything after its terminal frame and closes what
// is open on error.
func TestStreamEncoderTerminal(t *testing.T) {
	enc := Codec.NewStreamEncoder(nil)
	var out []byte
	out = enc.Encode(out, &ir.Event{Type: ir.EvMessageStart, ID: "msg_1", Model: "m"})
	out = enc.Encode(out, &ir.Event{Type: ir.EvBlockStart, Index: 0, Block: &ir.Block{Type: ir.BlockToolUse, ToolCallID: "t1", ToolName: "f"}})
	out = enc.Encode(out, &ir.Event{Type: ir.EvBlockStart, Index: 1, Block: &ir.Block{Type: ir.BlockText}})
	out = enc.Encode(out, &ir.Event{Type: ir.EvTextDelta, Index: 1, Text: "held"})
	out = enc.Encode(out, &ir.Event{Type: ir.EvError, Err: &ir.Error{Kind: ir.KindStreamInterrupted, Message: "cut"}})
	n := len(out)
	out = enc.Encode(out, &ir.Event{Type: ir.EvTextDelta, Index: 1, Text: "late"})
	out = enc.Encode(out, &ir.Event{Type: ir.EvMessageStop})
	if len(out) != n {
		t.Fatalf("frames after the end: %s", out[n:])
	}
	s := string(out)
	for _, want := range []string{
		`"index":0,"content_block":{"type":"tool_use"`, `{"type":"content_block_stop","index":0}`,
		`"index":1,"content_block":{"type":"text"`, `"text":"held"`, `{"type":"content_block_stop","index":1}`,
		`event: error`, `"type":"api_error","message":"cut"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if !strings.HasSuffix(s, "}\n\n") || strings.Contains(s, "message_stop") || strings.LastIndex(s, "event: ") != strings.Index(s, "event: error") {
		t.Errorf("the error event must be the last frame, as the Messages API ends a failed stream:\n%s", s)
	}
	if strings.Index(s, `"text":"held"`) > strings.Index(s, "event: error") {
		t.Error("held block flushed after the error")
	}
}

func TestMaxOutputCapsTokensAndBudget(t *testing.T) {
	tool := []ir.Tool{{Kind: ir.ToolKindFunction, Name: "read", Parameters: json.RawMessage(`{"type":"object"}`)}}
	req := &ir.Request{Model: "claude-opus-4-1", Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}},
		Tools: tool, Reasoning: &ir.Reasoning{Effort: "xhigh"}}
	cases := []struct {
		limit, wantMax, wantBudget int
	}{
		{0, DefaultMaxTokens + 32768, 32768}, // unknown model: as before
		{32000, 32000, 24000},                // Opus 4.1: 40,960 would be refused
		{128000, DefaultMaxTokens + 32768, 32768},
		{1200, 1200, 0}, // no room for the smallest budget: thinking goes
	}
	for _, c := range cases {
		b, err := EncodeRequestWith(req, RequestOptions{MaxOutput: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			MaxTokens int `json:"max_tokens"`
			Thinking  *struct {
				BudgetTokens int `json:"budget_tokens"`
			} `json:"thinking"`
		}
		_ = json.Unmarshal(b, &got)
		budget := 0
		if got.Thinking != nil {
			budget = got.Thinking.BudgetTokens
		}
		if got.MaxTokens != c.wantMax || budget != c.wantBudget {
			t.Errorf("limit %d: max_tokens %d budget %d, want %d / %d", c.limit, got.MaxTokens, budget, c.wantMax, c.wantBudget)
		}
	}
}
