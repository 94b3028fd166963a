package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

// defaultInterval is RFC 8628 §3.2's polling interval when the server
// names none.
const defaultInterval = 5 * time.Second

// maxTransientPolls bounds how often Poll resumes after the server was
// unreachable or failing; a sign-in the user is still typing should
// survive a blip, not a dead server.
const maxTransientPolls = 5

// DeviceAuth is a device-code sign-in in progress (RFC 8628): show the
// user UserCode and VerificationURI (or VerificationURIComplete, which
// carries the code), then Poll.
type DeviceAuth struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string        // "" when the server sends none
	Interval                time.Duration // between polls, as the server asked (5 s by default)
	Expires                 time.Time     // zero when the server gave no expires_in

	ep       Endpoint
	resp     *oauth2.DeviceAuthResponse // holds the device code
	verifier string                     // PKCE, when the endpoint asks for it
	aws      *awsDevice                 // an AWS SSO-OIDC sign-in (Flow FlowAWSOIDC)
}

// StartDevice asks the device authorization endpoint for a user code.
func StartDevice(ctx context.Context, ep Endpoint) (*DeviceAuth, error) {
	ep = ep.withDefaults()
	if ep.Flow == FlowAWSOIDC {
		return startAWSDevice(ctx, ep)
	}
	if err := ep.validate(needDevice); err != nil {
		return nil, err
	}
	d := &DeviceAuth{ep: ep}
	var opts []oauth2.AuthCodeOption
	if ep.DevicePKCE {
		d.verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(d.verifier))
	}
	resp, err := ep.config("").DeviceAuth(ep.clientContext(ctx), opts...)
	if err != nil {
		return nil, classify(ctx, ep, "starting the device sign-in", err)
	}
	if resp.VerificationURI == "" {
		// Kimi's answer may carry only the complete URI (its CLI shows that
		// one); it serves as the page to open.
		resp.VerificationURI = resp.VerificationURIComplete
	}
	if resp.DeviceCode == "" || resp.UserCode == "" || resp.VerificationURI == "" {
		return nil, fmt.Errorf("oauth: %s: device authorization answer lacks device_code, user_code or verification_uri", ep.label())
	}
	d.resp = resp
	d.UserCode = resp.UserCode
	d.VerificationURI = resp.VerificationURI
	d.VerificationURIComplete = resp.VerificationURIComplete
	d.Expires = resp.Expiry
	d.Interval = time.Duration(resp.Interval) * time.Second
	if resp.Interval <= 0 {
		d.Interval = defaultInterval
	}
	return d, nil
}

// Poll waits for the user to approve, polling at the server's interval.
// x/oauth2 does the RFC 8628 §3.5 dance (authorization_pending: keep
// going; slow_down: add 5 s for good) and stops at Expires. Poll maps the
// endings: expired_token or a passed Expires → ErrExpired, access_denied →
// ErrAccessDenied; a transient failure resumes polling (at the original
// interval; a server that still wants it slower says slow_down again).
func (d *DeviceAuth) Poll(ctx context.Context) (*Token, error) {
	if d.aws != nil {
		return d.pollAWS(ctx)
	}
	cfg := d.ep.config("")
	var opts []oauth2.AuthCodeOption
	if d.verifier != "" {
		opts = append(opts, oauth2.VerifierOption(d.verifier))
	}
	for transient := 0; ; transient++ {
		t, err := cfg.DeviceAccessToken(d.ep.clientContext(ctx), d.resp, opts...)
		if err == nil {
			return newToken(t), nil
		}
		err = d.pollError(ctx, err)
		if errors.Is(err, ErrTransient) && transient < maxTransientPolls {
			continue
		}
		return nil, err
	}
}

// pollError classifies why DeviceAccessToken stopped.
func (d *DeviceAuth) pollError(ctx context.Context, err error) error {
	label := d.ep.label()
	if ctx.Err() != nil {
		return fmt.Errorf("oauth: %s: device sign-in canceled: %w", label, context.Cause(ctx))
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		se := serverError(re)
		switch se.Code {
		case "expired_token":
			return fmt.Errorf("oauth: %s: device sign-in: %w: %w", label, ErrExpired, se)
		case "access_denied":
			return fmt.Errorf("oauth: %s: device sign-in: %w: %w", label, ErrAccessDenied, se)
		}
	}
	// x/oauth2 ends the poll with its own deadline at Expires.
	if !d.Expires.IsZero() && !time.Now().Before(d.Expires) {
		return fmt.Errorf("oauth: %s: device sign-in: %w", label, ErrExpired)
	}
	return classify(ctx, d.ep, "polling for the device token", err)
}

// String shows what the user is asked to type; never the device code or
// the verifier. Value receivers, so a copy prints redacted too.
func (d DeviceAuth) String() string {
	return fmt.Sprintf("oauth.DeviceAuth{%s user_code=%s uri=%s}", d.ep.label(), d.UserCode, d.VerificationURI)
}

// Format routes every verb through String.
func (d DeviceAuth) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(d.String())) }

// LogValue is the redacted view for slog.
func (d DeviceAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", d.ep.label()), slog.String("user_code", d.UserCode),
		slog.String("verification_uri", d.VerificationURI), slog.Time("expires", d.Expires))
}
