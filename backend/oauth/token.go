package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"switchboard/backend/secret"
)

// Token is the outcome of a sign-in or a refresh. The secrets are
// secret.Value, which prints, logs and JSON-encodes as [REDACTED]; callers
// Reveal them only to send them upstream or to seal them for storage.
type Token struct {
	AccessToken  secret.Value
	RefreshToken secret.Value // "" when the server issued none
	TokenType    string       // "Bearer"
	Expiry       time.Time    // zero when the server gave no expires_in
	Scope        string       // granted scopes, when the server says
	IDToken      secret.Value // raw OpenID Connect id_token (Codex), "" otherwise
	Claims       Claims       // who signed in, from the id_token or the token response
	// ResourceURL is the API base the token is for, when the token response
	// names one (Qwen's resource_url); "" otherwise.
	ResourceURL string
	// extra reads other fields of the token response (vendors' additions).
	extra func(key string) any
}

// Extra returns a field of the token response beyond RFC 6749's, or nil.
func (t Token) Extra(key string) any {
	if t.extra == nil {
		return nil
	}
	return t.extra(key)
}

// Claims identify the account behind a token. They come from the id_token
// (Codex) or from the fields Anthropic adds to its token response (Claude);
// any of them may be empty.
type Claims struct {
	Subject        string // sub
	Email          string
	AccountID      string // Codex: chatgpt_account_id; Claude: account.uuid
	PlanType       string // Codex: chatgpt_plan_type ("plus", "pro", …)
	OrganizationID string // Claude: organization.uuid
}

// String shows what a log needs to tell accounts and expiries apart and
// nothing that grants access.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("oauth.Token{access=[REDACTED]")
	if t.RefreshToken != "" {
		b.WriteString(" refresh=[REDACTED]")
	}
	if t.IDToken != "" {
		b.WriteString(" id_token=[REDACTED]")
	}
	if t.TokenType != "" {
		b.WriteString(" type=" + t.TokenType)
	}
	if !t.Expiry.IsZero() {
		b.WriteString(" expires=" + t.Expiry.UTC().Format(time.RFC3339))
	}
	if t.Claims.Email != "" {
		b.WriteString(" email=" + t.Claims.Email)
	}
	if t.Claims.AccountID != "" {
		b.WriteString(" account=" + t.Claims.AccountID)
	}
	if t.Claims.PlanType != "" {
		b.WriteString(" plan=" + t.Claims.PlanType)
	}
	b.WriteString("}")
	return b.String()
}

// Format makes every verb (%v, %+v, %#v, %s, %q, %x) print String, so no
// formatting path walks the fields.
func (t Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue logs the same redacted view as String, as attributes.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("access_token", "[REDACTED]"),
		slog.Bool("has_refresh_token", t.RefreshToken != ""),
		slog.String("type", t.TokenType),
	}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expires", t.Expiry))
	}
	if t.Claims.Email != "" {
		attrs = append(attrs, slog.String("email", t.Claims.Email))
	}
	if t.Claims.AccountID != "" {
		attrs = append(attrs, slog.String("account_id", t.Claims.AccountID))
	}
	if t.Claims.PlanType != "" {
		attrs = append(attrs, slog.String("plan", t.Claims.PlanType))
	}
	return slog.GroupValue(attrs...)
}

// newToken converts x/oauth2's token and reads the identity from it. A
// malformed id_token leaves Claims empty rather than failing a sign-in the
// server has already granted; ParseIDToken reports why.
func newToken(t *oauth2.Token) *Token {
	tok := &Token{
		AccessToken:  secret.Value(t.AccessToken),
		RefreshToken: secret.Value(t.RefreshToken),
		TokenType:    t.TokenType,
		Expiry:       t.Expiry,
		Scope:        extraString(t, "scope"),
		IDToken:      secret.Value(extraString(t, "id_token")),
		ResourceURL:  extraString(t, "resource_url"),
		extra:        t.Extra,
	}
	if tok.IDToken != "" {
		tok.Claims, _ = ParseIDToken(tok.IDToken.Reveal())
	}
	// Anthropic's token response names the account instead of an id_token.
	if acct, ok := t.Extra("account").(map[string]any); ok {
		fill(&tok.Claims.AccountID, acct["uuid"])
		fill(&tok.Claims.Email, acct["email_address"])
	}
	if org, ok := t.Extra("organization").(map[string]any); ok {
		fill(&tok.Claims.OrganizationID, org["uuid"])
	}
	fill(&tok.Claims.PlanType, t.Extra("subscription_type"))
	return tok
}

func extraString(t *oauth2.Token, key string) string {
	s, _ := t.Extra(key).(string)
	return s
}

// fill sets *dst from v when *dst is empty and v is a non-empty string.
func fill(dst *string, v any) {
	if s, ok := v.(string); ok && s != "" && *dst == "" {
		*dst = s
	}
}

// ParseIDToken reads the claims of an id_token without verifying its
// signature. That is sound here because the package only ever reads an
// id_token it has just received from the token endpoint itself, over TLS
// (endpoint URLs must be https): the channel authenticates the issuer, as
// OpenID Connect Core §3.1.3.7 allows. Never use it on a token that arrived
// any other way.
func ParseIDToken(raw string) (Claims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return Claims{}, errors.New("oauth: id_token is not a JWT (want three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, fmt.Errorf("oauth: id_token payload is not base64url: %w", err)
	}
	var c struct {
		Subject string `json:"sub"`
		Email   string `json:"email"`
		Profile struct {
			Email string `json:"email"`
		} `json:"https://api.openai.com/profile"`
		Auth struct {
			AccountID string `json:"chatgpt_account_id"`
			PlanType  string `json:"chatgpt_plan_type"`
		} `json:"https://api.openai.com/auth"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, fmt.Errorf("oauth: id_token payload is not a JSON object: %w", err)
	}
	out := Claims{Subject: c.Subject, Email: c.Email, AccountID: c.Auth.AccountID, PlanType: c.Auth.PlanType}
	fill(&out.Email, c.Profile.Email)
	return out, nil
}
