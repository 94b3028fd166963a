// Package transfer moves a whole Switchboard setup in and out: an export
// encrypted with a passphrase (age, scrypt recipient) that another machine
// imports, a YAML config file with secrets as ${ENV} references, and the
// setups of other gateways (OmniRoute, 9router, CLIProxyAPI, cc-switch)
// read from their own files, which are only ever read.
//
// Every way in goes through one neutral Setup and one Apply, which writes
// everything in one transaction: a dry run is that transaction rolled back,
// so the preview is exactly what applying would do, and a failure leaves
// nothing half imported.
package transfer

import (
	"encoding/json"
)

// Format names the export file's payload; Version is its layout.
const (
	Format  = "switchboard-setup"
	Version = 1
)

// Setup is a whole setup in neutral form. Secrets are in the clear here:
// a Setup only lives in memory, inside an encrypted file, or on its way into
// the store (where everything is sealed again).
type Setup struct {
	Format    string     `json:"format"`
	Version   int        `json:"version"`
	Schema    int        `json:"schema,omitempty"` // the exporting database's migration version
	App       string     `json:"app,omitempty"`    // the exporting Switchboard's version
	CreatedAt string     `json:"createdAt,omitempty"`
	Providers []Provider `json:"providers"`
	Accounts  []Account  `json:"accounts"`
	Combos    []Combo    `json:"combos"`
	Aliases   []Alias    `json:"aliases"`
	Keys      []Key      `json:"keys"`
	Settings  []Setting  `json:"settings"`
	// Tables carries key policy tables (key_*, api_key_*) whatever their
	// columns, so a build with per-key policies exports them and a build
	// with the same tables imports them.
	Tables []Table `json:"tables,omitempty"`

	// Skipped is what a reader found but cannot carry, with why (peers).
	Skipped []Item `json:"-"`
	// Notes are said once in the report (peers: what the user should know).
	Notes []string `json:"-"`
}

// Provider is a providers row: a catalog provider (only ID set) or a
// custom endpoint.
type Provider struct {
	ID         string   `json:"id"`
	Type       string   `json:"type,omitempty"`
	Name       string   `json:"name,omitempty"`
	Prefix     string   `json:"prefix,omitempty"`
	BaseURL    string   `json:"baseUrl,omitempty"`
	AllowLocal bool     `json:"allowLocal,omitempty"`
	Models     []string `json:"models,omitempty"`
	Disabled   bool     `json:"disabled,omitempty"`
	Changes    []string `json:"-"`
}

// Account is an API-key account or a sign-in.
type Account struct {
	ID            string  `json:"id,omitempty"` // kept when free (own exports)
	Provider      string  `json:"provider"`
	Name          string  `json:"name"`
	APIKey        string  `json:"apiKey,omitempty"`
	Priority      int     `json:"priority,omitempty"`
	MaxConcurrent int     `json:"maxConcurrent,omitempty"`
	RPM           int     `json:"rpm,omitempty"`
	Disabled      bool    `json:"disabled,omitempty"`
	SignIn        *SignIn `json:"signIn,omitempty"`
	// Changes say how a peer's item was mapped ("maps with changes").
	Changes []string `json:"-"`
}

// SignIn is a subscription sign-in's tokens and what the vendor told us.
type SignIn struct {
	Access     string          `json:"access"`
	Refresh    string          `json:"refresh,omitempty"`
	IDToken    string          `json:"idToken,omitempty"`
	ExpiresAt  int64           `json:"expiresAt,omitempty"` // unix ms
	Email      string          `json:"email,omitempty"`
	Plan       string          `json:"plan,omitempty"`
	AccountRef string          `json:"accountRef,omitempty"`
	Subject    string          `json:"subject,omitempty"`
	Org        string          `json:"org,omitempty"`
	State      string          `json:"state,omitempty"`
	Source     string          `json:"source,omitempty"`
	Extra      json.RawMessage `json:"extra,omitempty"`
}

// Combo is a stored combo (its route.Combo JSON).
type Combo struct {
	Name    string          `json:"name"`
	Data    json.RawMessage `json:"data"`
	Changes []string        `json:"-"`
}

// Alias maps a model name to a routable one.
type Alias struct {
	Alias  string `json:"alias"`
	Target string `json:"target"`
}

// Key is a local API key: a secret (peers store theirs in the clear) or,
// from our own exports, the hash the store keeps (a key keeps working on
// the other machine without its secret ever being written anywhere).
type Key struct {
	ID        string         `json:"id,omitempty"`
	Name      string         `json:"name"`
	Secret    string         `json:"secret,omitempty"`
	Hash      string         `json:"hash,omitempty"`
	Last4     string         `json:"last4,omitempty"`
	Source    string         `json:"source,omitempty"`
	CreatedAt int64          `json:"createdAt,omitempty"` // unix seconds
	Extra     map[string]any `json:"extra,omitempty"`     // more api_keys columns (policies)
}

// Setting is one settings row (its JSON value as stored).
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Table is a generic table's rows.
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}
