// Package accounts stores the providers and accounts added from the
// dashboard or the CLI (API keys sealed with AES-GCM, bound to their row),
// and builds the routing snapshot from them plus the config file.
package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

var (
	// ErrNotFound means no such provider or account.
	ErrNotFound = errors.New("accounts: not found")
	// ErrInvalid marks input the user must correct.
	ErrInvalid = errors.New("accounts: invalid")
)

// StoredProvider is a provider row.
type StoredProvider struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	BaseURL    string   `json:"baseUrl"`
	AllowLocal bool     `json:"allowLocal"`
	Models     []string `json:"models"`
	Disabled   bool     `json:"disabled"`
}

// StoredAccount is an account row; the key itself never leaves this
// package except through Reveal.
type StoredAccount struct {
	ID            string `json:"id"`
	ProviderID    string `json:"providerId"`
	Name          string `json:"name"`
	Last4         string `json:"last4"`
	Priority      int    `json:"priority"`
	MaxConcurrent int    `json:"maxConcurrent"`
	RPM           int    `json:"rpm"`
	Disabled      bool   `json:"disabled"`
	CreatedAt     string `json:"createdAt"`
	Kind          string `json:"kind"` // key | signin
	sealed        string
}

// Account kinds.
const (
	KindKey    = "key"
	KindSignIn = "signin" // a subscription sign-in; its tokens are the signin package's
)

// SignIns supplies sign-in accounts' live credentials (package signin).
type SignIns interface {
	Credential(ctx context.Context, accountID string) (provider.Credential, error)
	// Retain forgets the credentials of accounts not in ids.
	Retain(ids map[string]bool)
}

// Store reads and writes providers and accounts.
type Store struct {
	db     *store.DB
	sealer *secret.Sealer

	mu         sync.Mutex
	discovered map[string]discoveredSet // provider id → models it reported (local servers, sign-ins)
	signins    SignIns
}

// SetSignIns wires the sign-in credentials; until then sign-in accounts
// are reported as errors by Build and not routed.
func (s *Store) SetSignIns(si SignIns) { s.signins = si }

// New returns a Store.
func New(db *store.DB, sealer *secret.Sealer) *Store { return &Store{db: db, sealer: sealer} }

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// UpsertProvider creates or replaces a provider row.
func (s *Store) UpsertProvider(ctx context.Context, p StoredProvider) error {
	if p.ID == "" {
		return fmt.Errorf("%w: provider id is required", ErrInvalid)
	}
	models, _ := json.Marshal(nonNil(p.Models))
	_, err := s.db.ExecContext(ctx, `INSERT INTO providers(id, type, name, prefix, base_url, allow_local, models, disabled, created_at)
		VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET type=excluded.type, name=excluded.name,
		prefix=excluded.prefix, base_url=excluded.base_url, allow_local=excluded.allow_local,
		models=excluded.models, disabled=excluded.disabled`,
		p.ID, p.Type, p.Name, p.Prefix, p.BaseURL, p.AllowLocal, string(models), p.Disabled, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("accounts: save provider: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Providers lists stored providers.
func (s *Store) Providers(ctx context.Context) ([]StoredProvider, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, name, prefix, base_url, allow_local, models, disabled FROM providers ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: list providers: %w", err)
	}
	defer rows.Close()
	var out []StoredProvider
	for rows.Next() {
		var p StoredProvider
		var models string
		if err := rows.Scan(&p.ID, &p.Type, &p.Name, &p.Prefix, &p.BaseURL, &p.AllowLocal, &models, &p.Disabled); err != nil {
			return nil, fmt.Errorf("accounts: list providers: %w", err)
		}
		_ = json.Unmarshal([]byte(models), &p.Models)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteProvider removes a provider and its accounts.
func (s *Store) DeleteProvider(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("accounts: delete provider: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE provider_id = ?`, id); err != nil {
		return fmt.Errorf("accounts: delete provider: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM providers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("accounts: delete provider: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return tx.Commit()
}

// AddAccount stores an account with its key sealed; the key is bound to the
// new row's id so a sealed value copied to another row does not open.
func (s *Store) AddAccount(ctx context.Context, a StoredAccount, apiKey string) (StoredAccount, error) {
	a.Name = strings.TrimSpace(a.Name)
	if a.ProviderID == "" || a.Name == "" {
		return a, fmt.Errorf("%w: provider and account name are required", ErrInvalid)
	}
	if a.MaxConcurrent < 0 || a.RPM < 0 {
		return a, fmt.Errorf("%w: limits must not be negative", ErrInvalid)
	}
	a.ID = newID("a_")
	if apiKey != "" {
		a.sealed = s.sealer.Seal([]byte(apiKey), []byte(a.ID))
		a.Last4 = last4(apiKey)
	}
	now := time.Now()
	a.CreatedAt = now.UTC().Format(time.RFC3339)
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts(id, provider_id, name, sealed_key, last4, priority, max_concurrent, rpm, disabled, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, a.ID, a.ProviderID, a.Name, a.sealed, a.Last4, a.Priority, a.MaxConcurrent, a.RPM, a.Disabled, now.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return a, fmt.Errorf("%w: provider %q already has an account named %q", ErrInvalid, a.ProviderID, a.Name)
		}
		return a, fmt.Errorf("accounts: add: %w", err)
	}
	return a, nil
}

func last4(k string) string {
	if len(k) <= 4 {
		return ""
	}
	return k[len(k)-4:]
}

// AccountPatch changes an account; nil fields are left alone.
type AccountPatch struct {
	Name          *string `json:"name"`
	APIKey        *string `json:"apiKey"`
	Priority      *int    `json:"priority"`
	MaxConcurrent *int    `json:"maxConcurrent"`
	RPM           *int    `json:"rpm"`
	Disabled      *bool   `json:"disabled"`
}

// UpdateAccount applies a patch.
func (s *Store) UpdateAccount(ctx context.Context, id string, p AccountPatch) error {
	a, err := s.account(ctx, id)
	if err != nil {
		return err
	}
	if p.Name != nil {
		a.Name = strings.TrimSpace(*p.Name)
	}
	if p.APIKey != nil && a.Kind == KindSignIn {
		return fmt.Errorf("%w: %s is a subscription sign-in; sign in again instead of setting a key", ErrInvalid, a.Name)
	}
	if p.APIKey != nil {
		a.sealed = s.sealer.Seal([]byte(*p.APIKey), []byte(a.ID))
		a.Last4 = last4(*p.APIKey)
	}
	if p.Priority != nil {
		a.Priority = *p.Priority
	}
	if p.MaxConcurrent != nil {
		a.MaxConcurrent = *p.MaxConcurrent
	}
	if p.RPM != nil {
		a.RPM = *p.RPM
	}
	if p.Disabled != nil {
		a.Disabled = *p.Disabled
	}
	if a.Name == "" || a.MaxConcurrent < 0 || a.RPM < 0 {
		return fmt.Errorf("%w: name is required and limits must not be negative", ErrInvalid)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE accounts SET name=?, sealed_key=?, last4=?, priority=?, max_concurrent=?, rpm=?, disabled=? WHERE id=?`,
		a.Name, a.sealed, a.Last4, a.Priority, a.MaxConcurrent, a.RPM, a.Disabled, a.ID)
	if err != nil {
		return fmt.Errorf("accounts: update: %w", err)
	}
	return nil
}

// DeleteAccount removes an account.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("accounts: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *Store) account(ctx context.Context, id string) (StoredAccount, error) {
	as, err := s.query(ctx, `WHERE id = ?`, id)
	if err != nil {
		return StoredAccount{}, err
	}
	if len(as) == 0 {
		return StoredAccount{}, ErrNotFound
	}
	return as[0], nil
}

// Accounts lists stored accounts (keys masked).
func (s *Store) Accounts(ctx context.Context) ([]StoredAccount, error) { return s.query(ctx, "") }

func (s *Store) query(ctx context.Context, where string, args ...any) ([]StoredAccount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, provider_id, name, sealed_key, last4, priority, max_concurrent, rpm, disabled, created_at, kind
		FROM accounts `+where+` ORDER BY provider_id, priority DESC, created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	defer rows.Close()
	var out []StoredAccount
	for rows.Next() {
		var a StoredAccount
		var created int64
		if err := rows.Scan(&a.ID, &a.ProviderID, &a.Name, &a.sealed, &a.Last4, &a.Priority, &a.MaxConcurrent, &a.RPM, &a.Disabled, &created, &a.Kind); err != nil {
			return nil, fmt.Errorf("accounts: list: %w", err)
		}
		a.CreatedAt = time.Unix(created, 0).UTC().Format(time.RFC3339)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Reveal opens an account's sealed key.
func (s *Store) Reveal(a StoredAccount) (string, error) {
	if a.sealed == "" {
		return "", nil
	}
	pt, err := s.sealer.Open(a.sealed, []byte(a.ID))
	if err != nil {
		return "", fmt.Errorf("accounts: key of %s/%s cannot be opened (was the data copied without its keyring key?): %w", a.ProviderID, a.Name, err)
	}
	return string(pt), nil
}

// Aliases returns the dashboard-defined aliases.
func (s *Store) Aliases(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT alias, target FROM aliases`)
	if err != nil {
		return nil, fmt.Errorf("accounts: aliases: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var a, t string
		if err := rows.Scan(&a, &t); err != nil {
			return nil, err
		}
		out[a] = t
	}
	return out, rows.Err()
}

// SetAlias creates or replaces an alias; an empty target deletes it.
func (s *Store) SetAlias(ctx context.Context, alias, target string) error {
	alias, target = strings.TrimSpace(alias), strings.TrimSpace(target)
	if alias == "" {
		return fmt.Errorf("%w: alias name is required", ErrInvalid)
	}
	var err error
	if target == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM aliases WHERE alias = ?`, alias)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO aliases(alias, target, created_at) VALUES (?,?,?)
			ON CONFLICT(alias) DO UPDATE SET target = excluded.target`, alias, target, time.Now().Unix())
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("accounts: alias: %w", err)
	}
	return nil
}
