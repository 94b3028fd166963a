package openai

import (
	"encoding/json"
	"net/http"
	"testing"

	"switchboard/backend/ir"
)

func TestEncodeError(t *testing.T) {
	cases := []struct {
		err        *ir.Error
		typ, code  string // code "" = null
		msg        string
		wantStatus int
	}{
		{&ir.Error{Kind: ir.KindBadRequest, Message: "messages must be a non-empty array"}, "invalid_request_error", "", "messages must be a non-empty array", 400},
		{&ir.Error{Kind: ir.KindContextTooLong, Message: "too long"}, "invalid_request_error", "context_length_exceeded", "too long", 400},
		{&ir.Error{Kind: ir.KindModelNotSupported, Message: "m"}, "invalid_request_error", "", "m", 400},
		{&ir.Error{Kind: ir.KindAuth, Message: "bad key"}, "authentication_error", "invalid_api_key", "bad key", 401},
		{&ir.Error{Kind: ir.KindAuth, Status: 403, Message: "forbidden"}, "permission_error", "", "forbidden", 403},
		{&ir.Error{Kind: ir.KindNotFound, Message: "no such model"}, "not_found_error", "model_not_found", "no such model", 404},
		{&ir.Error{Kind: ir.KindRateLimited, Message: "slow down"}, "rate_limit_exceeded", "rate_limit_exceeded", "slow down", 429},
		{&ir.Error{Kind: ir.KindUnavailable, Message: "all cooling down"}, "rate_limit_exceeded", "rate_limit_exceeded", "all cooling down", 429},
		{&ir.Error{Kind: ir.KindUnavailable, Status: 503, Message: "shutting down"}, "server_error", "service_unavailable", "shutting down", 503},
		{&ir.Error{Kind: ir.KindNoAccount, Message: "no account"}, "server_error", "no_usable_account", "no account", 503},
		{&ir.Error{Kind: ir.KindQuotaExhausted, Message: "no credit"}, "insufficient_quota", "insufficient_quota", "no credit", 429},
		{&ir.Error{Kind: ir.KindUpstream5xx, Message: "overloaded", Type: "overloaded_error"}, "server_error", "overloaded_error", "overloaded", 502},
		{&ir.Error{Kind: ir.KindTimeout}, "server_error", "timeout", "Gateway Timeout", 504},
		{&ir.Error{Kind: ir.KindInternal, Message: "bug \"quoted\"\n"}, "server_error", "", "bug \"quoted\"\n", 500},
		{&ir.Error{Kind: ir.KindCanceled}, "server_error", "", "canceled", 499},
		{nil, "server_error", "", "Internal Server Error", 500},
	}
	for _, c := range cases {
		body := Codec.EncodeError(c.err)
		var got struct {
			Error struct {
				Message string          `json:"message"`
				Type    string          `json:"type"`
				Param   json.RawMessage `json:"param"`
				Code    *string         `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		code := ""
		if got.Error.Code != nil {
			code = *got.Error.Code
			if code == "" {
				t.Errorf("%s: empty code should be null", body)
			}
		}
		if got.Error.Type != c.typ || code != c.code || got.Error.Message != c.msg || string(got.Error.Param) != "null" {
			t.Errorf("EncodeError(%v) = %s; want type %q code %q message %q", c.err, body, c.typ, c.code, c.msg)
		}
		if c.err != nil && c.err.HTTPStatus() != c.wantStatus {
			t.Errorf("%v: status %d, want %d", c.err, c.err.HTTPStatus(), c.wantStatus)
		}
	}
}

func TestDecodeError(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   ir.ErrorKind
		typ    string
	}{
		{429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, ir.KindRateLimited, "rate_limit_exceeded"},
		{429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`, ir.KindQuotaExhausted, "insufficient_quota"},
		{400, `{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, ir.KindContextTooLong, "context_length_exceeded"},
		{400, `{"error":{"message":"Invalid 'messages[1].content'","type":"invalid_request_error","param":"messages","code":null}}`, ir.KindBadRequest, "invalid_request_error"},
		{401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, ir.KindAuth, "invalid_api_key"},
		{404, `{"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, ir.KindModelNotSupported, "model_not_found"},
		{500, `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`, ir.KindUpstream5xx, "server_error"},
		{503, `upstream connect error`, ir.KindUpstream5xx, ""},
		{502, `{"error":"model is loading"}`, ir.KindUpstream5xx, ""},
		{402, `{"error":{"message":"Insufficient credits","code":402}}`, ir.KindQuotaExhausted, ""},
		{404, `{"message":"Not Found"}`, ir.KindNotFound, ""},
		{504, ``, ir.KindTimeout, ""},
		{403, `{"error":{"message":"Country not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}`, ir.KindAuth, "unsupported_country_region_territory"},
	}
	for _, c := range cases {
		e := DecodeError(c.status, []byte(c.body))
		if e.Kind != c.kind || e.Type != c.typ || e.Status != c.status || e.Message == "" {
			t.Errorf("DecodeError(%d, %s) = %+v; want kind %s type %q", c.status, c.body, e, c.kind, c.typ)
		}
	}
}

func TestErrorStatusesKeepSDKClasses(t *testing.T) {
	// The openai SDKs pick their error class from the HTTP status; the body's
	// type must agree with it for every kind we can produce.
	for k := ir.KindUnknown; k <= ir.KindInternal; k++ {
		e := &ir.Error{Kind: k, Message: "x"}
		typ, _ := errorTypeCode(e)
		switch st := e.HTTPStatus(); {
		case st == http.StatusUnauthorized && typ != "authentication_error",
			st == http.StatusTooManyRequests && typ != "rate_limit_exceeded" && typ != "insufficient_quota",
			st == http.StatusNotFound && typ != "not_found_error",
			st >= 500 && typ != "server_error":
			t.Errorf("kind %s: status %d with type %s", k, st, typ)
		}
	}
}
