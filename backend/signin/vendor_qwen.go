package signin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"switchboard/backend/oauth"
)

// Qwen's token answers name the account's API host in resource_url, most
// often a bare host ("portal.qwen.ai"); the account's requests go there,
// not to the catalog's base. Qwen Code builds the base the same way:
// https:// unless a scheme is given, then /v1 unless already there
// (packages/core/src/qwen/qwenContentGenerator.ts getCurrentEndpoint).
func init() { registerVendor("qwen-code", qwenVendor{}) }

type qwenVendor struct{}

// finish keeps the answer's API base; an answer without one keeps the
// catalog's (portal.qwen.ai).
func (qwenVendor) finish(_ context.Context, _ *Manager, _ string, tok *oauth.Token) (Extra, error) {
	base, err := qwenBaseURL(tok.ResourceURL)
	if err != nil {
		return Extra{}, fmt.Errorf("signin: qwen-code: the sign-in named an unusable API host: %w", err)
	}
	return Extra{BaseURL: base}, nil
}

// refreshed follows a refresh answer that names another host; one that
// names none, or an unusable one, keeps the host the account had.
func (qwenVendor) refreshed(prev Extra, tok *oauth.Token) Extra {
	if base, err := qwenBaseURL(tok.ResourceURL); err == nil && base != "" {
		prev.BaseURL = base
	}
	return prev
}

// qwenBaseURL turns a resource_url into an API base ("" for none). Plain
// http is only accepted to loopback (tests): the token must not cross the
// network in clear text.
func qwenBaseURL(resource string) (string, error) {
	resource = strings.TrimSpace(resource)
	if resource == "" {
		return "", nil
	}
	raw := resource
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Hostname() == "" || u.Opaque != "":
		return "", fmt.Errorf("%q is not a host or URL", resource)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		return "", fmt.Errorf("%q carries credentials, a query or a fragment", resource)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("%q is plain http", resource)
	case u.Scheme != "https" && u.Scheme != "http":
		return "", errors.New("the API host must be https")
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if !strings.HasSuffix(path, "/v1") {
		path += "/v1"
	}
	return u.Scheme + "://" + u.Host + path, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
