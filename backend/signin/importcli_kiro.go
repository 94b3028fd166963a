package signin

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"switchboard/backend/oauth"
)

// The Kiro IDE keeps its login in ~/.aws/sso/cache/kiro-auth-token.json
// (facts from kiro-gateway, CLIProxyAPIPlus and AIClient-2-API, which read
// it): accessToken, refreshToken, expiresAt (ISO 8601), authMethod
// ("social" for Google/GitHub, "IdC" for AWS Builder ID and Identity
// Center), provider, region, and profileArn for social logins. An IdC login
// names its client registration by clientIdHash: the file
// <clientIdHash>.json beside it holds clientId, clientSecret and expiresAt,
// and the refresh token only works with that client.
func init() {
	cliLogins["kiro"] = cliLogin{name: "Kiro IDE", loginHint: "open the Kiro IDE and sign in",
		places: kiroPlaces, parse: parseKiro}
}

func kiroCacheDir(env ImportEnv) string { return filepath.Join(env.home(), ".aws", "sso", "cache") }

func kiroPlaces(env ImportEnv) []place {
	return []place{{path: filepath.Join(kiroCacheDir(env), "kiro-auth-token.json")}}
}

type kiroLogin struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresAt    string `json:"expiresAt"`
	AuthMethod   string `json:"authMethod"`
	Region       string `json:"region"`
	ProfileArn   string `json:"profileArn"`
	ClientIDHash string `json:"clientIdHash"`
	// Some tools that write this file put the client in it directly.
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// kiroClientFile is <clientIdHash>.json.
type kiroClientFile struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	ExpiresAt    string `json:"expiresAt"`
}

// clientHashRe: clientIdHash names a file in the cache directory, never a
// path elsewhere.
var clientHashRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func parseKiro(data []byte, env ImportEnv) (*oauth.Token, error) {
	var l kiroLogin
	if err := decodeJSON(data, &l); err != nil {
		return nil, err
	}
	if l.AccessToken == "" {
		return nil, errors.New("has no accessToken; sign in again in the Kiro IDE")
	}
	g := oauth.AWSGrant{RefreshToken: l.RefreshToken, Region: l.Region}
	social := strings.EqualFold(l.AuthMethod, "social") || (l.AuthMethod == "" && l.ClientIDHash == "" && l.ClientID == "")
	if !social && l.RefreshToken != "" {
		c, err := kiroClient(l, env)
		if err != nil {
			return nil, err
		}
		g.ClientID, g.ClientSecret, g.ClientExpires = c.ClientID, c.ClientSecret, isoTime(c.ExpiresAt)
		if !g.ClientExpires.IsZero() && !g.ClientExpires.After(env.Now()) {
			return nil, fmt.Errorf("holds a login whose client registration expired at %s; sign in again in the Kiro IDE, then import",
				g.ClientExpires.UTC().Format(time.RFC3339))
		}
	}
	return oauth.ImportAWS(l.AccessToken, isoTime(l.ExpiresAt), g, l.ProfileArn), nil
}

// kiroClient is the registered client an IdC login's refresh needs.
func kiroClient(l kiroLogin, env ImportEnv) (kiroClientFile, error) {
	if l.ClientID != "" && l.ClientSecret != "" {
		return kiroClientFile{ClientID: l.ClientID, ClientSecret: l.ClientSecret}, nil
	}
	if !clientHashRe.MatchString(l.ClientIDHash) {
		return kiroClientFile{}, errors.New("holds an AWS Builder ID login without its client registration (clientIdHash); sign in again in the Kiro IDE")
	}
	path := filepath.Join(kiroCacheDir(env), l.ClientIDHash+".json")
	raw, err := readLimited(path, maxLoginFile)
	if err != nil {
		return kiroClientFile{}, fmt.Errorf("names its client registration %s, which %w; sign in again in the Kiro IDE", path, err)
	}
	var c kiroClientFile
	if err := decodeJSON(raw, &c); err != nil {
		return kiroClientFile{}, fmt.Errorf("names its client registration %s, which %w", path, err)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return kiroClientFile{}, fmt.Errorf("names its client registration %s, which has no clientId or clientSecret; sign in again in the Kiro IDE", path)
	}
	return c, nil
}

// isoTime reads the IDE's ISO 8601 times; anything else is zero (unknown).
func isoTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
