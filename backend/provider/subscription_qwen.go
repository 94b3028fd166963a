package provider

import (
	"net/http"
	"runtime"
	"strings"
)

// qwen-code: a qwen.ai account through the OpenAI-compatible API named by
// the sign-in's resource_url (portal.qwen.ai by default). The Qwen Code
// CLI talks to it through its DashScope provider, which identifies itself
// with a QwenCode User-Agent and three X-DashScope-* headers, the auth type
// qwen-oauth among them (packages/core/src/core/openaiContentGenerator/
// provider/dashscope.ts buildHeaders; 9router's qwen executor sends the
// same). The body needs no change.
const QuirksQwenCode = "qwen-code"

// qwenCodeVersion is the Qwen Code release whose identity is sent: 0.14.4
// is among the last that signed in with Qwen OAuth (later ones hide it
// since the free tier ended, QwenLM/qwen-code#3210; users report 0.14.4
// with "Auth: Qwen OAuth" in #3281, #3296).
const qwenCodeVersion = "0.14.4"

// qwenUA is this machine's Qwen Code User-Agent; tests pin it.
var qwenUA = newQwenUA(runtime.GOOS, runtime.GOARCH)

// newQwenUA names the platform the way Node does (process.platform,
// process.arch), as the CLI's User-Agent does.
func newQwenUA(goos, goarch string) string {
	if goos == "windows" {
		goos = "win32"
	}
	arch := map[string]string{"amd64": "x64", "386": "ia32"}[goarch]
	if arch == "" {
		arch = goarch
	}
	return "QwenCode/" + qwenCodeVersion + " (" + goos + "; " + arch + ")"
}

// isQwenCode tells the Qwen Code CLI apart from other clients.
func isQwenCode(ua string) bool { return strings.HasPrefix(ua, "QwenCode/") }

// qwenHeaders sets the Qwen Code CLI's identity. A client that is Qwen
// Code keeps its own User-Agent.
func qwenHeaders(h http.Header, call *Call) {
	ua := qwenUA
	if isQwenCode(call.ClientUserAgent) {
		ua = call.ClientUserAgent
	}
	h.Set("User-Agent", ua)
	h.Set("X-Dashscope-Useragent", ua)
	h.Set("X-Dashscope-Authtype", "qwen-oauth")
	h.Set("X-Dashscope-Cachecontrol", "enable")
}
