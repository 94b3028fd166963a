// Package logging builds the one slog logger the app passes down. Its
// handler redacts secrets: attributes named like credentials, values shaped
// like API keys, and key=/token= query parameters inside URLs.
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

// keyShaped matches the API key formats of the vendors we talk to and ours.
var keyShaped = regexp.MustCompile(`(sk-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,}|xai-[A-Za-z0-9]{16,}|gsk_[A-Za-z0-9]{16,}|Bearer [A-Za-z0-9._\-]{12,})`)

// queryKey matches credentials passed in URLs (Gemini's ?key=). The
// one-time dashboard login link (?token=) is meant to be printed.
var queryKey = regexp.MustCompile(`([?&](?:key|api_key|access_token|refresh_token)=)[^&\s"]+`)

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
		if v := a.Value.String(); needsScrub(v) {
			return slog.String(a.Key, Scrub(v))
		}
	}
	return a
}

func needsScrub(v string) bool {
	return strings.Contains(v, "sk-") || strings.Contains(v, "AIza") || strings.Contains(v, "=") ||
		strings.Contains(v, "Bearer ") || strings.Contains(v, "xai-") || strings.Contains(v, "gsk_")
}

// Scrub removes key-shaped substrings and URL credentials from s.
func Scrub(s string) string {
	s = queryKey.ReplaceAllString(s, "${1}"+Redacted)
	return keyShaped.ReplaceAllString(s, Redacted)
}
