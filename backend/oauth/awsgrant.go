package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// awsGrant is what refreshing an AWS sign-in takes besides the refresh
// token: the registered client it belongs to, or, for a Kiro Google/GitHub
// login, nothing but the token and Kiro's auth service. It travels packed
// as the Token's RefreshToken, so callers store and rotate it like any
// refresh token (sealed, replaced as a whole), and Refresh unpacks it.
type awsGrant struct {
	Social        bool   `json:"social,omitempty"` // a Kiro Google/GitHub login (Endpoint.RefreshURL)
	Refresh       string `json:"rt"`
	ClientID      string `json:"cid,omitempty"`
	Secret        string `json:"cs,omitempty"`
	ClientExpires int64  `json:"cexp,omitempty"` // Unix seconds; 0: unknown
	Region        string `json:"region,omitempty"`
}

func (g awsGrant) pack() string {
	b, _ := json.Marshal(g)
	return awsGrantPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// parseAWSGrant unpacks a grant. A string without the prefix is a bare Kiro
// refresh token (pasted, or kept by an older build): only Kiro's auth
// service renews those.
func parseAWSGrant(s string) (awsGrant, error) {
	rest, ok := strings.CutPrefix(s, awsGrantPrefix)
	if !ok {
		return awsGrant{Social: true, Refresh: s}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	var g awsGrant
	if err == nil {
		err = json.Unmarshal(raw, &g)
	}
	if err != nil {
		return awsGrant{}, errors.New("the stored refresh grant is damaged")
	}
	if !g.Social && (g.ClientID == "" || g.Secret == "") {
		return awsGrant{}, errors.New("the stored refresh grant has no client")
	}
	return g, nil
}

// AWSGrant describes an AWS sign-in another program made (the Kiro IDE's
// login), for ImportAWS.
type AWSGrant struct {
	RefreshToken string
	// ClientID and ClientSecret are the registered client the refresh token
	// belongs to (AWS SSO-OIDC sign-ins: Builder ID, Identity Center). Both
	// empty: a Kiro Google/GitHub login, renewed at Endpoint.RefreshURL.
	ClientID, ClientSecret string
	ClientExpires          time.Time // zero when unknown
	Region                 string    // the sign-in's AWS region; "" is us-east-1
}

// String never shows the secrets; Format and LogValue route through it.
func (g AWSGrant) String() string {
	kind := "client"
	if g.ClientID == "" {
		kind = "social"
	}
	return fmt.Sprintf("oauth.AWSGrant{%s region=%s [REDACTED]}", kind, g.Region)
}

// Format makes every verb print String.
func (g AWSGrant) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(g.String())) }

// LogValue is the redacted view for slog.
func (g AWSGrant) LogValue() slog.Value { return slog.StringValue(g.String()) }

// ImportAWS builds the Token of an imported AWS sign-in: access as it is,
// the refresh grant packed the way Refresh reads it. profileARN, when the
// login names one (Kiro's social logins do), is tok.Extra("profileArn").
func ImportAWS(access string, expiry time.Time, g AWSGrant, profileARN string) *Token {
	ag := awsGrant{Refresh: g.RefreshToken, ClientID: g.ClientID, Secret: g.ClientSecret,
		ClientExpires: unixOrZero(g.ClientExpires), Region: g.Region, Social: g.ClientID == ""}
	return awsToken(access, expiry, ag, profileARN)
}

// awsRegionRe is the shape of an AWS region name.
var awsRegionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

// regional points one of the vendors' us-east-1 URLs at region: the OIDC
// endpoints (oidc.<region>.amazonaws.com) and Kiro's auth service
// (prod.<region>.auth.desktop.kiro.dev) name their region in the host. Any
// other URL (an override, a test server) is kept, as is anything when the
// region is not a region name.
func regional(raw, region string) string {
	if region == "" || region == "us-east-1" || !awsRegionRe.MatchString(region) {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || !(strings.HasSuffix(u.Host, ".amazonaws.com") || strings.HasSuffix(u.Host, ".kiro.dev")) {
		return raw
	}
	labels := strings.Split(u.Host, ".")
	for i, l := range labels {
		if l == "us-east-1" {
			labels[i] = region
		}
	}
	u.Host = strings.Join(labels, ".")
	return u.String()
}
