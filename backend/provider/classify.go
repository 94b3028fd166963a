package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// Phrases that decide a kind when the status alone cannot. They are matched
// case-insensitively against the upstream message, type, code and status.
var (
	// strongQuota: the account is out of money or out of a long window;
	// waiting a minute will not help.
	strongQuota = []string{"insufficient_quota", "insufficient quota", "insufficient balance",
		"insufficient_balance", "exceeded your current quota", "quota exceeded", "quota has been exceeded",
		"quota exhausted", "exhausted your capacity", "quota will reset", "hour quota", "daily quota",
		"credit balance is too low", "out of credits", "usage_limit_reached", "usage limit has been reached",
		"billing_error", "billing_not_active", "payment required"}
	// rateWords: a short window; try again soon.
	rateWords = []string{"rate limit", "rate_limit", "ratelimit", "too many requests", "requests per min",
		"tokens per min", "overloaded"}
	// weakQuota: quota-ish words that also appear in rate-limit messages
	// ("add a payment method … /account/billing"), so they only decide
	// when nothing stronger did. The bare word "quota" is not among them:
	// Gemini's "Resource has been exhausted (e.g. check quota)" is a rate
	// limit; it only counts on a 403, where the choice is quota or auth.
	weakQuota = []string{"billing", "free tier", "credits"}
	// contextWords: the prompt does not fit this model; a larger one may.
	contextWords = []string{"context_length_exceeded", "maximum context length", "context length",
		"context window", "prompt is too long", "prompt too long", "too many tokens", "input is too long",
		"input token count", "exceeds the maximum number of tokens", "reduce the length of the messages",
		"request_too_large", "string_above_max_length"}
	// modelWords: this upstream does not serve the model (or a parameter
	// the model does not take); another target may.
	modelWords = []string{"model_not_found", "model not found", "does not exist", "not supported",
		"unsupported model", "unsupported_model", "unknown model", "invalid model", "no such model",
		"is not a valid model", "not a valid model", "model is not available", "no endpoints found",
		"unsupported parameter", "unsupported_parameter", "location is not supported"}
	// authWords: credential problems some upstreams answer with 400
	// (Gemini's "API key not valid").
	authWords = []string{"api key not valid", "api_key_invalid", "invalid api key", "invalid_api_key",
		"invalid x-api-key", "incorrect api key", "authentication_error"}
)

func hasAny(text string, words []string) bool {
	for _, w := range words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// Classify turns an upstream's non-2xx answer into the one error type.
// status is kept as the status the client sees; Type is the upstream's own
// code; RetryAfter/ResetAt come from headers and body (see resetAfter).
// now is the clock reset times are measured against.
func Classify(status int, h http.Header, body []byte, now time.Time) *ir.Error {
	info := parseErrorBody(body)
	kind := classifyKind(status, info)
	e := &ir.Error{
		Kind:    kind,
		Status:  status,
		Type:    info.typ,
		Message: describe(kind, status, info.message, h),
	}
	if status < 400 {
		e.Status = http.StatusBadGateway // a redirect or stray 1xx/2xx is not an answer we can relay
	}
	if d := resetAfter(kind, h, info, now); d > 0 {
		e.RetryAfter = d
		e.ResetAt = now.Add(d)
	}
	return e
}

// classifyKind is the decision table. The status picks the family; the
// phrases above settle the cases a status cannot (a 429 that is really an
// empty wallet, a 400 that is really a too-long prompt, a 403 for billing).
func classifyKind(status int, info errorInfo) ir.ErrorKind {
	t := info.text
	switch {
	case status == http.StatusPaymentRequired:
		return ir.KindQuotaExhausted
	case status == http.StatusTooManyRequests || info.status == "RESOURCE_EXHAUSTED":
		return rateOrQuota(info)
	case status == http.StatusUnauthorized:
		return ir.KindAuth
	case status == http.StatusForbidden:
		if hasAny(t, strongQuota) || hasAny(t, weakQuota) || strings.Contains(t, "quota") {
			return ir.KindQuotaExhausted
		}
		return ir.KindAuth
	case status == http.StatusNotFound:
		// An upstream 404 nearly always means "no such model here" (or a
		// wrong base_url): either way the next target may work.
		return ir.KindModelNotSupported
	case status == http.StatusRequestTimeout:
		return ir.KindTimeout
	case status == http.StatusRequestEntityTooLarge:
		return ir.KindContextTooLong
	case status >= 500:
		return ir.KindUpstream5xx
	case status >= 400:
		return badRequestKind(t)
	case status >= 300:
		return ir.KindUpstream5xx // a redirect: the base_url points at the wrong place
	}
	return ir.KindUnknown
}

// rateOrQuota separates "slow down" from "out of quota" inside a 429.
func rateOrQuota(info errorInfo) ir.ErrorKind {
	switch {
	case info.typ == "rate_limit_exceeded" || info.typ == "rate_limit_error":
		return ir.KindRateLimited
	case info.quotaScope == scopeLong:
		return ir.KindQuotaExhausted
	case info.quotaScope == scopeMinute:
		// Gemini words its per-minute limits "exceeded your current quota";
		// its QuotaFailure details say which window it really is.
		return ir.KindRateLimited
	case hasAny(info.text, strongQuota):
		return ir.KindQuotaExhausted
	case hasAny(info.text, rateWords):
		return ir.KindRateLimited
	case hasAny(info.text, weakQuota):
		return ir.KindQuotaExhausted
	}
	return ir.KindRateLimited
}

// badRequestKind sorts the 4xx answers that are not otherwise special.
func badRequestKind(t string) ir.ErrorKind {
	switch {
	case hasAny(t, authWords):
		return ir.KindAuth
	case hasAny(t, strongQuota): // Anthropic: 400 "credit balance is too low"
		return ir.KindQuotaExhausted
	case hasAny(t, contextWords):
		return ir.KindContextTooLong
	case hasAny(t, modelWords):
		return ir.KindModelNotSupported
	case hasAny(t, rateWords):
		return ir.KindRateLimited
	}
	return ir.KindBadRequest
}

// describe is the client-safe message: provider-neutral wording for the
// kind, then what the upstream said.
func describe(kind ir.ErrorKind, status int, upstream string, h http.Header) string {
	var lead string
	switch kind {
	case ir.KindRateLimited:
		lead = "rate limited by upstream"
	case ir.KindQuotaExhausted:
		lead = "upstream quota exhausted"
	case ir.KindAuth:
		lead = "upstream rejected the credentials"
		if status == http.StatusForbidden {
			lead = "upstream denied access"
		}
	case ir.KindContextTooLong:
		lead = "request too long for the model"
	case ir.KindModelNotSupported:
		lead = "model not supported by upstream"
		if status == http.StatusNotFound && !strings.Contains(strings.ToLower(upstream), "model") {
			lead = "upstream endpoint or model not found (check the provider's base_url)"
		}
	case ir.KindBadRequest:
		lead = "upstream rejected the request"
	case ir.KindTimeout:
		lead = "upstream timed out"
	case ir.KindUpstream5xx:
		lead = fmt.Sprintf("upstream server error (HTTP %d)", status)
		if status == 529 || strings.Contains(strings.ToLower(upstream), "overloaded") {
			lead = "upstream overloaded"
		}
		if status >= 300 && status < 400 {
			lead = fmt.Sprintf("upstream answered with a redirect (HTTP %d%s); check the provider's base_url", status, redirectTarget(h))
		}
	default:
		lead = fmt.Sprintf("unexpected upstream answer (HTTP %d)", status)
	}
	if upstream == "" {
		return lead
	}
	return lead + ": " + upstream
}

// redirectTarget names where a redirect pointed, without its query (which
// could carry anything).
func redirectTarget(h http.Header) string {
	loc := h.Get("Location")
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	if loc == "" {
		return ""
	}
	return " to " + loc
}

// ClassifyTransport classifies an error from the HTTP round trip itself
// (no upstream answer): the client leaving, a deadline, a refused or reset
// connection, a TLS failure, or the dial guard.
func ClassifyTransport(err error) *ir.Error {
	if err == nil {
		return nil
	}
	var ie *ir.Error
	if errors.As(err, &ie) {
		return ie
	}
	var blocked *BlockedAddrError
	var ne net.Error
	switch {
	case errors.As(err, &blocked):
		return &ir.Error{Kind: ir.KindNetwork, Message: blocked.Error(), Cause: err}
	case errors.Is(err, context.Canceled):
		return &ir.Error{Kind: ir.KindCanceled, Message: "request canceled", Cause: err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &ir.Error{Kind: ir.KindTimeout, Message: "upstream did not answer in time", Cause: err}
	}
	return &ir.Error{Kind: ir.KindNetwork, Message: "upstream connection failed: " + innermost(err), Cause: err}
}

// innermost drops the url.Error wrapper ("Post \"https://…\": …"): the
// provider is named elsewhere and the URL adds nothing for the client.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// quota windows named by Gemini's QuotaFailure details.
const (
	scopeUnknown = iota
	scopeMinute
	scopeLong // per day / month: real exhaustion
)

// errorInfo is what we understood of an error body, in any dialect.
type errorInfo struct {
	message    string // upstream's human message
	typ        string // upstream's code/status/type, most specific first
	status     string // Gemini / google.rpc status ("RESOURCE_EXHAUSTED")
	quotaScope int
	text       string // lowercase haystack for the phrase tables
	root       gjson.Result
}

// parseErrorBody reads OpenAI {"error":{message,type,code}}, Anthropic
// {"type":"error","error":{type,message}}, Gemini {"error":{code,message,
// status,details}} (also wrapped in an array), plain {"error":"…"},
// {"message":…}/{"detail":…}, and non-JSON text.
func parseErrorBody(body []byte) errorInfo {
	root := gjson.ParseBytes(body)
	if root.IsArray() {
		root = root.Get("0")
	}
	var info errorInfo
	info.root = root
	if !root.IsObject() {
		info.message = plainText(body)
		info.text = strings.ToLower(info.message)
		return info
	}
	errObj := root.Get("error")
	switch {
	case errObj.IsObject():
		info.message = errObj.Get("message").String()
		info.status = errObj.Get("status").String()
		info.typ = firstString(errObj.Get("code"), errObj.Get("status"), errObj.Get("type"))
		info.quotaScope = geminiQuotaScope(errObj.Get("details"))
	case errObj.Type == gjson.String:
		info.message = errObj.String()
	default:
		info.message = firstString(root.Get("message"), root.Get("detail"), root.Get("error_description"))
		info.typ = firstString(root.Get("code"), root.Get("type"))
	}
	info.message = clip(strings.TrimSpace(info.message))
	info.text = strings.ToLower(strings.Join([]string{info.message, info.typ,
		errObj.Get("type").String(), errObj.Get("code").String(), info.status,
		errObj.Get("metadata.raw").String()}, " "))
	return info
}

// firstString returns the first non-empty string value (numeric codes such
// as Gemini's 429 are not a type).
func firstString(rs ...gjson.Result) string {
	for _, r := range rs {
		if r.Type == gjson.String && r.Str != "" {
			return r.Str
		}
	}
	return ""
}

// geminiQuotaScope reads google.rpc.QuotaFailure violations: a per-day (or
// longer) quota id means real exhaustion, per-minute ones a rate limit.
func geminiQuotaScope(details gjson.Result) int {
	scope := scopeUnknown
	for _, d := range details.Array() {
		if !strings.HasSuffix(d.Get("@type").String(), "QuotaFailure") {
			continue
		}
		for _, v := range d.Get("violations").Array() {
			id := strings.ToLower(v.Get("quotaId").String() + " " + v.Get("quotaMetric").String())
			switch {
			case strings.Contains(id, "perday") || strings.Contains(id, "per_day") || strings.Contains(id, "permonth"):
				return scopeLong
			case strings.Contains(id, "perminute") || strings.Contains(id, "per_minute"):
				scope = scopeMinute
			}
		}
	}
	return scope
}

const maxMessage = 1000

// plainText is a short, readable version of a non-JSON body; HTML error
// pages (proxies, CDNs) say nothing useful and are dropped.
func plainText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "<") {
		return ""
	}
	return clip(s)
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// utf8Start reports whether b starts a UTF-8 sequence (so clip never splits
// a character).
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
