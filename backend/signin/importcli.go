package signin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"switchboard/backend/oauth"
	"switchboard/backend/secret"
)

// This file imports a login the official CLIs (Claude Code, the Codex CLI)
// already hold, so a user who is signed in there need not sign in again.
// It runs only when the user asks, and it only reads: the CLIs' files and
// keychain items are opened read-only and never written, renamed or
// touched, because the CLI keeps using (and rotating) the same login.

// ImportEnv is where the CLIs keep their logins; DefaultImportEnv reads this
// machine's. Tests point it at fixture homes and fake the keychain.
type ImportEnv struct {
	Home     string                               // user's home dir
	GOOS     string                               // runtime.GOOS normally
	Getenv   func(string) string                  // CLAUDE_CONFIG_DIR, CODEX_HOME, USERPROFILE…
	Keychain func(service string) ([]byte, error) // macOS generic password by service; nil elsewhere
	Now      func() time.Time
}

// ErrCLILoginNotFound is matched (errors.Is) by ReadCLILogin's error when
// there is nothing to import, as opposed to a login that is there but
// unusable, so callers can answer "not found" rather than "bad request".
var ErrCLILoginNotFound = errors.New("no CLI login found")

// importError carries a full message and the sentinel it stands for.
type importError struct {
	msg string
	err error
}

func (e *importError) Error() string { return e.msg }
func (e *importError) Unwrap() error { return e.err }

// Limits on what is read: a login file is a few KiB; Claude Code's
// .claude.json, read only for the account's email, also keeps per-project
// history and can grow to megabytes.
const (
	maxLoginFile    = 1 << 20
	maxClaudeConfig = 8 << 20
	keychainTimeout = time.Minute
)

// claudeKeychainService is the macOS keychain item Claude Code keeps its
// login in; a CLAUDE_CONFIG_DIR gets its own item (see claudeKeychainItem).
const claudeKeychainService = "Claude Code-credentials"

// DefaultImportEnv is the running process's environment. Only macOS gets a
// keychain: Claude Code keeps its login in a file on Linux and Windows.
func DefaultImportEnv() ImportEnv {
	home, _ := os.UserHomeDir()
	env := ImportEnv{Home: home, GOOS: runtime.GOOS, Getenv: os.Getenv, Now: time.Now}
	if runtime.GOOS == "darwin" {
		env.Keychain = macKeychain
	}
	return env
}

// macKeychain reads a generic password through /usr/bin/security, the tool
// Claude Code itself stores its item with, so the item's access list already
// trusts it and no prompt appears (the Security framework would prompt).
// Claude Code files the item under the login user's name; items of the same
// service under other names are only the fallback.
func macKeychain(service string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keychainTimeout)
	defer cancel()
	if u, err := user.Current(); err == nil && u.Username != "" {
		if out, err := securityPassword(ctx, "-a", u.Username, "-s", service); err == nil {
			return out, nil
		}
	}
	return securityPassword(ctx, "-s", service)
}

// securityPassword runs `security find-generic-password … -w`. Its stderr
// is dropped: the caller only needs to know the item could not be read.
func securityPassword(ctx context.Context, args ...string) ([]byte, error) {
	args = append(append([]string{"find-generic-password"}, args...), "-w")
	out, err := exec.CommandContext(ctx, "/usr/bin/security", args...).Output()
	if err != nil {
		return nil, errors.New("keychain item not found or not readable")
	}
	return []byte(strings.TrimSpace(string(out))), nil
}

// FindCLILogin says where provider's CLI login would be read from and
// whether it exists ("claude" or "codex"). When none exists, source lists
// every place looked in. On macOS it reads the keychain item to tell a
// Claude login from an item holding only other data.
func FindCLILogin(provider string, env ImportEnv) (source string, found bool) {
	cli, ok := cliLogins[provider]
	if !ok {
		return "", false
	}
	source, _, err := cli.locate(env.withDefaults())
	return source, !errors.Is(err, ErrCLILoginNotFound)
}

// CLIName names the vendor CLI whose login providerID imports ("" when
// there is none).
func CLIName(providerID string) string { return cliLogins[providerID].name }

// ReadCLILogin reads provider's CLI login as an oauth.Token (AccessToken,
// RefreshToken, IDToken, Expiry, Claims filled as far as the CLI stores
// them). An expired access token with a refresh token is returned as is,
// past Expiry included: the gateway refreshes it on first use. Errors start
// with "signin: import <provider>: " and never contain token text.
func ReadCLILogin(provider string, env ImportEnv) (tok *oauth.Token, source string, err error) {
	cli, ok := cliLogins[provider]
	if !ok {
		return nil, "", fmt.Errorf("signin: import %q: unknown provider (want one of %s)", provider,
			strings.Join(slices.Sorted(maps.Keys(cliLogins)), ", "))
	}
	env = env.withDefaults()
	source, data, err := cli.locate(env)
	if errors.Is(err, ErrCLILoginNotFound) {
		msg := fmt.Sprintf("signin: import %s: no %s login found (looked in %s); %s first",
			provider, cli.name, source, cli.loginHint)
		return nil, source, &importError{msg: msg, err: err}
	}
	if err == nil {
		tok, err = cli.parse(data, env)
	}
	if err == nil {
		err = usable(tok, env.Now(), cli.loginHint)
	}
	if err != nil {
		return nil, source, fmt.Errorf("signin: import %s: %s %w", provider, source, err)
	}
	return tok, source, nil
}

// usable rejects a login the gateway could not use even once: an expired
// access token with no refresh token to renew it.
func usable(tok *oauth.Token, now time.Time, hint string) error {
	if tok.RefreshToken != "" || tok.Expiry.IsZero() || tok.Expiry.After(now) {
		return nil
	}
	return fmt.Errorf("holds an access token that expired at %s and no refresh token; log in with the CLI again (%s), then import",
		tok.Expiry.UTC().Format(time.RFC3339), hint)
}

// cliLogin describes one CLI's login storage as data.
type cliLogin struct {
	name      string // the CLI, for messages
	loginHint string // how to log in with the CLI
	places    func(ImportEnv) []place
	// hasLogin tells whether a keychain item holds a login; items that do
	// not give way to the next place.
	hasLogin func([]byte) bool
	parse    func([]byte, ImportEnv) (*oauth.Token, error)
}

var cliLogins = map[string]cliLogin{
	"claude": {
		name: "Claude Code", loginHint: "run `claude` and log in with /login",
		places: claudePlaces, hasLogin: hasClaudeLogin, parse: parseClaude,
	},
	"codex": {
		name: "Codex CLI", loginHint: "run `codex login`",
		places: codexPlaces, parse: parseCodex,
	},
}

// place is one location a login may be stored: a keychain item or a file.
type place struct {
	service string // macOS keychain service; "" for a file
	path    string
}

func (p place) String() string {
	if p.service != "" {
		return fmt.Sprintf("macOS keychain item %q", p.service)
	}
	return p.path
}

// locate returns the first place holding a login and its bytes. A keychain
// item that is missing, unreadable or holds no login gives way to the next
// place, as the CLIs themselves fall back to their file. A file that exists
// but cannot be read is an error, not a reason to look further.
func (c cliLogin) locate(env ImportEnv) (string, []byte, error) {
	places := c.places(env)
	for _, p := range places {
		if p.service != "" {
			data, err := env.Keychain(p.service)
			if err == nil && c.hasLogin(data) {
				return p.String(), data, nil
			}
			continue
		}
		data, err := readLimited(p.path, maxLoginFile)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		return p.String(), data, err
	}
	names := make([]string, len(places))
	for i, p := range places {
		names[i] = p.String()
	}
	return strings.Join(names, " and "), nil, ErrCLILoginNotFound
}

// readLimited reads a regular file of at most limit bytes, read-only. Its
// errors read as the tail of a sentence about the file (os.ErrNotExist
// stays matchable).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("is not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("is larger than %d KiB, too large for a CLI login", limit>>10)
	}
	return data, nil
}

// withDefaults makes a partly filled env usable.
func (env ImportEnv) withDefaults() ImportEnv {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	return env
}

// get reads an environment variable; blank counts as unset.
func (env ImportEnv) get(key string) string {
	v := env.Getenv(key)
	if strings.TrimSpace(v) == "" {
		return ""
	}
	return v
}

// home is the user's home as the CLIs see it: %USERPROFILE% on Windows
// (both CLIs resolve ~ through it there), Home elsewhere.
func (env ImportEnv) home() string {
	if env.GOOS == "windows" {
		if p := env.get("USERPROFILE"); p != "" {
			return p
		}
	}
	return env.Home
}

// decodeJSON unmarshals a login file. Its errors name the problem and the
// byte offset but never quote the input, which holds tokens.
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return fmt.Errorf("is not valid JSON (syntax error at byte %d); log in with the CLI again", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("is not in the expected format (field %q has the wrong type)", typ.Field)
	}
	return errors.New("is not valid JSON")
}

// bearerLogin is a login stored as plain fields (the Kimi CLI's, Qwen
// Code's): it needs an access token; hint says how to log in again.
func bearerLogin(access, refresh string, expiry time.Time, hint string) (*oauth.Token, error) {
	if access == "" {
		return nil, fmt.Errorf("has no access_token; log in with the CLI again (%s)", hint)
	}
	return &oauth.Token{AccessToken: secret.Value(access), RefreshToken: secret.Value(refresh), TokenType: "Bearer", Expiry: expiry}, nil
}

// ---- Claude Code ----

// claudeDir is Claude Code's config dir: $CLAUDE_CONFIG_DIR or ~/.claude.
func claudeDir(env ImportEnv) string {
	if d := env.get("CLAUDE_CONFIG_DIR"); d != "" {
		return d
	}
	return filepath.Join(env.home(), ".claude")
}

// claudePlaces: on macOS the keychain item first, then the file, which
// Claude Code uses where no keychain is writable (and which users who
// tired of keychain prompts move their login to).
func claudePlaces(env ImportEnv) []place {
	file := place{path: filepath.Join(claudeDir(env), ".credentials.json")}
	if env.GOOS != "darwin" || env.Keychain == nil {
		return []place{file}
	}
	return []place{{service: claudeKeychainItem(env)}, file}
}

// claudeKeychainItem names the keychain item Claude Code uses: with
// CLAUDE_CONFIG_DIR set it appends "-" and the first 8 hex digits of the
// SHA-256 of that exact value, so each config dir has its own login.
// The shared item is not tried then: it may belong to another account.
func claudeKeychainItem(env ImportEnv) string {
	dir := env.get("CLAUDE_CONFIG_DIR")
	if dir == "" {
		return claudeKeychainService
	}
	sum := sha256.Sum256([]byte(dir))
	return claudeKeychainService + "-" + hex.EncodeToString(sum[:])[:8]
}

// claudeCredentials is .credentials.json (and the keychain item's JSON).
type claudeCredentials struct {
	OAuth *struct {
		AccessToken      string   `json:"accessToken"`
		RefreshToken     string   `json:"refreshToken"`
		ExpiresAt        float64  `json:"expiresAt"` // Unix milliseconds
		Scopes           []string `json:"scopes"`
		SubscriptionType string   `json:"subscriptionType"`
	} `json:"claudeAiOauth"`
}

// hasClaudeLogin: the keychain item can hold only MCP servers' logins.
func hasClaudeLogin(data []byte) bool {
	var c claudeCredentials
	return json.Unmarshal(data, &c) == nil && c.OAuth != nil
}

func parseClaude(data []byte, env ImportEnv) (*oauth.Token, error) {
	var c claudeCredentials
	if err := decodeJSON(data, &c); err != nil {
		return nil, err
	}
	if c.OAuth == nil {
		return nil, errors.New("holds no Claude subscription login (claudeAiOauth is missing); run `claude` and log in with /login")
	}
	if c.OAuth.AccessToken == "" {
		return nil, errors.New("has no accessToken in claudeAiOauth; log in with the CLI again (run `claude` and log in with /login)")
	}
	tok := &oauth.Token{
		AccessToken:  secret.Value(c.OAuth.AccessToken),
		RefreshToken: secret.Value(c.OAuth.RefreshToken),
		TokenType:    "Bearer",
		Scope:        strings.Join(c.OAuth.Scopes, " "),
		Claims:       claudeAccount(env),
	}
	if c.OAuth.ExpiresAt > 0 {
		tok.Expiry = time.UnixMilli(int64(c.OAuth.ExpiresAt))
	}
	tok.Claims.PlanType = c.OAuth.SubscriptionType
	return tok, nil
}

// claudeAccount reads who is logged in from Claude Code's .claude.json
// (oauthAccount), which the credentials lack; a fresh sign-in gets the same
// from the token response. It lives in the config dir when
// CLAUDE_CONFIG_DIR is set, else in the home dir. Best effort: any problem
// leaves the claims empty, since the login itself is complete without them.
func claudeAccount(env ImportEnv) oauth.Claims {
	path := filepath.Join(env.home(), ".claude.json")
	if d := env.get("CLAUDE_CONFIG_DIR"); d != "" {
		path = filepath.Join(d, ".claude.json")
	}
	data, err := readLimited(path, maxClaudeConfig)
	if err != nil {
		return oauth.Claims{}
	}
	var cfg struct {
		Account struct {
			AccountUUID      string `json:"accountUuid"`
			EmailAddress     string `json:"emailAddress"`
			OrganizationUUID string `json:"organizationUuid"`
		} `json:"oauthAccount"`
	}
	if json.Unmarshal(data, &cfg) != nil {
		return oauth.Claims{}
	}
	a := cfg.Account
	return oauth.Claims{AccountID: a.AccountUUID, Email: a.EmailAddress, OrganizationID: a.OrganizationUUID}
}

// ---- Codex CLI ----

// codexPlaces: $CODEX_HOME/auth.json, else ~/.codex/auth.json. A Codex CLI
// configured to keep its login in the OS keyring
// (cli_auth_credentials_store) has no file to import.
func codexPlaces(env ImportEnv) []place {
	dir := env.get("CODEX_HOME")
	if dir == "" {
		dir = filepath.Join(env.home(), ".codex")
	}
	return []place{{path: filepath.Join(dir, "auth.json")}}
}

// codexAuth is auth.json.
type codexAuth struct {
	APIKey *string `json:"OPENAI_API_KEY"`
	Tokens *struct {
		IDToken      string `json:"id_token"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		AccountID    string `json:"account_id"`
	} `json:"tokens"`
}

func parseCodex(data []byte, _ ImportEnv) (*oauth.Token, error) {
	var a codexAuth
	if err := decodeJSON(data, &a); err != nil {
		return nil, err
	}
	switch {
	case a.Tokens == nil && a.APIKey != nil && *a.APIKey != "":
		return nil, errors.New("holds an API-key login (OPENAI_API_KEY), not a ChatGPT sign-in; add that key as an OpenAI API key instead")
	case a.Tokens == nil:
		return nil, errors.New("holds no ChatGPT login (tokens is missing); run `codex login` and choose Sign in with ChatGPT")
	case a.Tokens.AccessToken == "":
		return nil, errors.New("has no access_token in tokens; log in with the CLI again (run `codex login`)")
	}
	t := a.Tokens
	tok := &oauth.Token{
		AccessToken:  secret.Value(t.AccessToken),
		RefreshToken: secret.Value(t.RefreshToken),
		IDToken:      secret.Value(t.IDToken),
		TokenType:    "Bearer",
	}
	fillCodexClaims(tok, t.AccountID)
	return tok, nil
}

// fillCodexClaims reads the identity from the id_token, as a fresh sign-in
// does (the CLI received it over TLS from the token endpoint and only
// stored it), and the expiry from the access token's exp. The account id
// falls back to auth.json's account_id, then to the access token's claim.
// Tokens that do not decode leave fields empty: the login still works.
func fillCodexClaims(tok *oauth.Token, accountID string) {
	if tok.IDToken != "" {
		tok.Claims, _ = oauth.ParseIDToken(tok.IDToken.Reveal())
	}
	var access struct {
		Exp  float64 `json:"exp"`
		Auth struct {
			AccountID string `json:"chatgpt_account_id"`
		} `json:"https://api.openai.com/auth"`
	}
	if jwtPayload(tok.AccessToken.Reveal(), &access) == nil && access.Exp > 0 {
		tok.Expiry = time.Unix(int64(access.Exp), 0)
	}
	if tok.Claims.AccountID == "" {
		tok.Claims.AccountID = accountID
	}
	if tok.Claims.AccountID == "" {
		tok.Claims.AccountID = access.Auth.AccountID
	}
}

// jwtPayload decodes a JWT's claims without checking the signature: the
// gateway does not trust them for access, it only schedules refreshes and
// labels the account with them.
func jwtPayload(raw string, v any) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}
