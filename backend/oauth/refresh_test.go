package oauth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestRefresh(t *testing.T) {
	t.Run("rotation returns the new refresh token", func(t *testing.T) {
		s := newIDP(t)
		s.set(func(s *idp) { s.rotate, s.refreshTokens["rt-old"] = true, true })
		tok, err := Refresh(testCtx(t), s.endpoint(), "rt-old")
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
		if _, err := Refresh(testCtx(t), s.endpoint(), "rt-old"); !errors.Is(err, ErrInvalidGrant) {
			t.Errorf("reuse of a rotated refresh token = %v", err)
		}
	})
	t.Run("no rotation keeps the old refresh token", func(t *testing.T) {
		s := newIDP(t)
		s.set(func(s *idp) { s.refreshTokens["rt-keep"] = true })
		tok, err := Refresh(testCtx(t), s.endpoint(), "rt-keep")
		if err != nil {
			t.Fatal(err)
		}
		if rt := tok.RefreshToken.Reveal(); rt != "rt-keep" {
			t.Errorf("refresh token %q, want the old one kept", rt)
		}
		req := s.lastRequest()
		if req.params.Get("grant_type") != "refresh_token" || req.params.Get("client_id") != "test-client" ||
			req.params.Has("scope") || req.contentType != "application/x-www-form-urlencoded" {
			t.Errorf("refresh request %s %v", req.contentType, req.params)
		}
	})
	t.Run("invalid_grant is ErrInvalidGrant", func(t *testing.T) {
		s := newIDP(t)
		_, err := Refresh(testCtx(t), s.endpoint(), "rt-revoked")
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
		s.set(func(s *idp) { s.refreshStatus, s.refreshTokens["rt"] = http.StatusInternalServerError, true })
		_, err := Refresh(testCtx(t), s.endpoint(), "rt")
		if !errors.Is(err, ErrTransient) || errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("err = %v, want ErrTransient only", err)
		}
		if strings.Contains(err.Error(), "exploded") || !strings.Contains(err.Error(), "500") {
			t.Errorf("message %q should name the status, not echo the body", err)
		}
	})
	t.Run("unreachable server is ErrTransient", func(t *testing.T) {
		s := newIDP(t)
		ep := s.endpoint()
		s.srv.Close()
		_, err := Refresh(testCtx(t), ep, "rt")
		if !errors.Is(err, ErrTransient) {
			t.Fatalf("err = %v, want ErrTransient", err)
		}
	})
	t.Run("no refresh token needs a sign-in", func(t *testing.T) {
		s := newIDP(t)
		if _, err := Refresh(testCtx(t), s.endpoint(), ""); !errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("err = %v", err)
		}
		if s.calls() != 0 {
			t.Errorf("%d token calls, want 0", s.calls())
		}
	})
	t.Run("nested vendor error body still finds invalid_grant", func(t *testing.T) {
		s := newIDP(t)
		mux := http.NewServeMux()
		mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusBadRequest, map[string]any{
				"type": "error", "error": map[string]any{"type": "invalid_grant", "message": "Invalid refresh token"},
			})
		})
		s.srv.Config.Handler = mux
		_, err := Refresh(testCtx(t), s.endpoint(), "rt")
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
		s.set(func(s *idp) { s.refreshTokens["rt"] = true })
		ep := s.endpoint()
		ep.RefreshScopes = Codex().RefreshScopes
		if _, err := Refresh(testCtx(t), ep, "rt"); err != nil {
			t.Fatal(err)
		}
		if got := s.lastRequest().params.Get("scope"); got != "openid profile email" {
			t.Errorf("scope = %q", got)
		}
	})
	t.Run("claude sends JSON", func(t *testing.T) {
		s := newIDP(t)
		s.set(func(s *idp) { s.refreshTokens["rt"], s.requireJSON, s.anthropicBody = true, true, true })
		ep := s.endpoint()
		ep.TokenJSON = true
		tok, err := Refresh(testCtx(t), ep, "rt")
		if err != nil {
			t.Fatal(err)
		}
		req := s.lastRequest()
		if req.contentType != "application/json" || req.params.Get("refresh_token") != "rt" ||
			req.params.Get("grant_type") != "refresh_token" || req.params.Get("client_id") != "test-client" {
			t.Errorf("refresh request %s %v", req.contentType, req.params)
		}
		if tok.Claims.Email != "max@example.com" {
			t.Errorf("claims %+v", tok.Claims)
		}
	})
}
