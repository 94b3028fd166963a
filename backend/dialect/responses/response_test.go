package responses

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// Golden: upstream JSON (testdata/decode_response/X.json) → hub response (X.ir.json).
func TestDecodeResponseGolden(t *testing.T) {
	for _, name := range cases(t, "decode_response", ".json") {
		t.Run(name, func(t *testing.T) {
			resp, err := Codec.DecodeResponse(dialecttest.Read(t, path("decode_response", name, ".json")))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.GoldenJSON(t, path("decode_response", name, ".ir.json"), resp)
		})
	}
}

// Golden: hub response (testdata/encode_response/X.ir.json) → client JSON (X.json).
func TestEncodeResponseGolden(t *testing.T) {
	for _, name := range cases(t, "encode_response", ".ir.json") {
		t.Run(name, func(t *testing.T) {
			resetIDs()
			var resp ir.Response
			readJSON(t, path("encode_response", name, ".ir.json"), &resp)
			body, err := Codec.EncodeResponse(&resp)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			dialecttest.Golden(t, path("encode_response", name, ".json"), body)
		})
	}
}

func TestDecodeResponseErrors(t *testing.T) {
	tests := []struct {
		name, body string
		kind       ir.ErrorKind
		retry      time.Duration
	}{
		{"invalid", `{"id":`, ir.KindUpstream5xx, 0},
		{"failed response", `{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"}}`, ir.KindUpstream5xx, 0},
		{"error body rate", `{"error":{"message":"Rate limit reached. Please try again in 1.5s.","type":"requests","code":"rate_limit_exceeded"}}`, ir.KindRateLimited, 1500 * time.Millisecond},
		{"error body quota", `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`, ir.KindQuotaExhausted, 0},
		{"context", `{"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","code":"context_length_exceeded"}}`, ir.KindContextTooLong, 0},
		{"bad request", `{"error":{"message":"Invalid 'input'.","type":"invalid_request_error","param":"input","code":null}}`, ir.KindBadRequest, 0},
		{"auth", `{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}`, ir.KindAuth, 0},
		{"model", `{"error":{"message":"The model does not exist","type":"invalid_request_error","code":"model_not_found"}}`, ir.KindModelNotSupported, 0},
		{"not object", `[1]`, ir.KindUpstream5xx, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Codec.DecodeResponse([]byte(tc.body))
			var e *ir.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *ir.Error, got %v", err)
			}
			if e.Kind != tc.kind || e.RetryAfter != tc.retry {
				t.Fatalf("kind=%v retry=%v, want %v %v (%s)", e.Kind, e.RetryAfter, tc.kind, tc.retry, e.Message)
			}
		})
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		err  *ir.Error
		want string
	}{
		{ir.Errorf(ir.KindBadRequest, "input is required"),
			`{"error":{"message":"input is required","type":"invalid_request_error","param":null,"code":null}}`},
		{&ir.Error{Kind: ir.KindRateLimited, Message: "slow \"down\""},
			`{"error":{"message":"slow \"down\"","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{&ir.Error{Kind: ir.KindQuotaExhausted, Message: "out of credit"},
			`{"error":{"message":"out of credit","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`},
		{&ir.Error{Kind: ir.KindContextTooLong, Message: "too long"},
			`{"error":{"message":"too long","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}`},
		{&ir.Error{Kind: ir.KindAuth, Message: "bad key"},
			`{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{&ir.Error{Kind: ir.KindAuth, Status: 403, Message: "not this model"},
			`{"error":{"message":"not this model","type":"permission_error","param":null,"code":null}}`},
		{&ir.Error{Kind: ir.KindNotFound, Message: "no such model"},
			`{"error":{"message":"no such model","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
		{&ir.Error{Kind: ir.KindUpstream5xx},
			`{"error":{"message":"upstream_5xx","type":"server_error","param":null,"code":"server_error"}}`},
		{&ir.Error{Kind: ir.KindUpstream5xx, Message: "Overloaded", Type: "overloaded_error"},
			`{"error":{"message":"Overloaded","type":"server_error","param":null,"code":"server_is_overloaded"}}`},
		{nil, `{"error":{"message":"internal error","type":"server_error","param":null,"code":"server_error"}}`},
		{&ir.Error{Kind: ir.KindUnavailable, Message: "cooling"},
			`{"error":{"message":"cooling","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{&ir.Error{Kind: ir.KindUnavailable, Status: 503, Message: "shutting down"},
			`{"error":{"message":"shutting down","type":"server_error","param":null,"code":"service_unavailable"}}`},
		{&ir.Error{Kind: ir.KindTimeout, Message: "upstream timed out"},
			`{"error":{"message":"upstream timed out","type":"server_error","param":null,"code":"timeout"}}`}, {&ir.Error{Kind: ir.KindNoAccount, Message: "no account"},
			`{"error":{"message":"no account","type":"server_error","param":null,"code":"no_usable_account"}}`},
	}
	for _, tc := range tests {
		got := string(Codec.EncodeError(tc.err))
		if got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.err, got, tc.want)
		}
		var v struct {
			Error struct {
				Message string  `json:"message"`
				Type    string  `json:"type"`
				Param   *string `json:"param"`
				Code    *string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(got), &v); err != nil || v.Error.Message == "" || v.Error.Type == "" {
			t.Errorf("%v: not OpenAI's error shape: %s (%v)", tc.err, got, err)
		}
	}
}
