package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/ir"
	"switchboard/backend/oauth"
	"switchboard/backend/provider"
)

// GitHub Copilot has two levels of token. The sign-in (GitHub's device
// flow) yields a GitHub OAuth token that does not expire; the Copilot API
// takes only a Copilot token that GitHub issues for it and that lives about
// 30 minutes: GET <GitHub API>/copilot_internal/v2/token with
// "Authorization: token <GitHub token>" and the editor headers answers
// {token, expires_at, refresh_in, endpoints:{api}, sku} (shapes from
// microsoft/vscode-copilot-chat copilotToken.ts / copilotTokenManager.ts).
// This vendor keeps each account's Copilot token in memory, renews it
// shortly before it expires, at most once at a time, and hands routing the
// API base the answer names for the seat (api.individual…, api.business…).
//
// The exchange says why it refuses: 401 is a GitHub token that was revoked
// (sign in again), 403 with error_details a GitHub account without a seat
// (or one its organization disabled), 404 a token GitHub will not trade
// (no Copilot for the account, or a token from another app than Copilot's),
// 403 "API rate limit exceeded", 429 and 5xx are passing.

func init() {
	registerVendor("copilot", &copilotVendor{seats: map[string]*copilotSeat{}})
}

const (
	githubAPIDefault = "https://api.github.com"
	copilotTokenPath = "/copilot_internal/v2/token"
	githubUserPath   = "/user"

	githubTimeout   = 30 * time.Second
	maxGitHubAnswer = 1 << 20
	// A failing exchange is retried no sooner than this, doubling, so a
	// GitHub outage is not hammered by every request.
	exchangeBackoffBase = 10 * time.Second
	exchangeBackoffCap  = 5 * time.Minute
	// copilotRefreshSlack is what VS Code adds to refresh_in when it
	// distrusts the local clock (see copilotExpiry).
	copilotRefreshSlack = 60 * time.Second
)

// copilotVendor holds the Copilot tokens by account id, for the process:
// a Manager opened again on the same data (a restart in tests) finds the
// tokens the last one got, which are as good as long as they were traded
// from the same GitHub token (checked on every use).
type copilotVendor struct {
	mu    sync.Mutex
	seats map[string]*copilotSeat // account id → its Copilot token
}

// copilotSeat is one account's Copilot token and the exchange in flight.
type copilotSeat struct {
	mu       sync.Mutex
	github   string // the GitHub token the held one was traded from
	tok      copilotToken
	flight   *copilotFlight
	failures int
	retryAt  time.Time
	lastErr  string
}

// copilotToken is one exchange's answer.
type copilotToken struct {
	value   string
	api     string // the seat's API base ("" keeps the stored one)
	sku     string
	expires time.Time
	renewAt time.Time
}

type copilotFlight struct {
	done chan struct{}
	tok  copilotToken
	err  error
}

var _ exchanger = (*copilotVendor)(nil)

func (v *copilotVendor) seat(accountID string) *copilotSeat {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.seats[accountID]
	if s == nil {
		s = &copilotSeat{}
		v.seats[accountID] = s
	}
	return s
}

// exchange returns the Copilot token for the account: the held one while
// it is fresh, a background renewal inside the lead time, a wait for the
// exchange once it has (nearly) expired or was refused.
func (v *copilotVendor) exchange(ctx context.Context, m *Manager, providerID, accountID string, base provider.Access, rejected string) (provider.Access, error) {
	s := v.seat(accountID)
	s.mu.Lock()
	if s.github != base.Token { // a new sign-in: nothing held is its own
		s.github, s.tok, s.flight, s.failures, s.retryAt, s.lastErr = base.Token, copilotToken{}, nil, 0, time.Time{}, ""
	}
	switch {
	case rejected == renewNow:
		s.tok, s.retryAt = copilotToken{}, time.Time{}
	case rejected != "" && rejected == s.tok.value:
		s.tok = copilotToken{}
	}
	now := m.now()
	t := s.tok
	switch {
	case t.value != "" && now.Before(t.renewAt):
		s.mu.Unlock()
		return t.access(base), nil
	case t.value != "" && now.Before(t.expires.Add(-expirySkew)):
		if !now.Before(s.retryAt) {
			v.startLocked(m, providerID, s)
		}
		s.mu.Unlock()
		return t.access(base), nil
	case s.flight == nil && now.Before(s.retryAt):
		err := s.backoffError(providerID, now)
		s.mu.Unlock()
		return provider.Access{}, err
	}
	f := v.startLocked(m, providerID, s)
	s.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return provider.Access{}, f.err
		}
		return f.tok.access(base), nil
	case <-ctx.Done():
		return provider.Access{}, ctx.Err()
	}
}

// access is what the upstream call takes: the Copilot token, and the
// seat's API base when the exchange named one.
func (t copilotToken) access(base provider.Access) provider.Access {
	a := base
	a.Token = t.value
	if t.api != "" {
		a.BaseURL = t.api
	}
	return a
}

// startLocked returns the exchange in flight, starting one if none is. It
// runs on the Manager's context: a client that hangs up must not cancel
// the exchange other requests wait for.
func (v *copilotVendor) startLocked(m *Manager, providerID string, s *copilotSeat) *copilotFlight {
	if s.flight != nil {
		return s.flight
	}
	f := &copilotFlight{done: make(chan struct{})}
	s.flight = f
	github := s.github
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ctx, cancel := context.WithTimeout(m.ctx, githubTimeout)
		defer cancel()
		tok, err := fetchCopilotToken(ctx, m, providerID, github)
		s.mu.Lock()
		defer s.mu.Unlock()
		defer close(f.done)
		f.tok, f.err = tok, err
		if s.flight != f { // signed in again meanwhile: keep nothing
			return
		}
		s.flight = nil
		now := m.now()
		switch {
		case err == nil:
			s.tok, s.failures, s.retryAt, s.lastErr = tok, 0, time.Time{}, ""
		case errors.Is(err, oauth.ErrInvalidGrant):
			s.tok = copilotToken{} // the account is signed out by its credential
		default:
			s.failures++
			s.retryAt = now.Add(min(exchangeBackoffBase<<min(s.failures-1, 8), exchangeBackoffCap))
			s.lastErr = err.Error()
			m.log.Warn("the Copilot token could not be renewed; will retry", "provider", providerID,
				"retry_at", s.retryAt, "err", err)
			f.err = s.backoffError(providerID, now)
		}
	}()
	return f
}

func (s *copilotSeat) backoffError(providerID string, now time.Time) error {
	return &ir.Error{Kind: ir.KindAuth, Status: http.StatusServiceUnavailable, Provider: providerID,
		RetryAfter: s.retryAt.Sub(now),
		Message: "GitHub did not issue a Copilot token (" + s.lastErr + "); retrying at " +
			s.retryAt.UTC().Format(time.RFC3339)}
}

// finish checks a new sign-in or import can reach Copilot before it is
// stored (a GitHub account without a seat is told so and nothing is kept),
// and names the account after its GitHub login.
func (v *copilotVendor) finish(ctx context.Context, m *Manager, providerID string, tok *oauth.Token) (Extra, error) {
	ctx, cancel := context.WithTimeout(ctx, githubTimeout)
	defer cancel()
	t, err := fetchCopilotToken(ctx, m, providerID, tok.AccessToken.Reveal())
	if err != nil {
		return Extra{}, err
	}
	if tok.Claims.PlanType == "" {
		tok.Claims.PlanType = t.sku
	}
	x := Extra{BaseURL: t.api, Name: tok.Claims.AccountID} // an import knows the login already
	if u, err := githubUser(ctx, m, providerID, tok.AccessToken.Reveal()); err == nil {
		x.Name = u.Login
		tok.Claims.AccountID, tok.Claims.Subject = u.Login, strconv.FormatInt(u.ID, 10)
		if tok.Claims.Email == "" {
			tok.Claims.Email = u.Email
		}
	} else {
		m.log.Info("the GitHub account's login could not be read; name the account yourself", "err", err)
	}
	return x, nil
}

// githubAPI is the GitHub API the provider trades tokens with: the config's
// sign_in.api_url (tests, GitHub Enterprise) or api.github.com. overridden
// reports the former: the operator chose that server, so the API base its
// answers name is trusted as is.
func githubAPI(m *Manager, providerID string) (api string, overridden bool, err error) {
	raw := m.overrides[providerID].APIURL
	if raw == "" {
		return githubAPIDefault, false, nil
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && config.LoopbackURL(raw)) {
		return "", true, fmt.Errorf("signin: %s: sign_in.api_url %q must be an https URL (http only on loopback)", providerID, raw)
	}
	return strings.TrimRight(raw, "/"), true, nil
}

// signInAPI is the GitHub API the sign-in's own token is for (cred's
// SignedInAccess: the Copilot usage endpoint).
func (v *copilotVendor) signInAPI(m *Manager, providerID string) (string, error) {
	api, _, err := githubAPI(m, providerID)
	return api, err
}

// githubGet sends an authenticated GET to the GitHub API the way the
// Copilot editor plugins do, and returns the status and (bounded) body.
func githubGet(ctx context.Context, m *Manager, providerID, path, githubToken string) (*http.Response, []byte, bool, error) {
	api, overridden, err := githubAPI(m, providerID)
	if err != nil {
		return nil, nil, false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+path, nil)
	if err != nil {
		return nil, nil, false, err
	}
	for _, kv := range provider.CopilotEditorHeaders {
		req.Header.Set(kv[0], kv[1])
	}
	req.Header.Set("Authorization", "token "+githubToken)
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Timeout: githubTimeout}).Do(req)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%w: %s", oauth.ErrTransient, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGitHubAnswer))
	if err != nil {
		return nil, nil, false, fmt.Errorf("%w: reading GitHub's answer: %v", oauth.ErrTransient, err)
	}
	return resp, body, overridden, nil
}

// redactURLError keeps a transport error's cause without the URL text (it
// holds nothing secret here, but the message reads better).
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// copilotAnswer is the exchange's answer, success or refusal.
type copilotAnswer struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"`
	RefreshIn int64  `json:"refresh_in"`
	SKU       string `json:"sku"`
	Endpoints struct {
		API string `json:"api"`
	} `json:"endpoints"`
	Message      string `json:"message"`
	ErrorDetails *struct {
		Message        string `json:"message"`
		NotificationID string `json:"notification_id"`
	} `json:"error_details"`
}

// fetchCopilotToken trades a GitHub token for a Copilot token. Refusals
// that a new sign-in fixes wrap oauth.ErrInvalidGrant; passing failures
// oauth.ErrTransient.
func fetchCopilotToken(ctx context.Context, m *Manager, providerID, githubToken string) (copilotToken, error) {
	resp, body, overridden, err := githubGet(ctx, m, providerID, copilotTokenPath, githubToken)
	if err != nil {
		return copilotToken{}, fmt.Errorf("signin: %s: exchanging the GitHub sign-in for a Copilot token: %w", providerID, err)
	}
	var a copilotAnswer
	_ = json.Unmarshal(body, &a)
	if err := copilotRefusal(resp, a); err != nil {
		return copilotToken{}, fmt.Errorf("signin: %s: %w", providerID, err)
	}
	if a.Token == "" || a.ExpiresAt == 0 {
		return copilotToken{}, fmt.Errorf("signin: %s: %w: GitHub's Copilot token answer lacks token or expires_at", providerID, oauth.ErrTransient)
	}
	t := copilotToken{value: a.Token, sku: a.SKU}
	t.expires, t.renewAt = copilotExpiry(m, providerID, a)
	if api, ok := seatAPI(a.Endpoints.API, overridden); ok {
		t.api = api
	} else if a.Endpoints.API != "" {
		m.log.Warn("ignoring a Copilot API base outside githubcopilot.com", "provider", providerID, "api", a.Endpoints.API)
	}
	return t, nil
}

// ErrNoCopilotSeat is matched (errors.Is) when GitHub refuses a Copilot
// token because the account cannot use Copilot, as opposed to a revoked
// sign-in; both also match oauth.ErrInvalidGrant.
var ErrNoCopilotSeat = errors.New("no Copilot seat")

// copilotRefused is a refusal a new sign-in (or a seat) fixes; its message
// says which, without the generic sentinel's text.
type copilotRefused struct {
	msg    string
	noSeat bool
}

func (e *copilotRefused) Error() string { return e.msg }

func (e *copilotRefused) Is(target error) bool {
	return target == oauth.ErrInvalidGrant || (e.noSeat && target == ErrNoCopilotSeat)
}

// copilotRefusal says what a failed exchange means for the account.
func copilotRefusal(resp *http.Response, a copilotAnswer) error {
	const op = "GitHub refused to issue a Copilot token: "
	detail := clipOneLine(a.Message)
	if a.ErrorDetails != nil && a.ErrorDetails.Message != "" {
		detail = clipOneLine(a.ErrorDetails.Message)
	}
	switch st := resp.StatusCode; {
	case st >= 200 && st < 300:
		return nil
	case st == http.StatusUnauthorized:
		return &copilotRefused{msg: op + "the GitHub sign-in was revoked or has expired; sign in again (401 " + detail + ")"}
	case st == http.StatusForbidden && (strings.Contains(strings.ToLower(a.Message), "rate limit") ||
		resp.Header.Get("X-Ratelimit-Remaining") == "0"):
		return fmt.Errorf("%s%w: GitHub's API rate limit is exhausted (%s)", op, oauth.ErrTransient, detail)
	case st == http.StatusForbidden:
		return &copilotRefused{noSeat: true, msg: op + "this GitHub account has no Copilot seat, or Copilot is disabled for it (" + detail + ")"}
	case st == http.StatusNotFound:
		return &copilotRefused{noSeat: true, msg: op + "this GitHub account has no Copilot seat, or its token was issued to another app than Copilot's (404)"}
	default:
		return fmt.Errorf("%s%w: GitHub answered %d %s", op, oauth.ErrTransient, st, detail)
	}
}

// copilotExpiry is when the Copilot token expires and when to renew it:
// expires_at, unless this machine's clock already reads it as past, when
// VS Code's rule (now + refresh_in + 60 s) stands in; renewal comes the
// provider's refresh_lead before, at most half the token's life.
func copilotExpiry(m *Manager, providerID string, a copilotAnswer) (expires, renew time.Time) {
	now := m.now()
	expires = time.Unix(a.ExpiresAt, 0)
	if !expires.After(now) && a.RefreshIn > 0 {
		expires = now.Add(time.Duration(a.RefreshIn)*time.Second + copilotRefreshSlack)
	}
	lead := 5 * time.Minute
	if e, ok := m.entry(providerID); ok && e.RefreshLead > 0 {
		lead = e.RefreshLead
	}
	return expires, expires.Add(-min(lead, expires.Sub(now)/2))
}

// seatAPI accepts the API base an exchange names for the seat: an https
// Copilot host (githubcopilot.com, or a GitHub Enterprise Cloud tenant's
// ghe.com), or anything a configured GitHub API named. The Copilot token
// goes there, so nothing else is trusted.
func seatAPI(raw string, overridden bool) (string, bool) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if raw == "" {
		return "", false
	}
	if overridden {
		return raw, true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil {
		return "", false
	}
	h := strings.ToLower(u.Hostname())
	for _, d := range []string{"githubcopilot.com", "ghe.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return raw, true
		}
	}
	return "", false
}

// githubAccount is who signed in, as GET /user names them.
type githubAccount struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Email string `json:"email"` // the public email, when the user shows one
}

// githubUser reads who signed in (read:user allows it).
func githubUser(ctx context.Context, m *Manager, providerID, githubToken string) (githubAccount, error) {
	var u githubAccount
	resp, body, _, err := githubGet(ctx, m, providerID, githubUserPath, githubToken)
	if err != nil {
		return u, err
	}
	if resp.StatusCode != http.StatusOK {
		return u, fmt.Errorf("GitHub answered %d to %s", resp.StatusCode, githubUserPath)
	}
	if err := json.Unmarshal(body, &u); err != nil || u.Login == "" {
		return u, errors.New("GitHub's user answer has no login")
	}
	return u, nil
}

// clip keeps server text short and on one line before it reaches a log.
func clipOneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}
