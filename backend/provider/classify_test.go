package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/backend/ir"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

type classifyCase struct {
	name   string
	status int
	h      http.Header
	body   string
	kind   ir.ErrorKind
	typ    string
	retry  time.Duration
	msg    string // substring of the message
}

// classifyCases: bodies and headers are shaped like the vendors' real answers.
var classifyCases = []classifyCase{
	{"openai rate limit: only the empty counter's reset counts", 429,
		hdr("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "1s",
			"x-ratelimit-remaining-tokens", "29000", "x-ratelimit-reset-tokens", "6m0s"),
		`{"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more. You can increase your rate limit by adding a payment method to your account at https://platform.openai.com/account/billing.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
		ir.KindRateLimited, "rate_limit_exceeded", time.Second, "rate limited by upstream: Rate limit reached for gpt-4o"},
	{"openai insufficient_quota is not a rate limit", 429,
		hdr("x-ratelimit-remaining-requests", "499", "x-ratelimit-reset-requests", "120ms"),
		`{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
		ir.KindQuotaExhausted, "insufficient_quota", 0, "upstream quota exhausted: You exceeded your current quota"},
	{"openai 401", 401, nil,
		`{"error":{"message":"Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
		ir.KindAuth, "invalid_api_key", 0, "upstream rejected the credentials"},
	{"openai context length", 400, hdr("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "1s"),
		`{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
		ir.KindContextTooLong, "context_length_exceeded", 0, "request too long for the model"},
	{"openai model_not_found", 404, nil,
		`{"error":{"message":"The model ` + "`gpt-9`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
		ir.KindModelNotSupported, "model_not_found", 0, "model not supported by upstream"},
	{"openai unsupported parameter", 400, nil,
		`{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}`,
		ir.KindModelNotSupported, "unsupported_parameter", 0, "max_completion_tokens"},
	{"openai plain bad request", 400, nil,
		`{"error":{"message":"Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead.","type":"invalid_request_error","param":"messages[0].content","code":"invalid_type"}}`,
		ir.KindBadRequest, "invalid_type", 0, "upstream rejected the request: Invalid type"},
	{"codex usage limit with resets", 429, nil,
		`{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":` +
			strconv.FormatInt(now.Add(3*time.Hour).Unix(), 10) + `,"resets_in_seconds":10795}}`,
		ir.KindQuotaExhausted, "usage_limit_reached", 3 * time.Hour, "usage limit"},
	{"anthropic overloaded", 529, nil,
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011"}`,
		ir.KindUpstream5xx, "overloaded_error", 0, "upstream overloaded: Overloaded"},
	{"anthropic prompt too long", 400, nil,
		`{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215433 tokens > 200000 maximum"}}`,
		ir.KindContextTooLong, "invalid_request_error", 0, "prompt is too long"},
	{"anthropic rate limit: latest of retry-after and the empty counter", 429,
		hdr("retry-after", "30", "anthropic-ratelimit-requests-remaining", "0",
			"anthropic-ratelimit-requests-reset", "2025-06-01T12:00:45Z",
			"anthropic-ratelimit-tokens-remaining", "80000", "anthropic-ratelimit-tokens-reset", "2025-06-01T12:05:00Z"),
		`{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50 requests per minute."}}`,
		ir.KindRateLimited, "rate_limit_error", 45 * time.Second, "rate limited by upstream"},
	{"anthropic credit balance on a 400", 400, nil,
		`{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}`,
		ir.KindQuotaExhausted, "invalid_request_error", 0, "credit balance"},
	{"anthropic 401", 401, nil,
		`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`,
		ir.KindAuth, "authentication_error", 0, "invalid x-api-key"},
	{"anthropic 403", 403, nil,
		`{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`,
		ir.KindAuth, "permission_error", 0, "upstream denied access"},
	{"gemini per-minute quota is a rate limit", 429, nil, geminiQuota("GenerateContentInputTokensPerModelPerMinute-FreeTier", "26s", "Please retry in 26.437s."),
		ir.KindRateLimited, "RESOURCE_EXHAUSTED", 26437 * time.Millisecond, "exceeded your current quota"},
	{"gemini per-day quota is exhaustion", 429, nil, geminiQuota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "43200s", ""),
		ir.KindQuotaExhausted, "RESOURCE_EXHAUSTED", 12 * time.Hour, "upstream quota exhausted"},
	{"gemini bare resource exhausted", 429, nil,
		`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
		ir.KindRateLimited, "RESOURCE_EXHAUSTED", 0, "Resource has been exhausted"},
	{"gemini invalid key arrives as 400", 400, nil,
		`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`,
		ir.KindAuth, "INVALID_ARGUMENT", 0, "API key not valid"},
	{"gemini input too long", 400, nil,
		`{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`,
		ir.KindContextTooLong, "INVALID_ARGUMENT", 0, "input token count"},
	{"gemini array-wrapped 503", 503, nil,
		`[{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}]`,
		ir.KindUpstream5xx, "UNAVAILABLE", 0, "upstream overloaded: The model is overloaded"},
	{"groq reset-requests duration", 429,
		hdr("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "2m59.56s",
			"x-ratelimit-remaining-tokens", "5800", "x-ratelimit-reset-tokens", "7.66s"),
		`{"error":{"message":"Rate limit reached for model ` + "`llama-3.3-70b-versatile`" + ` in organization ` + "`org_01`" + ` service tier ` + "`on_demand`" + ` on requests per day (RPD): Limit 1000, Used 1000, Requested 1. Please try again in 2m59.56s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing","type":"requests","code":"rate_limit_exceeded"}}`,
		ir.KindRateLimited, "rate_limit_exceeded", 2*time.Minute + 59560*time.Millisecond, "requests per day"},
	{"retry-after HTTP-date on a 503", 503, hdr("Retry-After", "Sun, 01 Jun 2025 12:02:00 GMT"),
		`{"error":{"message":"Service Unavailable","type":"server_error"}}`,
		ir.KindUpstream5xx, "server_error", 2 * time.Minute, "upstream server error (HTTP 503)"},
	{"5xx ignores rate-limit counters", 500, hdr("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "20s"),
		`{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`,
		ir.KindUpstream5xx, "server_error", 0, "HTTP 500"},
	{"retry-after in the past is no wait", 429, hdr("Retry-After", "Sun, 01 Jun 2025 11:00:00 GMT"),
		`{"error":{"message":"Too Many Requests"}}`,
		ir.KindRateLimited, "", 0, "Too Many Requests"},
	{"retry-after-ms", 429, hdr("retry-after-ms", "1500", "retry-after", "1"), `{"error":{"message":"slow down"}}`,
		ir.KindRateLimited, "", 1500 * time.Millisecond, "slow down"},
	{"deepseek 402", 402, nil,
		`{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}`,
		ir.KindQuotaExhausted, "invalid_request_error", 0, "Insufficient Balance"},
	{"403 with quota wording", 403, nil, `{"error":{"message":"You have exceeded your monthly included credits.","type":"forbidden"}}`,
		ir.KindQuotaExhausted, "forbidden", 0, "monthly included credits"},
	{"ollama plain error string", 404, nil, `{"error":"model \"llama9\" not found, try pulling it first"}`,
		ir.KindModelNotSupported, "", 0, `model "llama9" not found`},
	{"html 404: wrong base_url", 404, nil, `<html><body><h1>404 Not Found</h1></body></html>`,
		ir.KindModelNotSupported, "", 0, "check the provider's base_url"},
	{"html 502 from a proxy", 502, nil, `<html><head><title>502 Bad Gateway</title></head></html>`,
		ir.KindUpstream5xx, "", 0, "upstream server error (HTTP 502)"},
	{"413", 413, nil, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`,
		ir.KindContextTooLong, "request_too_large", 0, "maximum allowed"},
	{"422 validation", 422, nil, `{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]}`,
		ir.KindBadRequest, "", 0, "upstream rejected the request"},
	{"plain text 429", 429, nil, "Too many requests, retry after 5 seconds", ir.KindRateLimited, "", 5 * time.Second, "Too many requests"},
}

func TestClassify(t *testing.T) {
	for _, tt := range classifyCases {
		t.Run(tt.name, func(t *testing.T) {
			e := Classify(tt.status, tt.h, []byte(tt.body), now)
			if e.Kind != tt.kind {
				t.Errorf("kind = %s, want %s (%s)", e.Kind, tt.kind, e.Message)
			}
			if e.Status != tt.status {
				t.Errorf("status = %d, want the upstream's %d", e.Status, tt.status)
			}
			if e.Type != tt.typ {
				t.Errorf("type = %q, want %q", e.Type, tt.typ)
			}
			if e.RetryAfter != tt.retry {
				t.Errorf("retry after = %v, want %v", e.RetryAfter, tt.retry)
			}
			if tt.retry > 0 && !e.ResetAt.Equal(now.Add(tt.retry)) {
				t.Errorf("reset at = %v, want %v", e.ResetAt, now.Add(tt.retry))
			}
			if tt.retry == 0 && !e.ResetAt.IsZero() {
				t.Errorf("reset at = %v, want none", e.ResetAt)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tt.msg)
			}
			if strings.Contains(e.Message, "<html") {
				t.Errorf("message carries HTML: %q", e.Message)
			}
		})
	}
}

func geminiQuota(quotaID, delay, extra string) string {
	return fmt.Sprintf(`{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. %s","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":%q,"quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":%q}]}}`, extra, quotaID, delay)
}

func TestClassifyRedirect(t *testing.T) {
	e := Classify(301, hdr("Location", "https://elsewhere.example/v1/chat?token=secret"), nil, now)
	if e.Kind != ir.KindUpstream5xx || e.HTTPStatus() != http.StatusBadGateway {
		t.Fatalf("kind %s status %d", e.Kind, e.HTTPStatus())
	}
	if !strings.Contains(e.Message, "https://elsewhere.example/v1/chat") || strings.Contains(e.Message, "secret") {
		t.Errorf("message %q", e.Message)
	}
}

func TestClassifyClipsLongMessages(t *testing.T) {
	body := `{"error":{"message":"` + strings.Repeat("é", 2000) + `"}}`
	e := Classify(400, nil, []byte(body), now)
	if len(e.Message) > maxMessage+100 || !strings.HasSuffix(e.Message, "…") {
		t.Fatalf("message not clipped: %d bytes", len(e.Message))
	}
	if !strings.Contains(e.Message, "é") || strings.ContainsRune(e.Message, '\uFFFD') {
		t.Fatal("clipping split a character")
	}
}

func TestParseReset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1s", time.Second, true},
		{"6m0s", 6 * time.Minute, true},
		{"20ms", 20 * time.Millisecond, true},
		{"1h2m3s", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"2m59.56s", 2*time.Minute + 59560*time.Millisecond, true},
		{"12", 12 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"2025-06-01T12:00:30Z", 30 * time.Second, true},
		{"Sun, 01 Jun 2025 12:01:00 GMT", time.Minute, true},
		{strconv.FormatInt(now.Unix()+90, 10), 90 * time.Second, true},
		{strconv.FormatInt(now.UnixMilli()+2500, 10), 2500 * time.Millisecond, true},
		{"soon", 0, false},
		{"", 0, false},
		{"-5", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseReset(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseReset(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTextReset(t *testing.T) {
	tests := map[string]time.Duration{
		"Please try again in 20s.":                                20 * time.Second,
		"Please try again in 1m30s. Visit https://x":              90 * time.Second,
		"retry after 5 seconds":                                   5 * time.Second,
		"Please try again in 120ms. Visit":                        120 * time.Millisecond,
		"Please retry in 26.437s.":                                26437 * time.Millisecond,
		"Your quota will reset after 4h21m3s.":                    4*time.Hour + 21*time.Minute + 3*time.Second,
		"Try again in 2 minutes and 10 seconds":                   2*time.Minute + 10*time.Second,
		"Please try again in 7m12.48s. Need more tokens? Upgrade": 7*time.Minute + 12480*time.Millisecond,
		"try again later":                                         0,
		"no hint at all":                                          0,
	}
	for in, want := range tests {
		if got, _ := textReset(in); got != want {
			t.Errorf("textReset(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestResetIsNeverNegativeNorAbsurd(t *testing.T) {
	h := hdr("Retry-After", "Sat, 01 Jun 2024 12:00:00 GMT", "x-ratelimit-reset", "99999999999999999",
		"x-ratelimit-reset-requests", "-3s")
	body := `{"error":{"message":"rate limit","resets_in_seconds":-10,"resets_at":1}}`
	if e := Classify(429, h, []byte(body), now); e.RetryAfter != 0 || !e.ResetAt.IsZero() {
		t.Fatalf("retry after %v, reset at %v", e.RetryAfter, e.ResetAt)
	}
	h = hdr("Retry-After", strconv.Itoa(int((400 * 24 * time.Hour).Seconds())))
	if e := Classify(429, h, nil, now); e.RetryAfter != 0 {
		t.Fatalf("a 400-day wait was believed: %v", e.RetryAfter)
	}
}

func TestClassifyTransport(t *testing.T) {
	timeoutErr := &url.Error{Op: "Post", URL: "https://api.example.com/v1", Err: &net.OpError{Op: "dial", Err: timeoutError{}}}
	refused := &url.Error{Op: "Post", URL: "https://api.example.com/v1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
	tests := []struct {
		err  error
		kind ir.ErrorKind
		msg  string
	}{
		{context.Canceled, ir.KindCanceled, "canceled"},
		{&url.Error{Op: "Post", URL: "u", Err: context.Canceled}, ir.KindCanceled, "canceled"},
		{context.DeadlineExceeded, ir.KindTimeout, "in time"},
		{timeoutErr, ir.KindTimeout, "in time"},
		{refused, ir.KindNetwork, "upstream connection failed: dial tcp: connect: connection refused"},
		{&url.Error{Op: "Post", URL: "u", Err: &net.OpError{Op: "dial", Err: &BlockedAddrError{}}}, ir.KindNetwork, "blocked private address"},
	}
	for _, tt := range tests {
		e := ClassifyTransport(tt.err)
		if e.Kind != tt.kind || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%v → %s %q, want %s containing %q", tt.err, e.Kind, e.Message, tt.kind, tt.msg)
		}
		if strings.Contains(e.Message, "api.example.com") {
			t.Errorf("message repeats the URL: %q", e.Message)
		}
		if !errors.Is(e, tt.err) && e.Cause != tt.err {
			t.Errorf("cause not kept")
		}
	}
	if ClassifyTransport(nil) != nil {
		t.Error("nil error classified")
	}
	orig := ir.Errorf(ir.KindAuth, "x")
	if ClassifyTransport(fmt.Errorf("wrapped: %w", orig)) != orig {
		t.Error("an *ir.Error was re-classified")
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
