package oauth

import (
	"switchboard/backend/oauth/idpsim"

	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestRefresh(t *testing.T) {
	t.Run("rotation returns the new refresh token", func(t *testing.T) {
		s := newIDP(t)
		s.Set(func(s *idp) { s.Rotate, s.RefreshTokens["rt-old"] = true, true })
		tok, err := Refresh(testCtx(t), endpointOf(s), "rt-old")
		if err != nil {
			t.Fatal(err)
		}
		if rt := tok.RefreshToken.Reveal(); rt == "rt-old" || !strings.HasPrefix(rt, "rt-") {
			t.Errorf("refresh token %q, want a rotated one", rt)
		}
		if tok.AccessToken == "" || tok.Claims.AccountID != "acct-42" {
			t.Errorf("token %v", tok)
		}
		// The old one is spent: using it again is invalid_grant.
		if _, err := Refresh(testCtx(t), endpointOf(s), "rt-old"); !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("reuse of a rotated refresh token = %v", err)
		}
	})
	t.Run("no rotation keeps the old refresh token", func(t *testing.T) {
		s := newIDP(t)
		s.Set(func(s *idp) { s.RefreshTokens["rt-keep"] = true })
		tok, err := Refresh(testCtx(t), endpointOf(s), "rt-keep")
		if err != nil {
			t.Fatal(err)
		}
		if rt := tok.RefreshToken.Reveal(); rt != "rt-keep" {
			t.Errorf("refresh token %q, want the old one kept", rt)
		}
		req := s.LastRequest()
		if req.Params.Get("grant_type") != "refresh_token" || req.Params.Get("client_id") != "test-client" ||
			req.Params.Has("scope") || req.ContentType != "application/x-www-form-urlencoded" {
			t.Errorf("refresh request %s %v", req.ContentType, req.Params)
		}
	})
	t.Run("invalid_grant is ErrInvalidGrant", func(t *testing.T) {
		s := newIDP(t)
		_, err := Refresh(testCtx(t), endpointOf(s), "rt-revoked")
		if !errors.Is(err, ErrInvalidGrant) || errors.Is(err, ErrTransient) {
			t.Fatalf("err = %v, want ErrInvalidGrant only", err)
		}
		var se *ServerError
		if !errors.As(err, &se) || se.Status != 400 || se.Code != "invalid_grant" || se.Description != "Refresh token revoked" {
			t.Errorf("server error %+v", se)
		}
		if !strings.HasPrefix(err.Error(), "oauth: test: refreshing the token: grant rejected") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("5xx is ErrTransient", func(t *testing.T) {
		s := newIDP(t)
		s.Set(func(s *idp) { s.RefreshStatus, s.RefreshTokens["rt"] = http.StatusInternalServerError, true })
		_, err := Refresh(testCtx(t), endpointOf(s), "rt")
		if !errors.Is(err, ErrTransient) || errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("err = %v, want ErrTransient only", err)
		}
		if strings.Contains(err.Error(), "exploded") || !strings.Contains(err.Error(), "500") {
			t.Errorf("message %q should name the status, not echo the body", err)
		}
	})
	t.Run("unreachable server is ErrTransient", func(t *testing.T) {
		s := newIDP(t)
		ep := endpointOf(s)
		s.Close()
		_, err := Refresh(testCtx(t), ep, "rt")
		if !errors.Is(err, ErrTransient) {
			t.Fatalf("err = %v, want ErrTransient", err)
		}
	})
	t.Run("no refresh token needs a sign-in", func(t *testing.T) {
		s := newIDP(t)
		if _, err := Refresh(testCtx(t), endpointOf(s), ""); !errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("err = %v", err)
		}
		if s.Calls() != 0 {
			t.Errorf("%d token calls, want 0", s.Calls())
		}
	})
	t.Run("nested vendor error body still finds invalid_grant", func(t *testing.T) {
		s := newIDP(t)
		mux := http.NewServeMux()
		mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
			idpsim.WriteJSON(w, http.StatusBadRequest, map[string]any{
				"type": "error", "error": map[string]any{"type": "invalid_grant", "message": "Invalid refresh token"},
			})
		})
		s.SetHandler(mux)
		_, err := Refresh(testCtx(t), endpointOf(s), "rt")
		if !errors.Is(err, ErrInvalidGrant) || !strings.Contains(err.Error(), "Invalid refresh token") {
			t.Fatalf("err = %v", err)
		}
	})
}

// The vendor shapes: Codex narrows the refresh scope as its CLI does;
// Anthropic's token endpoint gets JSON.
func TestRefreshRequestShapes(t *testing.T) {
	t.Run("codex sends its refresh scope", func(t *testing.T) {
		s := newIDP(t)
		s.Set(func(s *idp) { s.RefreshTokens["rt"] = true })
		ep := endpointOf(s)
		ep.RefreshScopes = Codex().RefreshScopes
		if _, err := Refresh(testCtx(t), ep, "rt"); err != nil {
			t.Fatal(err)
		}
		if got := s.LastRequest().Params.Get("scope"); got != "openid profile email" {
			t.Errorf("scope = %q", got)
		}
	})
	t.Run("claude sends JSON", func(t *testing.T) {
		s := newIDP(t)
		s.Set(func(s *idp) { s.RefreshTokens["rt"], s.RequireJSON, s.AnthropicBody = true, true, true })
		ep := endpointOf(s)
		ep.TokenJSON = true
		tok, err := Refresh(testCtx(t), ep, "rt")
		if err != nil {
			t.Fatal(err)
		}
		req := s.LastRequest()
		if req.ContentType != "application/json" || req.Params.Get("refresh_token") != "rt" ||
			req.Params.Get("grant_type") != "refresh_token" || req.Params.Get("client_id") != "test-client" {
			t.Errorf("refresh request %s %v", req.ContentType, req.Params)
		}
		if tok.Claims.Email != "max@example.com" {
			t.Errorf("claims %+v", tok.Claims)
		}
	})
}
