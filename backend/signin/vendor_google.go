package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/backend/oauth"
	"switchboard/backend/provider"
	"switchboard/backend/secret"
)

// Google's Cloud Code subscriptions (Gemini Code Assist, Antigravity) run
// every request in a Google Cloud project the account is assigned. The
// Gemini CLI finds it after signing in (packages/core/src/code_assist/
// setup.ts): v1internal:loadCodeAssist names the project, or, for an
// account never set up, the allowed tiers; v1internal:onboardUser then sets
// the account up in the default tier, a long-running operation polled until
// done, whose answer names the project. The project is kept with the
// account and goes into every request's envelope.

// cloudCodeAPI is where discovery runs unless the provider's base_url
// moves it (CLIProxyAPI also discovers Antigravity's project here, not on
// the daily host its requests go to).
const cloudCodeAPI = "https://cloudcode-pa.googleapis.com"

// Bounds of the setup. Google's own CLI polls onboarding every 5 s with no
// limit; two minutes is far more than it takes, and the user is waiting.
var (
	onboardPollEvery = 5 * time.Second
	onboardMaxPolls  = 24
)

const (
	cloudCodeSetupTimeout = 3 * time.Minute
	maxSetupAnswer        = 1 << 20
	// discoveryModel names the model in the Gemini CLI's User-Agent: it
	// sends its configured one, and the default is 2.5 Pro.
	discoveryModel = "gemini-2.5-pro"
)

// setupClient makes the discovery calls. It follows no redirect: a
// redirect would carry the access token wherever it points.
var setupClient = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// cloudCode is the vendor step of one Cloud Code sign-in.
type cloudCode struct {
	product string // for messages
	quirks  string // the provider's quirks: the client identity to send
	// metadata is loadCodeAssist's and onboardUser's ClientMetadata: the
	// Gemini CLI's; Antigravity's names its IDE (CLIProxyAPI).
	metadata map[string]string
	// ownProject: the user may name their own Google Cloud project in
	// GOOGLE_CLOUD_PROJECT (or _ID), as for the Gemini CLI: Workspace and
	// Standard-tier accounts have no managed one.
	ownProject bool
}

func init() {
	base := map[string]string{"platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}
	with := func(ide string) map[string]string {
		m := map[string]string{"ideType": ide}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	registerVendor("gemini-code-assist", cloudCode{product: "Gemini Code Assist",
		quirks: provider.QuirksCodeAssist, metadata: with("IDE_UNSPECIFIED"), ownProject: true})
	registerVendor("antigravity", cloudCode{product: "Antigravity",
		quirks: provider.QuirksAntigravity, metadata: with("ANTIGRAVITY")})
}

// finish makes sure the sign-in can be renewed, then finds the account's
// project (setting the account up when it has none).
func (v cloudCode) finish(ctx context.Context, m *Manager, providerID string, tok *oauth.Token) (Extra, error) {
	if tok.RefreshToken == "" {
		return Extra{}, fmt.Errorf("signin: %s: Google issued no refresh token, so the sign-in would stop working within the hour; "+
			"remove Switchboard's access at https://myaccount.google.com/connections and sign in again", providerID)
	}
	ctx, cancel := context.WithTimeout(ctx, cloudCodeSetupTimeout)
	defer cancel()
	if err := m.renewForSetup(ctx, providerID, tok); err != nil {
		return Extra{}, err
	}
	s := setup{v: v, base: m.providerBase(providerID, cloudCodeAPI), token: tok.AccessToken, providerID: providerID}
	if v.ownProject {
		env := m.importEnv.withDefaults() // the user's environment, as the Gemini CLI reads it
		s.own = env.get("GOOGLE_CLOUD_PROJECT")
		if s.own == "" {
			s.own = env.get("GOOGLE_CLOUD_PROJECT_ID")
		}
		s.own = strings.TrimSpace(s.own)
	}
	project, err := s.project(ctx)
	if err != nil {
		return Extra{}, err
	}
	m.log.Info("found the account's Cloud Code project", "provider", providerID, "project", project)
	return Extra{Project: project}, nil
}

// renewForSetup refreshes an imported login whose access token has
// expired: discovery needs a live one. tok is renewed in place, so the
// fresh access token is the one stored. Google does not rotate refresh
// tokens, so the CLI's copy stays valid.
func (m *Manager) renewForSetup(ctx context.Context, providerID string, tok *oauth.Token) error {
	if tok.Expiry.IsZero() || m.now().Before(tok.Expiry.Add(-expirySkew)) {
		return nil
	}
	ep, err := m.endpoint(providerID)
	if err != nil {
		return err
	}
	fresh, err := oauth.Refresh(ctx, ep, tok.RefreshToken.Reveal())
	if err != nil {
		return fmt.Errorf("signin: %s: renewing the expired access token: %w", providerID, err)
	}
	claims := tok.Claims
	mergeClaims(&claims, fresh.Claims)
	*tok = *fresh
	tok.Claims = claims
	return nil
}

// setup is one project discovery.
type setup struct {
	v          cloudCode
	base       string
	token      secret.Value
	providerID string
	own        string // the user's own project, "" when none is named
}

// The parts of Cloud Code's answers discovery reads.
type (
	codeAssistTier struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		IsDefault bool   `json:"isDefault"`
	}
	ineligibleTier struct {
		ReasonCode    string `json:"reasonCode"`
		ReasonMessage string `json:"reasonMessage"`
		ValidationURL string `json:"validationUrl"`
	}
	loadCodeAssistAnswer struct {
		CurrentTier     *codeAssistTier  `json:"currentTier"`
		AllowedTiers    []codeAssistTier `json:"allowedTiers"`
		IneligibleTiers []ineligibleTier `json:"ineligibleTiers"`
		Project         json.RawMessage  `json:"cloudaicompanionProject"` // "id" or {"id":…,"name":…}
	}
	operation struct {
		Name  string `json:"name"`
		Done  bool   `json:"done"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Response struct {
			Project json.RawMessage `json:"cloudaicompanionProject"`
		} `json:"response"`
	}
)

// project runs discovery and, when needed, onboarding. The user's own
// project, when named, goes along and stands in where Google names none
// (the Gemini CLI's setupUser does the same).
func (s setup) project(ctx context.Context) (string, error) {
	var load loadCodeAssistAnswer
	if err := s.call(ctx, http.MethodPost, "v1internal:loadCodeAssist", s.request(nil), &load); err != nil {
		return "", err
	}
	if p := projectID(load.Project); p != "" {
		return p, nil
	}
	if err := s.validationNeeded(load); err != nil {
		return "", err
	}
	if load.CurrentTier != nil && s.own != "" {
		return s.own, nil // set up already, in the user's project
	}
	tier := defaultTier(load)
	op, err := s.onboard(ctx, tier)
	if err != nil {
		return "", err
	}
	if op.Error != nil {
		return "", fmt.Errorf("signin: %s: Google could not set up %s for this account: %s", s.providerID, s.v.product, clip(op.Error.Message))
	}
	if p := projectID(op.Response.Project); p != "" {
		return p, nil
	}
	if s.own != "" {
		return s.own, nil
	}
	return "", s.noProject(load)
}

// request is a discovery body: the client metadata, and the user's own
// project (never for the free tier, whose managed project Google picks and
// which refuses one: "Precondition Failed", per the Gemini CLI).
func (s setup) request(fields map[string]any) map[string]any {
	md := s.v.metadata
	body := map[string]any{"metadata": md}
	if s.own != "" && fields["tierId"] != "free-tier" {
		md = maps.Clone(md)
		md["duetProject"] = s.own
		body["metadata"], body["cloudaicompanionProject"] = md, s.own
	}
	maps.Copy(body, fields)
	return body
}

// onboard sets the account up in tier and waits for the operation, a
// bounded number of times. An operation with a name is polled where
// Google's CLI polls it; one without is asked again, as CLIProxyAPI does.
func (s setup) onboard(ctx context.Context, tier string) (operation, error) {
	req := s.request(map[string]any{"tierId": tier})
	var op operation
	if err := s.call(ctx, http.MethodPost, "v1internal:onboardUser", req, &op); err != nil {
		return op, err
	}
	for polls := 0; !op.Done; polls++ {
		if polls >= onboardMaxPolls {
			waited := time.Duration(onboardMaxPolls) * onboardPollEvery
			return op, fmt.Errorf("signin: %s: Google had not finished setting up %s for this account after %d checks over %s; "+
				"sign in again in a few minutes (nothing was stored)", s.providerID, s.v.product, onboardMaxPolls, waited)
		}
		select {
		case <-ctx.Done():
			return op, fmt.Errorf("signin: %s: setting up %s: %w", s.providerID, s.v.product, context.Cause(ctx))
		case <-time.After(onboardPollEvery):
		}
		var err error
		if op.Name != "" {
			err = s.call(ctx, http.MethodGet, "v1internal/"+op.Name, nil, &op)
		} else {
			err = s.call(ctx, http.MethodPost, "v1internal:onboardUser", req, &op)
		}
		if err != nil {
			return op, err
		}
	}
	return op, nil
}

// defaultTier is the tier Google offers by default; without one, the
// legacy tier the Gemini CLI falls back to.
func defaultTier(load loadCodeAssistAnswer) string {
	for _, t := range load.AllowedTiers {
		if t.IsDefault && t.ID != "" {
			return t.ID
		}
	}
	return "legacy-tier"
}

// validationNeeded reports an account Google wants verified in a browser
// first (reasonCode VALIDATION_REQUIRED with a link).
func (s setup) validationNeeded(load loadCodeAssistAnswer) error {
	if load.CurrentTier != nil {
		return nil
	}
	for _, t := range load.IneligibleTiers {
		if t.ReasonCode == "VALIDATION_REQUIRED" && t.ValidationURL != "" {
			return fmt.Errorf("signin: %s: Google asks you to verify this account first (%s): open %s, then sign in again",
				s.providerID, clip(t.ReasonMessage), t.ValidationURL)
		}
	}
	return nil
}

// noProject explains an account that ended without a project.
func (s setup) noProject(load loadCodeAssistAnswer) error {
	var reasons []string
	for _, t := range load.IneligibleTiers {
		if t.ReasonMessage != "" {
			reasons = append(reasons, clip(t.ReasonMessage))
		}
	}
	if len(reasons) > 0 {
		return fmt.Errorf("signin: %s: this account cannot use %s: %s", s.providerID, s.v.product, strings.Join(reasons, "; "))
	}
	hint := "a Workspace or Standard-tier account needs its own Google Cloud project with Gemini Code Assist turned on"
	if s.v.ownProject {
		hint += "; name it in GOOGLE_CLOUD_PROJECT (as for the Gemini CLI), restart Switchboard and sign in again"
	}
	return fmt.Errorf("signin: %s: Google assigned this account no Cloud project for %s; %s", s.providerID, s.v.product, hint)
}

// projectID reads cloudaicompanionProject: a string, or an object's id.
func projectID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return strings.TrimSpace(o.ID)
	}
	return ""
}

// call sends one Cloud Code request with the sign-in's token and decodes
// the JSON answer into out. Errors name the method and Google's message,
// never the token.
func (s setup) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+"/"+path, rd)
	if err != nil {
		return fmt.Errorf("signin: %s: %w", s.providerID, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", provider.CloudCodeUserAgent(s.v.quirks, discoveryModel))
	what := strings.TrimPrefix(strings.TrimPrefix(path, "v1internal:"), "v1internal/")
	resp, err := setupClient.Do(req)
	if err != nil {
		return fmt.Errorf("signin: %s: %s could not be reached (%s): %w", s.providerID, s.v.product, what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSetupAnswer))
	if err != nil {
		return fmt.Errorf("signin: %s: reading %s's answer (%s): %w", s.providerID, s.v.product, what, err)
	}
	if resp.StatusCode/100 != 2 {
		return s.httpError(what, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("signin: %s: %s answered %s with something that is not JSON", s.providerID, s.v.product, what)
	}
	return nil
}

// httpError words a refused discovery call with Google's own message.
func (s setup) httpError(what string, status int, raw []byte) error {
	var g struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &g)
	msg := clip(g.Error.Message)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if tok := s.token.Reveal(); len(tok) >= 6 {
		msg = strings.ReplaceAll(msg, tok, "[REDACTED]")
	}
	return fmt.Errorf("signin: %s: %s refused %s (%d %s): %s", s.providerID, s.v.product, what, status, g.Error.Status, msg)
}

// clip shortens a message from Google for display, on a rune boundary.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= 300 {
		return s
	}
	cut := 300
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

var _ vendor = cloudCode{}
