// Package logging builds the one slog logger the app passes down. Its
// handler redacts secrets: attributes named like credentials, values shaped
// like API keys or tokens (GitHub, JWT), password values, and key=/token=
// query parameters inside URLs.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces a secret value in logs.
const Redacted = "[REDACTED]"

// New returns a logger writing format ("text" or "json") at level.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "", "info":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("logging: unknown level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redactAttr}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("logging: unknown format %q", format)
}

var sensitiveKeys = []string{"api_key", "apikey", "authorization", "password", "secret", "token", "x-api-key", "x-goog-api-key", "cookie"}

// secretShapes are the credential formats redacted wherever they appear.
// Each starts with a literal (see LiteralPrefix), so a text without that
// literal skips the pattern after one fast substring search.
var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`sk-[A-Za-z0-9_\-]{12,}`),                                     // OpenAI, Anthropic, ours (sk-sb-)
	regexp.MustCompile(`AIza[0-9A-Za-z_\-]{20,}`),                                    // Google
	regexp.MustCompile(`xai-[A-Za-z0-9]{16,}`),                                       // xAI
	regexp.MustCompile(`gsk_[A-Za-z0-9]{16,}`),                                       // Groq
	regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{20,}`),                                 // GitHub personal, OAuth, user, server, refresh tokens
	regexp.MustCompile(`github_pat_[A-Za-z0-9_]{20,}`),                               // GitHub fine-grained tokens
	regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*`), // JWT: base64url {" header . payload . signature (empty for alg none)
	regexp.MustCompile(`Bearer [A-Za-z0-9._\-]{12,}`),
}

var shapePrefixes = func() []string {
	out := make([]string, len(secretShapes))
	for i, re := range secretShapes {
		out[i], _ = re.LiteralPrefix()
	}
	return out
}()

// queryKey matches credentials passed in URLs (Gemini's ?key=). The
// one-time dashboard login link (?token=) is meant to be printed.
var queryKey = regexp.MustCompile(`([?&](?:key|api_key|access_token|refresh_token)=)[^&\s"]+`)

// passwordValue is matched where "password" (any case) starts, and finds
// the value that follows it in the three shapes logged bodies carry:
// password=… (forms, query strings, key=value text), "password":"…" (JSON)
// and \"password\":\"…\" (JSON inside a JSON string: tool-call arguments).
// Anchored at a known start, it costs what the value is long.
var passwordValue = regexp.MustCompile(`^(?i:password)(?:` +
	`\s*=\s*"?([^&\s"\\]+)` +
	`|"\s*:\s*"((?:[^"\\]|\\.)*)` +
	`|\\"\s*:\s*\\"((?:[^"\\]|\\\\\\"|\\\\)*))`)

func redactAttr(groups []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range sensitiveKeys {
		if k == s || strings.HasSuffix(k, "_"+s) || strings.HasSuffix(k, "-"+s) {
			if k == "token" && a.Value.Kind() != slog.KindString {
				break
			}
			return slog.String(a.Key, Redacted)
		}
	}
	if a.Value.Kind() == slog.KindString {
		// Scrub hands back its argument, unallocated, when it finds nothing.
		v := a.Value.String()
		if sv := Scrub(v); sv != v {
			return slog.String(a.Key, sv)
		}
	}
	return a
}

// Scrub removes key-shaped substrings, URL credentials and password values
// from s. It returns s itself when there is nothing to remove.
func Scrub(s string) string {
	if (strings.Contains(s, "key=") || strings.Contains(s, "token=")) && queryKey.MatchString(s) {
		s = queryKey.ReplaceAllString(s, "${1}"+Redacted)
	}
	s = scrubPasswords(s)
	for i, re := range secretShapes {
		// MatchString first: ReplaceAllString copies s even when nothing matches.
		if strings.Contains(s, shapePrefixes[i]) && re.MatchString(s) {
			s = re.ReplaceAllString(s, Redacted)
		}
	}
	return s
}

const password = "password"

// scrubPasswords replaces the value after each "password" key.
func scrubPasswords(s string) string {
	var b strings.Builder
	last := 0
	// The next search starts past the last redacted value, so a
	// "password" inside a value is not matched again.
	for i := indexFold(s, password, 0); i >= 0; i = indexFold(s, password, max(i+len(password), last)) {
		m := passwordValue.FindStringSubmatchIndex(s[i:])
		if m == nil {
			continue
		}
		for g := 2; g < len(m); g += 2 {
			if m[g] >= 0 && m[g+1] > m[g] {
				b.WriteString(s[last : i+m[g]])
				b.WriteString(Redacted)
				last = i + m[g+1]
			}
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// indexFold is strings.Index from `from` ignoring ASCII case; needle is
// lowercase letters. It does not allocate, unlike lowering a whole body.
func indexFold(s, needle string, from int) int {
	for i := from; i+len(needle) <= len(s); i++ {
		j := 0
		for j < len(needle) && s[i+j]|0x20 == needle[j] {
			j++
		}
		if j == len(needle) {
			return i
		}
	}
	return -1
}
