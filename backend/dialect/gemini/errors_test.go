package gemini

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"switchboard/backend/ir"
)

func TestEncodeErrorShape(t *testing.T) {
	tests := []struct {
		err    *ir.Error
		code   int
		status string
	}{
		{&ir.Error{Kind: ir.KindBadRequest, Message: "bad"}, 400, "INVALID_ARGUMENT"},
		{&ir.Error{Kind: ir.KindContextTooLong, Message: "long"}, 400, "INVALID_ARGUMENT"},
		{&ir.Error{Kind: ir.KindBadRequest, Status: 413, Message: "too big"}, 413, "INVALID_ARGUMENT"},
		{&ir.Error{Kind: ir.KindBadRequest, Status: 408, Message: "too slow"}, 408, "DEADLINE_EXCEEDED"},
		{&ir.Error{Kind: ir.KindBadRequest, Status: 431, Message: "headers"}, 431, "INVALID_ARGUMENT"},
		{&ir.Error{Kind: ir.KindBadRequest, Status: 422, Message: "other"}, 400, "INVALID_ARGUMENT"},
		{&ir.Error{Kind: ir.KindAuth, Message: "no key"}, 401, "UNAUTHENTICATED"},
		{&ir.Error{Kind: ir.KindAuth, Status: 403, Message: "forbidden"}, 403, "PERMISSION_DENIED"},
		{&ir.Error{Kind: ir.KindNotFound, Message: "no model"}, 404, "NOT_FOUND"},
		{&ir.Error{Kind: ir.KindRateLimited, Message: "slow down"}, 429, "RESOURCE_EXHAUSTED"},
		{&ir.Error{Kind: ir.KindQuotaExhausted, Status: 402, Message: "quota"}, 429, "RESOURCE_EXHAUSTED"},
		{&ir.Error{Kind: ir.KindUnavailable, Message: "cooling"}, 429, "RESOURCE_EXHAUSTED"},
		{&ir.Error{Kind: ir.KindUnavailable, Status: 503, Message: "shutting down"}, 503, "UNAVAILABLE"},
		{&ir.Error{Kind: ir.KindNoAccount, Message: "no account"}, 503, "UNAVAILABLE"},
		{&ir.Error{Kind: ir.KindUpstream5xx, Status: 500, Message: "boom"}, 500, "INTERNAL"},
		{&ir.Error{Kind: ir.KindUpstream5xx, Status: 529, Message: "overloaded"}, 503, "UNAVAILABLE"},
		{&ir.Error{Kind: ir.KindNetwork, Message: "reset"}, 503, "UNAVAILABLE"},
		{&ir.Error{Kind: ir.KindTimeout, Message: "slow"}, 504, "DEADLINE_EXCEEDED"},
		{&ir.Error{Kind: ir.KindCanceled, Message: "gone"}, 499, "CANCELLED"},
		{&ir.Error{Kind: ir.KindInternal, Message: "bug"}, 500, "INTERNAL"},
		{&ir.Error{Kind: ir.KindUnknown, Status: 409, Message: "conflict"}, 409, "ABORTED"},
		{&ir.Error{Kind: ir.KindUnknown, Message: ""}, 500, "INTERNAL"},
	}
	for _, tt := range tests {
		body := Codec.EncodeError(tt.err)
		var got struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: invalid JSON %s", tt.err.Kind, body)
		}
		if got.Error.Code != tt.code || got.Error.Status != tt.status || got.Error.Message == "" {
			t.Errorf("%s/%d: got %s, want code %d status %s", tt.err.Kind, tt.err.Status, body, tt.code, tt.status)
		}
		if tt.err.Message != "" && got.Error.Message != tt.err.Message {
			t.Errorf("message %q, want %q", got.Error.Message, tt.err.Message)
		}
	}
	if body := Codec.EncodeError(nil); !json.Valid(body) {
		t.Errorf("nil error: %s", body)
	}
}

func TestDecodeErrorClassification(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   ir.ErrorKind
		code   int
		retry  time.Duration
	}{
		{"per-minute rate limit", 429, `{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"27s"}]}}`, ir.KindRateLimited, 429, 27 * time.Second},
		{"daily quota", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`, ir.KindQuotaExhausted, 429, 0},
		{"quota by message", 429, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Generate Content API requests'","status":"RESOURCE_EXHAUSTED"}}`, ir.KindQuotaExhausted, 429, 0},
		{"generic exhausted", 429, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`, ir.KindRateLimited, 429, 0},
		{"overloaded", 503, `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`, ir.KindUpstream5xx, 503, 0},
		{"internal", 500, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`, ir.KindUpstream5xx, 500, 0},
		{"deadline", 504, `{"error":{"code":504,"message":"Deadline exceeded","status":"DEADLINE_EXCEEDED"}}`, ir.KindTimeout, 504, 0},
		{"bad key", 400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`, ir.KindAuth, 400, 0},
		{"too long", 400, `{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`, ir.KindContextTooLong, 400, 0},
		{"bad argument", 400, `{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}`, ir.KindBadRequest, 400, 0},
		{"denied", 403, `{"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}}`, ir.KindAuth, 403, 0},
		{"model missing", 404, `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}`, ir.KindModelNotSupported, 404, 0},
		{"location", 400, `{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}`, ir.KindModelNotSupported, 400, 0},
		{"not json", 502, `<html>Bad Gateway</html>`, ir.KindUpstream5xx, 502, 0},
		{"string error", 401, `{"error":"unauthorized"}`, ir.KindAuth, 401, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := DecodeError(tt.status, []byte(tt.body))
			if e.Kind != tt.kind || e.HTTPStatus() != tt.code || e.RetryAfter != tt.retry || e.Message == "" {
				t.Errorf("got kind %s status %d retry %s msg %q; want %s %d %s", e.Kind, e.HTTPStatus(), e.RetryAfter, e.Message, tt.kind, tt.code, tt.retry)
			}
		})
	}
}

func TestDecodeRequestBadInput(t *testing.T) {
	bad := map[string]string{
		"invalid JSON":       `{"contents": [`,
		"not an object":      `[{"role":"user"}]`,
		"no contents":        `{"generationConfig":{}}`,
		"null contents":      `{"contents":null}`,
		"contents not array": `{"contents":{"role":"user","parts":[{"text":"x"}]}}`,
		"content not object": `{"contents":["hello"]}`,
		"parts not array":    `{"contents":[{"role":"user","parts":{"text":"x"}}]}`,
		"nothing usable":     `{"contents":[{"role":"user","parts":[{"text":""}]}]}`,
		"tools not array":    `{"contents":[{"parts":[{"text":"x"}]}],"tools":{"functionDeclarations":[]}}`,
		"function no name":   `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}`,
		"empty body":         ``,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			req, err := Codec.DecodeRequest([]byte(body))
			var e *ir.Error
			if req != nil || !errors.As(err, &e) || e.Kind != ir.KindBadRequest || e.HTTPStatus() != 400 || e.Message == "" {
				t.Fatalf("got %v, %v; want a bad request", req, err)
			}
		})
	}
}

func TestEncodeRequestNothingToSend(t *testing.T) {
	for _, req := range []*ir.Request{
		nil,
		{},
		{Messages: []ir.Message{{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockThinking, Text: "x", Origin: ir.OriginAnthropic}}}}},
	} {
		if body, err := Codec.EncodeRequest(req); err == nil {
			t.Errorf("expected an error, got %s", body)
		}
	}
}
