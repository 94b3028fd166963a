package provider

import (
	"net/http"
	"strings"
	"sync"

	"switchboard/backend/provider/kimiid"
)

// kimi-cli: a Kimi Code membership through the coding API's Anthropic
// Messages endpoint (https://api.kimi.com/coding/v1/messages). Besides the
// bearer token the API wants a client on its allow-list: it answers 403
// "Kimi For Coding is currently only available for Coding Agents such as
// Kimi CLI, Claude Code, …" (access_terminated_error) to the rest, and
// gates OAuth traffic on X-Msh-Platform (MoonshotAI/kimi-code#636). So
// sign-in traffic carries kimi-cli's User-Agent and X-Msh-* device headers
// (package kimiid), as kimi-cli sends them on its own requests
// (kimi_cli/llm.py _kimi_default_headers). The body needs no change.
const QuirksKimiCLI = "kimi-cli"

// kimiIdent is this machine's identity; tests pin it.
var kimiIdent = sync.OnceValue(kimiid.Local)

// isKimiCLI tells kimi-cli (KimiCLI/1.49.0) apart from other clients.
func isKimiCLI(ua string) bool { return strings.HasPrefix(ua, "KimiCLI/") }

// kimiHeaders sets kimi-cli's identity. A client that is kimi-cli keeps
// its own User-Agent.
func kimiHeaders(h http.Header, call *Call) {
	ua := kimiid.UserAgent
	if isKimiCLI(call.ClientUserAgent) {
		ua = call.ClientUserAgent
	}
	h.Set("User-Agent", ua)
	for k, v := range kimiIdent().Headers() {
		h.Set(k, v)
	}
}
