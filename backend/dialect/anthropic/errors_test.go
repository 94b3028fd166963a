package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"switchboard/backend/ir"
)

func TestEncodeErrorShape(t *testing.T) {
	tests := []struct {
		err      *ir.Error
		wantType string
	}{
		{&ir.Error{Kind: ir.KindBadRequest, Message: "messages: field required"}, "invalid_request_error"},
		{&ir.Error{Kind: ir.KindBadRequest, Status: 413, Message: "too big"}, "request_too_large"},
		{&ir.Error{Kind: ir.KindContextTooLong, Message: "prompt is too long"}, "invalid_request_error"},
		{&ir.Error{Kind: ir.KindModelNotSupported, Message: "m"}, "invalid_request_error"},
		{&ir.Error{Kind: ir.KindAuth, Message: "bad key"}, "authentication_error"},
		{&ir.Error{Kind: ir.KindAuth, Status: 403, Message: "forbidden"}, "permission_error"},
		{&ir.Error{Kind: ir.KindNotFound, Message: "no such model"}, "not_found_error"},
		{&ir.Error{Kind: ir.KindRateLimited, Message: "slow down"}, "rate_limit_error"},
		{&ir.Error{Kind: ir.KindUnavailable, Message: "all cooling down"}, "rate_limit_error"},
		{&ir.Error{Kind: ir.KindUnavailable, Status: 503, Message: "shutting down"}, "overloaded_error"},
		{&ir.Error{Kind: ir.KindNoAccount, Message: "no account"}, "api_error"},
		// Quota follows the status sent: 429 (the kind's default) backs
		// clients off like a rate limit, an explicit 402 is billing.
		{&ir.Error{Kind: ir.KindQuotaExhausted, Message: "quota"}, "rate_limit_error"},
		{&ir.Error{Kind: ir.KindQuotaExhausted, Status: 402, Message: "quota"}, "billing_error"},
		{&ir.Error{Kind: ir.KindUpstream5xx, Message: "boom"}, "api_error"},
		{&ir.Error{Kind: ir.KindUpstream5xx, Status: 529, Message: "Overloaded"}, "overloaded_error"},
		{&ir.Error{Kind: ir.KindUpstream5xx, Status: 503, Message: "unavailable"}, "overloaded_error"},
		{&ir.Error{Kind: ir.KindTimeout, Message: "slow upstream"}, "timeout_error"},
		{&ir.Error{Kind: ir.KindNetwork, Message: "reset"}, "api_error"},
		{&ir.Error{Kind: ir.KindInternal}, "api_error"},
		// The upstream's own Anthropic type wins; a foreign code does not.
		{&ir.Error{Kind: ir.KindUpstream5xx, Type: "overloaded_error", Message: "x"}, "overloaded_error"},
		{&ir.Error{Kind: ir.KindQuotaExhausted, Type: "insufficient_quota", Message: "x"}, "rate_limit_error"},
		{nil, "api_error"},
	}
	for _, tt := range tests {
		body := Codec.EncodeError(tt.err)
		var got struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%v: invalid JSON %s: %v", tt.err, body, err)
		}
		if got.Type != "error" || got.Error.Type != tt.wantType || got.Error.Message == "" {
			t.Errorf("%v: got %s, want error type %s", tt.err, body, tt.wantType)
		}
		if tt.err != nil && tt.err.Message != "" && got.Error.Message != tt.err.Message {
			t.Errorf("message %q, want %q", got.Error.Message, tt.err.Message)
		}
	}
}

func TestEncodeErrorEscapes(t *testing.T) {
	body := Codec.EncodeError(&ir.Error{Kind: ir.KindBadRequest, Message: "bad \"field\"\n<x>"})
	want := `{"type":"error","error":{"type":"invalid_request_error","message":"bad \"field\"\n<x>"}}`
	if string(body) != want {
		t.Fatalf("got %s\nwant %s", body, want)
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   ir.ErrorKind
		typ    string
	}{
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, ir.KindUpstream5xx, "overloaded_error"},
		{429, `{"type":"error","error":{"type":"rate_limit_error","message":"rate"}}`, ir.KindRateLimited, "rate_limit_error"},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}`, ir.KindContextTooLong, "invalid_request_error"},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}`, ir.KindQuotaExhausted, "invalid_request_error"},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`, ir.KindBadRequest, "invalid_request_error"},
		{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, ir.KindAuth, "authentication_error"},
		{403, `{"type":"error","error":{"type":"permission_error","message":"no"}}`, ir.KindAuth, "permission_error"},
		{404, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}`, ir.KindModelNotSupported, "not_found_error"},
		{404, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`, ir.KindNotFound, "not_found_error"},
		{402, `{"type":"error","error":{"type":"billing_error","message":"pay"}}`, ir.KindQuotaExhausted, "billing_error"},
		{504, `{"type":"error","error":{"type":"timeout_error","message":"t"}}`, ir.KindTimeout, "timeout_error"},
		{502, `<html>bad gateway</html>`, ir.KindUpstream5xx, "api_error"},
		{503, ``, ir.KindUpstream5xx, "overloaded_error"},
		{429, `not json`, ir.KindRateLimited, "rate_limit_error"},
	}
	for _, tt := range tests {
		e := DecodeError(tt.status, []byte(tt.body))
		if e.Kind != tt.kind || e.Type != tt.typ || e.Status != tt.status || e.Message == "" {
			t.Errorf("DecodeError(%d, %q) = %+v, want kind %s type %s", tt.status, tt.body, e, tt.kind, tt.typ)
		}
	}
}

func TestDecodeResponseErrorBody(t *testing.T) {
	_, err := Codec.DecodeResponse([]byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	var e *ir.Error
	if !errors.As(err, &e) || e.Kind != ir.KindUpstream5xx || e.Status != 529 {
		t.Fatalf("got %v", err)
	}
	if _, err := Codec.DecodeResponse([]byte(`{"content":`)); err == nil {
		t.Fatal("truncated body decoded")
	}
}

func TestDecodeRequestBadInput(t *testing.T) {
	tests := []struct{ body, want string }{
		{``, "invalid JSON"},
		{`{"model":`, "invalid JSON"},
		{`[]`, "body"},
		{`{"model":"m"}`, "messages: field required"},
		{`{"model":"m","messages":[]}`, "at least one message"},
		{`{"model":"m","messages":{}}`, "messages"},
		{`{"model":"m","max_tokens":"lots","messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		{`{"model":"m","messages":[{"role":"robot","content":"x"}]}`, `messages.0.role: unknown role "robot"`},
		{`{"model":"m","messages":[{"role":"user","content":42}]}`, "messages.0.content"},
		{`{"model":"m","messages":[{"role":"user","content":[42]}]}`, "messages.0.content.0"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":7}]}]}`, "messages.0.content.0"},
		{`{"model":"m","system":7,"messages":[{"role":"user","content":"x"}]}`, "system"},
		{`{"model":"m","tools":[{"name":1}],"messages":[{"role":"user","content":"x"}]}`, "tools.0"},
	}
	for _, tt := range tests {
		_, err := Codec.DecodeRequest([]byte(tt.body))
		var e *ir.Error
		if !errors.As(err, &e) || e.Kind != ir.KindBadRequest {
			t.Errorf("%s: got %v, want a bad request", tt.body, err)
			continue
		}
		if !strings.Contains(e.Message, tt.want) {
			t.Errorf("%s: message %q does not mention %q", tt.body, e.Message, tt.want)
		}
		if strings.Contains(e.Message, "Go struct") || strings.Contains(e.Message, "wire") {
			t.Errorf("%s: message leaks Go names: %q", tt.body, e.Message)
		}
	}
}

func TestEncodeRequestRejectsEmpty(t *testing.T) {
	req := &ir.Request{Model: "m", Messages: []ir.Message{{Role: ir.RoleSystem, Content: []ir.Block{{Type: ir.BlockText, Text: "only system"}}}}}
	if _, err := Codec.EncodeRequest(req); err == nil {
		t.Fatal("a request with nothing but system text was encoded")
	}
	if _, err := Codec.EncodeRequest(nil); err == nil {
		t.Fatal("nil request encoded")
	}
}

func TestToolInputLeniency(t *testing.T) {
	req, err := Codec.DecodeRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[` +
		`{"type":"tool_use","id":"a","name":"f","input":"{\"x\":1}"},` +
		`{"type":"tool_use","id":"b","name":"f","input":[1]},` +
		`{"type":"tool_use","id":"c","name":"f"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := req.Messages[1].Content
	if string(got[0].Input) != `{"x":1}` || string(got[1].Input) != `{}` || string(got[2].Input) != `{}` {
		t.Fatalf("inputs %s %s %s", got[0].Input, got[1].Input, got[2].Input)
	}
}
