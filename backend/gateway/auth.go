package gateway

import (
	"net/http"
	"strings"

	"switchboard/backend/dialect"
)

// dialectOf says which wire dialect a path belongs to, so errors (including
// 401s) come back in the shape the client's SDK parses.
func dialectOf(r *http.Request) dialect.Name {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/v1beta/"):
		return dialect.Gemini
	case strings.HasPrefix(p, "/v1/messages"):
		return dialect.Anthropic
	case strings.HasPrefix(p, "/v1/models") && r.Header.Get("anthropic-version") != "":
		return dialect.Anthropic
	case strings.HasPrefix(p, "/v1/responses"):
		return dialect.Responses
	}
	return dialect.OpenAIChat
}

// presentedKey finds the local key wherever a client's SDK puts it:
// Authorization: Bearer (OpenAI, Anthropic SDKs, Claude Code's auth token),
// x-api-key (Claude Code), x-goog-api-key or ?key= (Gemini).
func presentedKey(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			return strings.TrimSpace(a[7:])
		}
	}
	if k := r.Header.Get("x-api-key"); k != "" {
		return k
	}
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return k
	}
	if strings.HasPrefix(r.URL.Path, "/v1beta/") {
		return r.URL.Query().Get("key")
	}
	return ""
}
