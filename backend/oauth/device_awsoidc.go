package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"switchboard/backend/secret"
)

// AWS SSO-OIDC device sign-in, as the Kiro IDE uses it with AWS Builder ID
// (facts from the SSO-OIDC API reference and the Kiro clients of 9router,
// CLIProxyAPIPlus and AIClient-2-API). It is RFC 8628 in spirit, but the
// x/oauth2 device flow cannot speak it:
//   - there is no published client id: POST /client/register issues a
//     clientId and clientSecret (valid about 90 days) that every later call
//     sends, and a refresh token only works with the client that got it;
//   - requests and answers are JSON with camelCase fields (clientId,
//     deviceCode, grantType; accessToken, expiresIn…);
//   - errors are {"error":…,"error_description":…} with RFC 6749's codes.
//
// So a sign-in's refresh token is kept as a grant holding its client (see
// awsGrant), and Refresh sends it where it belongs: the OIDC token endpoint
// for a device sign-in, Kiro's auth service (Endpoint.RefreshURL) for a Kiro
// Google/GitHub login imported from the Kiro IDE.

// FlowAWSOIDC selects the AWS SSO-OIDC device sign-in (Endpoint.Flow).
const FlowAWSOIDC = "aws_oidc"

const (
	// awsClientName is what the client registration calls us.
	awsClientName = "Switchboard"
	// awsClientMinLife: a cached registration is reused only while it has
	// this long left, since every refresh token it obtains dies with it.
	awsClientMinLife = 30 * 24 * time.Hour
	// maxAWSAnswer bounds what is read of an answer (real ones are ~2 KiB).
	maxAWSAnswer = 64 << 10
	// awsGrantPrefix marks a packed grant (see awsGrant.pack).
	awsGrantPrefix  = "swbaws1."
	deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"
)

// awsClient is a registered client.
type awsClient struct {
	id, secret string
	expires    time.Time // zero: the server named no expiry
}

// awsClients caches registrations per registration URL and scopes: AWS
// throttles /client/register, and one client serves any number of sign-ins.
var awsClients = struct {
	sync.Mutex
	m map[string]awsClient
}{m: map[string]awsClient{}}

// awsDevice is the part of a DeviceAuth only the AWS flow has.
type awsDevice struct {
	client     awsClient
	deviceCode string
}

// startAWSDevice registers (or reuses) a client and asks for a user code.
func startAWSDevice(ctx context.Context, ep Endpoint) (*DeviceAuth, error) {
	if err := ep.validateAWS(true); err != nil {
		return nil, err
	}
	client, err := registerAWSClient(ctx, ep)
	if err != nil {
		return nil, err
	}
	var ans struct {
		DeviceCode              string `json:"deviceCode"`
		UserCode                string `json:"userCode"`
		VerificationURI         string `json:"verificationUri"`
		VerificationURIComplete string `json:"verificationUriComplete"`
		ExpiresIn               int64  `json:"expiresIn"`
		Interval                int64  `json:"interval"`
	}
	body := map[string]string{"clientId": client.id, "clientSecret": client.secret, "startUrl": ep.StartURL}
	if err := awsCall(ctx, ep, ep.DeviceURL, body, &ans); err != nil {
		if serverCode(err) == "invalid_client" {
			forgetAWSClient(ep) // revoked early: register anew next time
		}
		return nil, awsFail(ctx, ep, "starting the device sign-in", err, nil)
	}
	if ans.DeviceCode == "" || ans.UserCode == "" || ans.VerificationURI == "" {
		return nil, fmt.Errorf("oauth: %s: device authorization answer lacks deviceCode, userCode or verificationUri", ep.label())
	}
	d := &DeviceAuth{ep: ep, UserCode: ans.UserCode, VerificationURI: ans.VerificationURI,
		VerificationURIComplete: ans.VerificationURIComplete, Interval: defaultInterval,
		aws: &awsDevice{client: client, deviceCode: ans.DeviceCode}}
	if ans.Interval > 0 {
		d.Interval = time.Duration(ans.Interval) * time.Second
	}
	if ans.ExpiresIn > 0 {
		d.Expires = time.Now().Add(time.Duration(ans.ExpiresIn) * time.Second)
	}
	return d, nil
}

// registerAWSClient returns a cached registration with life left, or
// registers a new client.
func registerAWSClient(ctx context.Context, ep Endpoint) (awsClient, error) {
	key := ep.awsRegisterURL() + "\x00" + strings.Join(ep.Scopes, " ")
	awsClients.Lock()
	c, ok := awsClients.m[key]
	awsClients.Unlock()
	if ok && (c.expires.IsZero() || time.Until(c.expires) > awsClientMinLife) {
		return c, nil
	}
	var ans struct {
		ClientID              string `json:"clientId"`
		ClientSecret          string `json:"clientSecret"`
		ClientSecretExpiresAt int64  `json:"clientSecretExpiresAt"` // Unix seconds
	}
	body := map[string]any{"clientName": awsClientName, "clientType": "public", "scopes": ep.Scopes,
		"grantTypes": []string{deviceGrantType, "refresh_token"}}
	if err := awsCall(ctx, ep, ep.awsRegisterURL(), body, &ans); err != nil {
		return awsClient{}, awsFail(ctx, ep, "registering the client", err, nil)
	}
	if ans.ClientID == "" || ans.ClientSecret == "" {
		return awsClient{}, fmt.Errorf("oauth: %s: client registration answer lacks clientId or clientSecret", ep.label())
	}
	c = awsClient{id: ans.ClientID, secret: ans.ClientSecret}
	if ans.ClientSecretExpiresAt > 0 {
		c.expires = time.Unix(ans.ClientSecretExpiresAt, 0)
	}
	awsClients.Lock()
	awsClients.m[key] = c
	awsClients.Unlock()
	return c, nil
}

func forgetAWSClient(ep Endpoint) {
	awsClients.Lock()
	delete(awsClients.m, ep.awsRegisterURL()+"\x00"+strings.Join(ep.Scopes, " "))
	awsClients.Unlock()
}

// pollAWS polls the token endpoint until the user approves, as RFC 8628
// §3.5 says: authorization_pending keeps the pace, slow_down adds 5 s for
// good, expired_token or a passed Expires is ErrExpired, access_denied is
// ErrAccessDenied; a transient failure resumes a few times.
func (d *DeviceAuth) pollAWS(ctx context.Context) (*Token, error) {
	label := d.ep.label()
	var expired <-chan time.Time
	if !d.Expires.IsZero() {
		t := time.NewTimer(time.Until(d.Expires))
		defer t.Stop()
		expired = t.C
	}
	interval := d.Interval
	wait := time.NewTimer(interval)
	defer wait.Stop()
	for transient := 0; ; {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("oauth: %s: device sign-in canceled: %w", label, context.Cause(ctx))
		case <-expired:
			return nil, fmt.Errorf("oauth: %s: device sign-in: %w", label, ErrExpired)
		case <-wait.C:
		}
		tok, err := d.awsDeviceToken(ctx)
		switch code := serverCode(err); {
		case err == nil:
			return tok, nil
		case code == "authorization_pending":
		case code == "slow_down":
			interval += 5 * time.Second
		case code == "expired_token":
			return nil, fmt.Errorf("oauth: %s: device sign-in: %w: %w", label, ErrExpired, err)
		case code == "access_denied":
			return nil, fmt.Errorf("oauth: %s: device sign-in: %w: %w", label, ErrAccessDenied, err)
		default:
			err = awsFail(ctx, d.ep, "polling for the device token", err, nil)
			if !errors.Is(err, ErrTransient) || transient >= maxTransientPolls {
				return nil, err
			}
			transient++
		}
		wait.Reset(interval)
	}
}

// awsDeviceToken is one poll (CreateToken with the device code).
func (d *DeviceAuth) awsDeviceToken(ctx context.Context) (*Token, error) {
	c := d.aws.client
	body := map[string]string{"clientId": c.id, "clientSecret": c.secret, "grantType": deviceGrantType, "deviceCode": d.aws.deviceCode}
	var ans awsAnswer
	if err := awsCall(ctx, d.ep, d.ep.TokenURL, body, &ans); err != nil {
		return nil, err
	}
	return ans.token(d.ep, awsGrant{ClientID: c.id, Secret: c.secret, ClientExpires: unixOrZero(c.expires)})
}

// refreshAWS renews a packed grant (see Refresh).
func refreshAWS(ctx context.Context, ep Endpoint, packed string) (*Token, error) {
	const op = "refreshing the token"
	if err := ep.validateAWS(false); err != nil {
		return nil, err
	}
	g, err := parseAWSGrant(packed)
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: %s: %w: %w", ep.label(), op, ErrInvalidGrant, err)
	}
	if g.Refresh == "" {
		return nil, fmt.Errorf("oauth: %s: %s: no refresh token: %w", ep.label(), op, ErrInvalidGrant)
	}
	var ans awsAnswer
	if g.Social {
		u := regional(ep.RefreshURL, g.Region)
		if err := checkURL("refresh URL", u); err != nil {
			return nil, fmt.Errorf("oauth: %s: %s: %w", ep.label(), op, err)
		}
		// Kiro's auth service answers a refused token with a 4xx of its
		// own shape, not RFC 6749 codes: any of them means sign in again.
		refused := func(se *ServerError) bool {
			return se.Status >= 400 && se.Status < 500 && se.Status != 408 && se.Status != 429
		}
		if err := awsCall(ctx, ep, u, map[string]string{"refreshToken": g.Refresh}, &ans); err != nil {
			return nil, awsFail(ctx, ep, op, err, refused)
		}
		return ans.token(ep, g)
	}
	if g.ClientExpires > 0 && time.Now().After(time.Unix(g.ClientExpires, 0)) {
		return nil, fmt.Errorf("oauth: %s: %s: the client registration expired on %s: %w", ep.label(), op,
			time.Unix(g.ClientExpires, 0).UTC().Format(time.DateOnly), ErrInvalidGrant)
	}
	body := map[string]string{"clientId": g.ClientID, "clientSecret": g.Secret, "grantType": "refresh_token", "refreshToken": g.Refresh}
	// invalid_client: the registration is gone, and the refresh token with it.
	refused := func(se *ServerError) bool {
		switch se.Code {
		case "invalid_grant", "invalid_client", "unauthorized_client", "expired_token":
			return true
		}
		return false
	}
	if err := awsCall(ctx, ep, regional(ep.TokenURL, g.Region), body, &ans); err != nil {
		return nil, awsFail(ctx, ep, op, err, refused)
	}
	return ans.token(ep, g)
}

// awsAnswer is a token answer: CreateToken's, or Kiro's refreshToken's
// (which adds the account's profileArn).
type awsAnswer struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int64  `json:"expiresIn"`
	IDToken      string `json:"idToken"`
	ProfileArn   string `json:"profileArn"`
}

// token converts the answer; g is the grant it renews (its refresh token
// stays when the answer brings no new one).
func (a awsAnswer) token(ep Endpoint, g awsGrant) (*Token, error) {
	if a.AccessToken == "" {
		return nil, fmt.Errorf("oauth: %s: the token answer has no accessToken", ep.label())
	}
	if a.RefreshToken != "" {
		g.Refresh = a.RefreshToken
	}
	var exp time.Time
	if a.ExpiresIn > 0 {
		exp = time.Now().Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	tok := awsToken(a.AccessToken, exp, g, a.ProfileArn)
	if a.IDToken != "" {
		tok.IDToken = secret.Value(a.IDToken)
		tok.Claims, _ = ParseIDToken(a.IDToken) // received over TLS from the token endpoint
	}
	return tok, nil
}

// awsToken builds a Token holding g packed as its refresh token.
func awsToken(access string, exp time.Time, g awsGrant, profileARN string) *Token {
	tok := &Token{AccessToken: secret.Value(access), TokenType: "Bearer", Expiry: exp}
	if g.Refresh != "" {
		tok.RefreshToken = secret.Value(g.pack())
	}
	if profileARN != "" {
		tok.extra = func(key string) any {
			if key == "profileArn" {
				return profileARN
			}
			return nil
		}
	}
	return tok
}

// awsCall posts body as JSON and decodes a 2xx answer into out. Another
// status is a *ServerError; a failure to send or read is a *url.Error (which
// classifies as transient).
func awsCall(ctx context.Context, ep Endpoint, u string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := ep.client(ctx).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAWSAnswer))
	if err != nil {
		return &url.Error{Op: "Read", URL: u, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return awsServerError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer is not the expected JSON (HTTP %d)", resp.StatusCode)
	}
	return nil
}

// awsExceptionCodes maps the SSO-OIDC exception names (x-amzn-ErrorType,
// __type) to the RFC codes their "error" field carries, for answers that
// only name the exception.
var awsExceptionCodes = map[string]string{
	"AuthorizationPendingException": "authorization_pending", "SlowDownException": "slow_down",
	"ExpiredTokenException": "expired_token", "AccessDeniedException": "access_denied",
	"InvalidGrantException": "invalid_grant", "InvalidClientException": "invalid_client",
	"UnauthorizedClientException": "unauthorized_client", "InvalidRequestException": "invalid_request",
}

// awsServerError reads an error answer without keeping its body.
func awsServerError(resp *http.Response, data []byte) *ServerError {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
		Type        string `json:"__type"`
	}
	_ = json.Unmarshal(data, &body)
	se := &ServerError{Status: resp.StatusCode, Code: body.Error, Description: body.Description}
	if se.Description == "" {
		se.Description = body.Message
	}
	if se.Code == "" {
		name := body.Type
		if name == "" {
			name = resp.Header.Get("X-Amzn-Errortype")
		}
		name, _, _ = strings.Cut(name, ":") // "InvalidGrantException:http://…"
		if i := strings.LastIndexByte(name, '#'); i >= 0 {
			name = name[i+1:]
		}
		se.Code = awsExceptionCodes[name]
	}
	se.Code, se.Description = clean(se.Code, 64), clean(se.Description, 200)
	return se
}

// serverCode is the error code of a *ServerError in err's chain, or "".
func serverCode(err error) string {
	var se *ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// awsFail wraps an AWS call's error: the caller's cancellation stays a
// context error, refused (the grant is gone) becomes ErrInvalidGrant,
// unreachable or failing servers ErrTransient.
func awsFail(ctx context.Context, ep Endpoint, op string, err error, refused func(*ServerError) bool) error {
	prefix := "oauth: " + ep.label() + ": " + op
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", prefix, context.Cause(ctx))
	}
	var se *ServerError
	if errors.As(err, &se) {
		switch {
		case refused != nil && refused(se):
			return fmt.Errorf("%s: %w: %w", prefix, ErrInvalidGrant, se)
		case se.Status >= 500, se.Status == http.StatusTooManyRequests, se.Status == http.StatusRequestTimeout:
			return fmt.Errorf("%s: %w: %w", prefix, ErrTransient, se)
		}
		return fmt.Errorf("%s: %w", prefix, se)
	}
	if isNetworkError(err) {
		return fmt.Errorf("%s: %w: %w", prefix, ErrTransient, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// validateAWS checks what the AWS flow needs, all problems at once.
func (ep Endpoint) validateAWS(device bool) error {
	errs := []error{checkURL("token URL", ep.TokenURL)}
	if device {
		errs = append(errs, checkURL("device authorization URL", ep.DeviceURL), checkURL("start URL", ep.StartURL))
		if len(ep.Scopes) == 0 {
			errs = append(errs, errors.New("scopes are empty"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("oauth: %s: invalid endpoint: %w", ep.label(), err)
	}
	return nil
}

// awsRegisterURL is /client/register beside the token endpoint (AWS serves
// register, device_authorization and token from one host).
func (ep Endpoint) awsRegisterURL() string {
	u, err := url.Parse(ep.TokenURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/client/register"
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
