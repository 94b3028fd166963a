package idpsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// AWS SSO-OIDC as the Kiro sign-in uses it: POST /client/register issues a
// client, POST /device_authorization a user code for it, and POST /token
// takes JSON with camelCase fields (grantType, clientId, clientSecret,
// deviceCode, refreshToken) and answers camelCase (accessToken, expiresIn…).
// Errors are {"error":…,"error_description":…}, 400 (401 invalid_client).
// POST /refreshToken is Kiro's auth service renewing a social login.
//
// The device grant follows DeviceScript, the refresh grant RefreshTokens,
// Rotate and RefreshStatus, as the RFC endpoints do; refresh tokens are
// bound to the client they were issued to.

const awsDeviceCode = "aws-dev-code-secret"

// awsRegister serves /client/register.
func (s *Server) awsRegister(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		awsError(w, http.StatusBadRequest, "invalid_request", "body is not a JSON object")
		return
	}
	scopes, _ := body["scopes"].([]any)
	if body["clientType"] != "public" || body["clientName"] == "" || len(scopes) == 0 {
		awsError(w, http.StatusBadRequest, "invalid_client_metadata", "clientName, clientType public and scopes are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Registrations++
	s.LastRegistration = body
	id, secret := fmt.Sprintf("cid-%d", s.Registrations), "cs-"+rand.Text()
	s.awsClients[id] = secret
	now := time.Now()
	WriteJSON(w, http.StatusOK, map[string]any{"clientId": id, "clientSecret": secret,
		"clientIdIssuedAt": now.Unix(), "clientSecretExpiresAt": now.Add(time.Duration(s.ClientSecretExpiresIn) * time.Second).Unix()})
}

// awsDeviceAuth serves /device_authorization.
func (s *Server) awsDeviceAuth(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		awsError(w, http.StatusBadRequest, "invalid_request", "body is not a JSON object of strings")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.LastDeviceAuth = body
	if !s.awsClientOK(body["clientId"], body["clientSecret"]) {
		awsError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	if body["startUrl"] == "" {
		awsError(w, http.StatusBadRequest, "invalid_request", "startUrl is required")
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{
		"deviceCode":              awsDeviceCode,
		"userCode":                "KIRO-CODE",
		"verificationUri":         s.srv.URL + "/device",
		"verificationUriComplete": s.srv.URL + "/device?user_code=KIRO-CODE",
		"expiresIn":               s.DeviceExpires,
		"interval":                1,
	})
}

func (s *Server) awsClientOK(id, secret string) bool {
	want, ok := s.awsClients[id]
	return ok && secret == want
}

// awsToken serves the JSON grants of /token (s.mu is held).
func (s *Server) awsToken(w http.ResponseWriter, ct string, p url.Values) {
	if ct != "application/json" {
		awsError(w, http.StatusBadRequest, "invalid_request", "JSON body required")
		return
	}
	id := p.Get("clientId")
	if !s.awsClientOK(id, p.Get("clientSecret")) {
		awsError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	switch p.Get("grantType") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		if p.Get("deviceCode") != awsDeviceCode {
			awsError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
			return
		}
		next := "authorization_pending"
		if len(s.DeviceScript) > 0 {
			next, s.DeviceScript = s.DeviceScript[0], s.DeviceScript[1:]
		}
		if next != "ok" {
			awsError(w, http.StatusBadRequest, next, "")
			return
		}
		s.awsIssue(w, id, true)
	case "refresh_token":
		s.RefreshCalls++
		if s.RefreshStatus != 0 {
			w.WriteHeader(s.RefreshStatus)
			return
		}
		rt := p.Get("refreshToken")
		if owner, ok := s.awsRefresh[rt]; !ok || owner != id {
			awsError(w, http.StatusBadRequest, "invalid_grant", "Invalid refresh token provided")
			return
		}
		if s.Rotate {
			delete(s.awsRefresh, rt)
		}
		s.awsIssue(w, id, s.Rotate)
	default:
		awsError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// kiroRefresh serves Kiro's /refreshToken for social logins.
func (s *Server) kiroRefresh(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.TokenCalls++
	s.RefreshCalls++
	s.Requests = append(s.Requests, TokenRequest{ContentType: r.Header.Get("Content-Type"), Params: url.Values{"refreshToken": {body["refreshToken"]}}})
	if s.RefreshStatus != 0 {
		w.WriteHeader(s.RefreshStatus)
		return
	}
	rt := body["refreshToken"]
	if owner, ok := s.awsRefresh[rt]; !ok || owner != "" {
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": "Invalid refresh token"})
		return
	}
	if s.Rotate {
		delete(s.awsRefresh, rt)
	}
	ans := s.awsAnswer("", s.Rotate)
	ans["profileArn"] = s.ProfileArn
	WriteJSON(w, http.StatusOK, ans)
}

// AddSocialRefreshToken makes rt a valid Kiro social refresh token.
func (s *Server) AddSocialRefreshToken(rt string) { s.Set(func(s *Server) { s.awsRefresh[rt] = "" }) }

// AddClient registers a client with the given secret and makes rt a
// refresh token issued to it (an imported Kiro IDE login).
func (s *Server) AddClient(id, secret, rt string) {
	s.Set(func(s *Server) { s.awsClients[id], s.awsRefresh[rt] = secret, id })
}

// RevokeClients forgets every registered client (its secret expired).
func (s *Server) RevokeClients() { s.Set(func(s *Server) { s.awsClients = map[string]string{} }) }

func (s *Server) awsIssue(w http.ResponseWriter, client string, withRefresh bool) {
	WriteJSON(w, http.StatusOK, s.awsAnswer(client, withRefresh))
}

// awsAnswer is a CreateToken answer; its new refresh token (when
// withRefresh) is bound to client.
func (s *Server) awsAnswer(client string, withRefresh bool) map[string]any {
	ans := map[string]any{"accessToken": "aoa-" + rand.Text(), "tokenType": "Bearer", "expiresIn": s.ExpiresIn}
	if withRefresh {
		rt := "aor-" + rand.Text()
		s.awsRefresh[rt] = client
		ans["refreshToken"] = rt
	}
	return ans
}

func awsError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]any{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	WriteJSON(w, status, body)
}
