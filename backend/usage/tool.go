package usage

import (
	"net/http"
	"sync"
)

// toolMarks map what a client puts in its User-Agent (lower-cased) to the
// coding tool it is, most specific first: agents built on an SDK carry the
// SDK's mark too. Observed in the reference captures (Claude Code, Codex,
// Gemini CLI, OpenCode) and in the tools' and SDKs' sources.
var toolMarks = []struct{ mark, tool string }{
	{"claude-cli/", "claude-code"},
	{"claude-code", "claude-code"},
	{"codex_", "codex"}, // codex_cli_rs, codex_exec, codex_vscode
	{"codex-", "codex"},
	{"geminicli", "gemini-cli"},
	{"gemini-cli", "gemini-cli"},
	{"opencode/", "opencode"},
	{"qwencode", "qwen-code"},
	{"qwen-code", "qwen-code"},
	{"kimicli", "kimi-cli"},
	{"kimi-cli", "kimi-cli"},
	{"kilo-code", "kilo-code"},
	{"kilocode", "kilo-code"},
	{"roocode", "roo-code"},
	{"roo-code", "roo-code"},
	{"cline", "cline"},
	{"continue", "continue"},
	{"aider", "aider"},
	{"factory-cli", "factory-droid"},
	{"factory/", "factory-droid"},
	{"openclaw", "openclaw"},
	{"cursor", "cursor"},
	{"githubcopilot", "copilot"},
	{"litellm", "litellm"},
	{"openai/python", "openai-sdk"},
	{"openai/js", "openai-sdk"},
	{"openai/go", "openai-sdk"},
	{"openai/java", "openai-sdk"},
	{"openai/", "openai-sdk"},
	{"anthropic/", "anthropic-sdk"},
	{"google-genai-sdk", "genai-sdk"},
	{"google-api-nodejs-client", "genai-sdk"},
	{"ai-sdk/", "ai-sdk"},
	{"curl/", "curl"},
	{"python-requests", "python"},
	{"python-httpx", "python"},
	{"go-http-client", "go"},
}

// Tools lists every tool id ToolOf returns (the Analytics filter).
func Tools() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range toolMarks {
		if !seen[m.tool] {
			seen[m.tool] = true
			out = append(out, m.tool)
		}
	}
	return out
}

// ToolOf names the coding tool that sent a request from its User-Agent,
// the Codex originator header and the app title some tools send
// (X-Title, HTTP-Referer), or "" when none is recognised. It allocates
// nothing once it has seen a client's User-Agent (it runs once per
// request).
func ToolOf(h http.Header) string {
	if t := userAgents.toolOf(h.Get("User-Agent")); t != "" {
		return t
	}
	for _, k := range [...]string{"Originator", "X-Title", "Http-Referer"} {
		if t := toolIn(h.Get(k)); t != "" {
			return t
		}
	}
	return ""
}

// toolIn is the tool whose mark v holds, or "".
func toolIn(v string) string {
	if v == "" {
		return ""
	}
	for _, m := range toolMarks {
		if containsFold(v, m.mark) {
			return m.tool
		}
	}
	return ""
}

// userAgents remembers what toolIn said of the User-Agents seen: a
// client sends the same one with every request, and matching it against
// every mark cost a percent of an agent request's CPU.
var userAgents = uaMemo{seen: map[string]string{}}

// uaMemo bounds what it keeps (User-Agents are the client's to choose).
type uaMemo struct {
	mu   sync.RWMutex
	seen map[string]string
}

const (
	maxUAMemo    = 256 // User-Agents remembered
	maxUAMemoLen = 512 // longer ones are matched every time
)

func (m *uaMemo) toolOf(ua string) string {
	if ua == "" || len(ua) > maxUAMemoLen {
		return toolIn(ua)
	}
	m.mu.RLock()
	t, ok := m.seen[ua]
	m.mu.RUnlock()
	if ok {
		return t
	}
	t = toolIn(ua)
	m.mu.Lock()
	if len(m.seen) < maxUAMemo {
		m.seen[ua] = t
	}
	m.mu.Unlock()
	return t
}

// containsFold reports whether s contains lower, ignoring ASCII case
// (lower is lower-case already).
func containsFold(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
