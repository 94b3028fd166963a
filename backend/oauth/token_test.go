package oauth

import (
	"switchboard/backend/oauth/idpsim"

	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"switchboard/backend/secret"
)

func TestParseIDToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		raw    string
		want   Claims
		errHas string
	}{
		{"codex id_token", idpsim.FakeJWT(map[string]any{
			"sub": "auth0|abc", "email": "ada@example.com",
			"https://api.openai.com/auth": map[string]any{
				"chatgpt_account_id": "3f1c-acct", "chatgpt_plan_type": "plus", "chatgpt_user_id": "user-x",
			},
		}), Claims{Subject: "auth0|abc", Email: "ada@example.com", AccountID: "3f1c-acct", PlanType: "plus"}, ""},
		{"email only under the profile claim", idpsim.FakeJWT(map[string]any{
			"sub": "s", "https://api.openai.com/profile": map[string]any{"email": "p@example.com"},
		}), Claims{Subject: "s", Email: "p@example.com"}, ""},
		{"plain OIDC token", idpsim.FakeJWT(map[string]any{"sub": "s", "email": "e@example.com"}),
			Claims{Subject: "s", Email: "e@example.com"}, ""},
		{"padded payload", "eyJhbGciOiJub25lIn0." + encodeStd(`{"sub":"pad"}`) + ".sig",
			Claims{Subject: "pad"}, ""},
		{"not a JWT", "opaque-token", Claims{}, "not a JWT"},
		{"payload not base64", "a.!!!.c", Claims{}, "not base64url"},
		{"payload not JSON", "a." + encodeStd("[1,2]") + ".c", Claims{}, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIDToken(tc.raw)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.HasPrefix(err.Error(), "oauth: ") {
					t.Fatalf("err = %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseIDToken = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// encodeStd is base64url with padding, which some issuers emit.
func encodeStd(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

func TestNewTokenReadsAnthropicAccount(t *testing.T) {
	raw := (&oauth2.Token{AccessToken: "a", TokenType: "Bearer"}).WithExtra(map[string]any{
		"scope":             "user:inference user:profile",
		"account":           map[string]any{"uuid": "acc-1", "email_address": "max@example.com"},
		"organization":      map[string]any{"uuid": "org-1", "name": "Org"},
		"subscription_type": "max",
	})
	tok := newToken(raw)
	want := Claims{Email: "max@example.com", AccountID: "acc-1", OrganizationID: "org-1", PlanType: "max"}
	if tok.Claims != want || tok.Scope != "user:inference user:profile" {
		t.Errorf("claims %+v scope %q, want %+v", tok.Claims, tok.Scope, want)
	}
	// A malformed id_token does not fail a granted sign-in; claims stay empty.
	tok = newToken((&oauth2.Token{AccessToken: "a"}).WithExtra(map[string]any{"id_token": "garbage"}))
	if tok.Claims != (Claims{}) || tok.IDToken.Reveal() != "garbage" {
		t.Errorf("malformed id_token: %+v", tok.Claims)
	}
}

// formatAll prints v every way a log line or an error message might.
func formatAll(v any) []string {
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, v))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("signed in", "token", v)
		outs = append(outs, b.String())
	}
	return outs
}

func TestTokenNeverPrintsSecrets(t *testing.T) {
	tok := &Token{
		AccessToken: "sk-access-SECRET", RefreshToken: "rt-refresh-SECRET", IDToken: "eyJ.id-SECRET.sig",
		TokenType: "Bearer", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Claims: Claims{Email: "ada@example.com", AccountID: "acct-42", PlanType: "pro"},
	}
	outs := formatAll(tok)
	outs = append(outs, formatAll(*tok)...)
	js, _ := json.Marshal(tok)
	outs = append(outs, string(js))
	for _, out := range outs {
		if strings.Contains(out, "SECRET") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	s := tok.String()
	if !containsAll(s, "access=[REDACTED]", "refresh=[REDACTED]", "type=Bearer", "expires=2030-01-02T03:04:05Z",
		"email=ada@example.com", "account=acct-42", "plan=pro") {
		t.Errorf("String() = %q lacks what a log needs", s)
	}
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "token", tok)
	if !containsAll(b.String(), `"has_refresh_token":true`, `"email":"ada@example.com"`) {
		t.Errorf("LogValue = %s", b.String())
	}
	if secret.Value("x").Reveal() != "x" {
		t.Fatal("secret.Value does not reveal")
	}
}
