package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/kiro"
	"switchboard/backend/ir"
)

// kiro: a Kiro sign-in (AWS Builder ID, or a login imported from the Kiro
// IDE) through CodeWhisperer's generateAssistantResponse. Facts from the
// Kiro clients of AIClient-2-API (the one that mimics the IDE most closely),
// 9router and CLIProxyAPIPlus:
//   - the IDE identifies as the AWS JS SDK's codewhispererstreaming client
//     with a KiroIDE-<version>-<machine id> suffix, sends amz-sdk-* headers,
//     x-amzn-kiro-agent-mode: vibe, and opts out of data sharing with
//     x-amzn-codewhisperer-optout;
//   - an account with a profile (Kiro's Google/GitHub logins) names it in the
//     body as profileArn; Builder ID accounts send none;
//   - the answer is an AWS event stream, re-framed here as SSE for the gateway;
//   - an access token the service no longer takes is answered 403
//     AccessDeniedException, which the gateway must see as 401 to refresh it.

const (
	kiroIDEVersion  = "0.11.63" // the Kiro IDE release the identity is taken from (AIClient-2-API)
	kiroSDKVersion  = "1.0.34"  // its codewhispererstreaming client
	kiroNodeVersion = "22.21.1"
)

// kiroIdentity is this machine as the IDE's User-Agent describes one.
type kiroIdentity struct {
	os   string // "linux", "macos", "windows"
	host string // seeds the machine id
}

var kiroIdent = newKiroIdentity(runtime.GOOS)

func newKiroIdentity(goos string) kiroIdentity {
	host, _ := os.Hostname()
	name := map[string]string{"darwin": "macos"}[goos]
	if name == "" {
		name = goos
	}
	return kiroIdentity{os: name, host: host}
}

// machineID stands in for the IDE's machine id: stable for this machine and
// account, and revealing neither.
func (k kiroIdentity) machineID(accountRef string) string {
	sum := sha256.Sum256([]byte("switchboard-kiro\x00" + k.host + "\x00" + accountRef))
	return hex.EncodeToString(sum[:])
}

func kiroHeaders(h http.Header, call *Call) {
	suffix := "KiroIDE-" + kiroIDEVersion + "-" + kiroIdent.machineID(call.AccountRef)
	h.Set("Accept", "application/json") // the IDE's; the answer is an event stream regardless
	h.Set("Amz-Sdk-Invocation-Id", newInvocationID())
	h.Set("Amz-Sdk-Request", "attempt=1; max=1") // the router retries, never the transport
	h.Set("X-Amzn-Kiro-Agent-Mode", "vibe")
	h.Set("X-Amzn-Codewhisperer-Optout", "true")
	h.Set("X-Amz-User-Agent", "aws-sdk-js/"+kiroSDKVersion+" "+suffix)
	h.Set("User-Agent", "aws-sdk-js/"+kiroSDKVersion+" ua/2.1 os/"+kiroIdent.os+" lang/js md/nodejs#"+kiroNodeVersion+
		" api/codewhispererstreaming#"+kiroSDKVersion+" m/E "+suffix)
}

// newInvocationID is a random UUID (version 4), one per request as the SDK
// sends it.
func newInvocationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// kiroBody names the account's profile, when it has one.
func kiroBody(body []byte, profileARN string) ([]byte, *ir.Error) {
	if err := checkObject(body); err != nil {
		return nil, err
	}
	if strings.TrimSpace(profileARN) == "" {
		return body, nil
	}
	ed := editor{body: body}
	ed.set("profileArn", strings.TrimSpace(profileARN))
	if ed.err != nil {
		return nil, &ir.Error{Kind: ir.KindBadRequest, Message: "the request body could not be prepared for the sign-in", Cause: ed.err}
	}
	return ed.body, nil
}

// kiroResponse re-frames the event stream as SSE (see dialect/kiro's
// SSEBody), so the gateway streams or aggregates it like any answer.
func kiroResponse(resp *http.Response) *http.Response {
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp // already SSE (a relay in between)
	}
	resp.Body = kiro.SSEBody(resp.Body)
	resp.Header.Set("Content-Type", "text/event-stream")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	return resp
}

// kiroError reads Kiro's {"message","reason"} error bodies: the reason
// decides the kind (CONTENT_LENGTH_EXCEEDS_THRESHOLD, MONTHLY_REQUEST_COUNT…),
// and a 403 about the token itself becomes 401 so it is refreshed once and
// retried, as any sign-in's rejected token is.
func kiroError(e *ir.Error, body []byte) {
	if reason := gjson.GetBytes(body, "reason").String(); reason != "" {
		if k, ok := kiro.ReasonKind(reason); ok {
			e.Kind, e.Type = k, reason
		}
	}
	msg := strings.ToLower(e.Message)
	if e.Status == http.StatusForbidden && e.Kind == ir.KindAuth && strings.Contains(msg, "token") &&
		(strings.Contains(msg, "invalid") || strings.Contains(msg, "expired")) {
		e.Status = http.StatusUnauthorized
	}
}
