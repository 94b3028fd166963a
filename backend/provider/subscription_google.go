package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// ---------------------------------------------------------------------------
// Google Cloud Code: Gemini Code Assist and Antigravity through a Google
// sign-in. Both speak the Gemini API wrapped in Cloud Code's envelope, at
// <base>/v1internal:generateContent and :streamGenerateContent?alt=sse:
//
//	request  {"model":M,"project":P,"request":<Gemini request>}
//	answer   {"response":<Gemini response>,"traceId":T}   (each SSE data line too)
//
// The request is wrapped here and the answer unwrapped before anyone reads
// it, so the gateway and the Gemini codec see the plain Gemini API. Facts
// from google-gemini/gemini-cli (packages/core/src/code_assist/server.ts,
// converter.ts) and, for Antigravity's agent fields, CLIProxyAPI
// (internal/runtime/executor/antigravity_executor_request.go) and 9router
// (open-sse/executors/antigravity.js).
const (
	QuirksCodeAssist  = "gemini-code-assist" // Gemini Code Assist (the Gemini CLI's sign-in)
	QuirksAntigravity = "antigravity"        // Antigravity (Google's agent IDE)
)

const (
	// geminiCLIVersion is the Gemini CLI release whose identity is sent
	// (the client captures in the reference were made with it).
	geminiCLIVersion = "0.61.0"
	// antigravityUA is what CLIProxyAPI sends for Antigravity ("Cloud Code
	// rejects newer models for clients below 2.9.0"; the hub build is
	// macOS-only, hence the fixed platform). 9router still sends the older
	// "antigravity/1.107.0 <os>/<arch>".
	antigravityUA = "antigravity/hub/2.9.1 darwin/arm64"
)

// isCloudCode reports the quirks that use the Cloud Code envelope.
func isCloudCode(q string) bool { return q == QuirksCodeAssist || q == QuirksAntigravity }

// cloudCodeURL is the v1internal method for op; Cloud Code has no
// embeddings or model list, and its countTokens takes another envelope,
// so only generation is offered.
func cloudCodeURL(base string, op Op, stream bool) string {
	switch {
	case op != OpGenerate:
		return ""
	case stream:
		return base + "/v1internal:streamGenerateContent?alt=sse"
	}
	return base + "/v1internal:generateContent"
}

// cloudCodeBody wraps the Gemini request in the envelope: the model (bare,
// as the Gemini CLI sends it) and the account's project on the outside.
func cloudCodeBody(call *Call) ([]byte, *ir.Error) {
	inner := call.wholeBody()
	if err := checkObject(inner); err != nil {
		return nil, err
	}
	project := strings.TrimSpace(call.Project)
	if project == "" {
		return nil, &ir.Error{Kind: ir.KindAuth, Provider: call.Entry.ID,
			Message: "the sign-in for " + call.Entry.ID + " has no Google Cloud project; sign in again"}
	}
	model := strings.TrimPrefix(call.Model, "models/")
	// Appended into one buffer: a body with images runs to megabytes.
	b := make([]byte, 0, len(inner)+256)
	b = append(b, `{"model":`...)
	b = append(b, jsonString(model)...)
	b = append(b, `,"project":`...)
	b = append(b, jsonString(project)...)
	if call.Entry.Quirks == QuirksAntigravity {
		var err *ir.Error
		if inner, err = antigravityRequest(inner, model); err != nil {
			return nil, err
		}
		b = append(b, `,"requestId":`...)
		b = append(b, jsonString("agent-"+newUUID())...)
		b = append(b, `,"requestType":"agent","userAgent":"antigravity"`...)
	}
	b = append(b, `,"request":`...)
	b = append(b, inner...)
	return append(b, '}'), nil
}

// antigravityRequest shapes the inner request the way Antigravity's agent
// sends it: a session id that keeps a conversation on one cache, no safety
// settings, and, for the Claude models it also serves, tool calls in
// VALIDATED mode (both peers do; Claude needs its schemas honoured).
func antigravityRequest(body []byte, model string) ([]byte, *ir.Error) {
	ed := editor{body: body}
	root := gjson.Parse(view(body))
	if root.Get("safetySettings").Exists() {
		ed.del("safetySettings")
	}
	if s := root.Get("sessionId"); s.Type != gjson.String || s.String() == "" {
		ed.set("sessionId", sessionID(root.Get("contents")))
	}
	if strings.Contains(model, "claude") && root.Get("tools.0").Exists() {
		ed.set("toolConfig.functionCallingConfig.mode", "VALIDATED")
	}
	if ed.err != nil {
		return nil, &ir.Error{Kind: ir.KindBadRequest, Message: "the request body could not be prepared for the sign-in", Cause: ed.err}
	}
	return ed.body, nil
}

// sessionID is stable for a conversation: derived from its first user
// text (as CLIProxyAPI derives it), random when there is none. The form,
// "-" and a positive 63-bit number, is the one Antigravity sends.
func sessionID(contents gjson.Result) string {
	var seed []byte
	contents.ForEach(func(_, c gjson.Result) bool {
		if c.Get("role").String() == "user" {
			if t := c.Get("parts.0.text").String(); t != "" {
				seed = []byte(t)
				return false
			}
		}
		return true
	})
	var n uint64
	if seed != nil {
		sum := sha256.Sum256(seed)
		n = binary.BigEndian.Uint64(sum[:8])
	} else {
		var r [8]byte
		_, _ = rand.Read(r[:])
		n = binary.BigEndian.Uint64(r[:])
	}
	return "-" + strconv.FormatUint(n&(1<<63-1), 10)
}

// newUUID makes the request ids; tests swap it for a counter.
var newUUID = func() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// cloudCodeHeaders sets the identity of the vendor's own client. The Gemini
// CLI keeps its own User-Agent (version and platform) when it is the
// caller, naming the model sent upstream instead of the one it asked the
// gateway for ("gca/…").
func cloudCodeHeaders(h http.Header, call *Call) {
	h.Del("X-Goog-Api-Key") // the sign-in's token is the only credential
	model := strings.TrimPrefix(call.Model, "models/")
	ua, ok := geminiCLIWithModel(call.ClientUserAgent, model)
	if call.Entry.Quirks != QuirksCodeAssist || !ok {
		ua = CloudCodeUserAgent(call.Entry.Quirks, model)
	}
	h.Set("User-Agent", ua)
}

// geminiCLIWithModel rewrites the model in a Gemini CLI User-Agent,
// "GeminiCLI[-client]/<version>/<model> (<platform>; <arch>; <surface>)";
// ok is false for any other User-Agent.
func geminiCLIWithModel(ua, model string) (string, bool) {
	head, rest, found := strings.Cut(ua, " (")
	if !strings.HasPrefix(head, "GeminiCLI") || !found {
		return "", false
	}
	name, after, _ := strings.Cut(head, "/")
	version, _, ok := strings.Cut(after, "/")
	if !ok || version == "" {
		return "", false
	}
	return name + "/" + version + "/" + model + " (" + rest, true
}

// CloudCodeUserAgent is the User-Agent the vendor's own client sends for
// quirks (the sign-in's project discovery sends it as well).
func CloudCodeUserAgent(quirks, model string) string {
	if quirks == QuirksAntigravity {
		return antigravityUA
	}
	return geminiCLIUA(model, googlePlatform)
}

// geminiCLIUA is the Gemini CLI's User-Agent as its 0.61.0 interactive
// client sends it: GeminiCLI-tui/<version>/<model> (<platform>; <arch>;
// terminal), platform and arch as Node names them.
func geminiCLIUA(model string, p [2]string) string {
	return "GeminiCLI-tui/" + geminiCLIVersion + "/" + model + " (" + p[0] + "; " + p[1] + "; terminal)"
}

// googlePlatform is this machine as Node's process.platform and
// process.arch name it.
var googlePlatform = nodePlatform(runtime.GOOS, runtime.GOARCH)

func nodePlatform(goos, goarch string) [2]string {
	if goos == "windows" {
		goos = "win32"
	}
	switch goarch {
	case "amd64":
		goarch = "x64"
	case "386":
		goarch = "ia32"
	}
	return [2]string{goos, goarch}
}
