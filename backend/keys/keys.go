// Package keys manages the local API keys clients use to reach /v1. A key is
// shown once at creation; only its SHA-256 and last four characters are
// stored. Verification is an in-memory map lookup so the hot path never
// touches the database; last-used times are flushed in the background.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"switchboard/backend/store"
)

// Prefix marks Switchboard keys so they are recognisable in config files.
const Prefix = "sk-sb-"

// Sources of a key.
const (
	SourceCLI       = "cli"
	SourceDashboard = "dashboard"
	SourceConfig    = "config"
	SourceTool      = "tool" // created for a CLI tool by the one-click setup
)

var (
	// ErrNotFound means no key has that id or name.
	ErrNotFound = errors.New("keys: no such key")
	// ErrInvalid marks a name or secret the user must correct.
	ErrInvalid = errors.New("keys: invalid")
	// ErrExists means a key with that name already exists.
	ErrExists = errors.New("keys: a key with that name already exists")
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)
)

// Key is a stored key's public description.
type Key struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Last4      string `json:"last4"`
	Source     string `json:"source"`
	CreatedAt  string `json:"createdAt"`  // RFC 3339
	LastUsedAt string `json:"lastUsedAt"` // RFC 3339 or ""
	Policy     Policy `json:"policy"`
	// Usage is today's and this month's spend (List fills it).
	Usage *Usage `json:"usage,omitempty"`
}

// Gate is a verified key on the request path: its policy and its live
// counters (see Check and Admit).
type Gate struct {
	key      Key
	pol      *compiled
	m        *meter
	lastUsed atomic.Int64 // unix seconds, 0 = never
	flushed  int64
}

type entry = Gate

// Service creates, lists, revokes and verifies keys.
type Service struct {
	db  *store.DB
	now func() time.Time

	mu     sync.Mutex // serialises writes
	byHash atomic.Pointer[map[string]*entry]
	byName atomic.Pointer[map[string]*entry]
	// meters are the live counters by key name; they outlive reloads.
	metersMu sync.Mutex
	meters   map[string]*meter
	onWarn   atomic.Pointer[func(Warning)]
	// lastMissReload limits reloads caused by unknown keys to one a second:
	// a key created by `switchboard keys create` while the server runs is
	// picked up on its first use, and garbage keys cannot hammer the DB.
	lastMissReload atomic.Int64
	// used wakes RunFlusher when a key's last-used time moved.
	used chan struct{}
}

// New loads every key into memory.
func New(ctx context.Context, db *store.DB) (*Service, error) {
	s := &Service{db: db, now: time.Now, meters: map[string]*meter{}, used: make(chan struct{}, 1)}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func hashKey(secret string) string {
	h := hashHex(secret)
	return string(h[:])
}

// hashHex is the secret's SHA-256 in hex, on the stack: Authenticate looks
// it up as string(h[:]), which does not allocate, for every request.
func hashHex(secret string) (h [2 * sha256.Size]byte) {
	// Sum256 only reads its input: the secret's bytes in place (a copy of
	// a secret longer than 32 bytes would be allocated).
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(secret), len(secret)))
	hex.Encode(h[:], sum[:])
	return h
}

// Reload reads the keys again (the database was replaced underneath: a
// restore or an imported setup).
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reload(ctx)
}

const selectKeys = `SELECT id, name, hash, last4, source, created_at, last_used_at,
	models, rpm, tpm, daily_usd, monthly_usd, daily_tokens, monthly_tokens, expires_at, disabled
	FROM api_keys ORDER BY created_at, name`

func (s *Service) reload(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, selectKeys)
	if err != nil {
		return fmt.Errorf("keys: load: %w", err)
	}
	defer rows.Close()
	old := s.byHash.Load()
	m := map[string]*entry{}
	names := map[string]*entry{}
	for rows.Next() {
		var k Key
		var hash, models string
		var created, used, expires int64
		p := &k.Policy
		if err := rows.Scan(&k.ID, &k.Name, &hash, &k.Last4, &k.Source, &created, &used,
			&models, &p.RPM, &p.TPM, &p.DailyUSD, &p.MonthlyUSD, &p.DailyTokens, &p.MonthlyTokens, &expires, &p.Disabled); err != nil {
			return fmt.Errorf("keys: load: %w", err)
		}
		if models != "" {
			p.Models = strings.Split(models, "\n")
		}
		if expires > 0 {
			p.ExpiresAt = time.Unix(expires, 0).UTC().Format(time.RFC3339)
		}
		k.CreatedAt = time.Unix(created, 0).UTC().Format(time.RFC3339)
		e := &entry{key: k, flushed: used, pol: compile(k.Policy), m: s.meter(k.Name)}
		e.lastUsed.Store(used)
		if old != nil { // keep unflushed usage across reloads
			if prev, ok := (*old)[hash]; ok && prev.lastUsed.Load() > used {
				e.lastUsed.Store(prev.lastUsed.Load())
			}
		}
		m[hash] = e
		names[k.Name] = e
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("keys: load: %w", err)
	}
	s.byHash.Store(&m)
	s.byName.Store(&names)
	s.dropMeters(names)
	return nil
}

// meter returns the counters of key name, creating them.
func (s *Service) meter(name string) *meter {
	s.metersMu.Lock()
	defer s.metersMu.Unlock()
	m, ok := s.meters[name]
	if !ok {
		m = &meter{}
		s.meters[name] = m
	}
	return m
}

// dropMeters forgets the counters of keys that no longer exist.
func (s *Service) dropMeters(live map[string]*entry) {
	s.metersMu.Lock()
	defer s.metersMu.Unlock()
	for name := range s.meters {
		if _, ok := live[name]; !ok {
			delete(s.meters, name)
		}
	}
}

// Verify reports the key a presented secret belongs to.
func (s *Service) Verify(secret string) (Key, bool) {
	g, ok := s.Authenticate(secret)
	if !ok {
		return Key{}, false
	}
	return g.key, true
}

// Authenticate finds the key a presented secret belongs to. The map is
// keyed by the secret's hash, so no secret bytes are compared and timing
// reveals nothing about stored keys.
func (s *Service) Authenticate(secret string) (*Gate, bool) {
	if secret == "" {
		return nil, false
	}
	m := s.byHash.Load()
	if m == nil {
		return nil, false
	}
	hx := hashHex(secret)
	e, ok := (*m)[string(hx[:])]
	if !ok {
		now := s.now().UnixMilli()
		last := s.lastMissReload.Load()
		if now-last < 1000 || !s.lastMissReload.CompareAndSwap(last, now) {
			return nil, false
		}
		if err := s.reload(context.Background()); err != nil {
			return nil, false
		}
		if e, ok = (*s.byHash.Load())[string(hx[:])]; !ok {
			return nil, false
		}
	}
	if now := s.now().Unix(); e.lastUsed.Swap(now) != now { // at most once a second per key
		select {
		case s.used <- struct{}{}: // wakes RunFlusher
		default:
		}
	}
	return e, true
}

// Create makes a new random key and returns it with its secret, which is
// never retrievable again.
func (s *Service) Create(ctx context.Context, name, source string) (Key, string, error) {
	return s.CreateWithPolicy(ctx, name, source, Policy{})
}

// CreateWithPolicy is Create with the key's policy set at once.
func (s *Service) CreateWithPolicy(ctx context.Context, name, source string, p Policy) (Key, string, error) {
	secret, err := newSecret()
	if err != nil {
		return Key{}, "", err
	}
	k, err := s.insert(ctx, name, secret, source, p)
	return k, secret, err
}

// Import stores a key whose secret the operator chose (config file).
func (s *Service) Import(ctx context.Context, name, secret string, p Policy) (Key, error) {
	return s.insert(ctx, name, secret, SourceConfig, p)
}

func (s *Service) insert(ctx context.Context, name, secret, source string, p Policy) (Key, error) {
	if !nameRe.MatchString(name) {
		return Key{}, fmt.Errorf("%w: name %q must be 1-64 letters, digits, spaces, '.', '_' or '-'", ErrInvalid, name)
	}
	if len(secret) < 16 {
		return Key{}, fmt.Errorf("%w: a key must be at least 16 characters", ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return Key{}, err
	}
	p = p.normalize()
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := newID()
	if err != nil {
		return Key{}, err
	}
	now := s.now().Unix()
	last4 := secret[len(secret)-4:]
	_, err = s.db.ExecContext(ctx, `INSERT INTO api_keys(id, name, hash, last4, source, created_at, models, rpm, tpm,
		daily_usd, monthly_usd, daily_tokens, monthly_tokens, expires_at, disabled) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		append([]any{id, name, hashKey(secret), last4, source, now}, policyColumns(p)...)...)
	if err != nil {
		if isUnique(err) {
			return Key{}, ErrExists
		}
		return Key{}, fmt.Errorf("keys: create: %w", err)
	}
	if err := s.reload(ctx); err != nil {
		return Key{}, err
	}
	return Key{ID: id, Name: name, Last4: last4, Source: source, CreatedAt: time.Unix(now, 0).UTC().Format(time.RFC3339), Policy: p}, nil
}

func (s *Service) storePolicy(ctx context.Context, id string, p Policy) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_keys SET models = ?, rpm = ?, tpm = ?, daily_usd = ?, monthly_usd = ?,
		daily_tokens = ?, monthly_tokens = ?, expires_at = ?, disabled = ? WHERE id = ?`, append(policyColumns(p), id)...)
	return err
}

// policyColumns are p's values in the column order of api_keys.
func policyColumns(p Policy) []any {
	var expires int64
	if t, err := parseExpiry(p.ExpiresAt); p.ExpiresAt != "" && err == nil {
		expires = t.Unix()
	}
	return []any{strings.Join(p.Models, "\n"), p.RPM, p.TPM, p.DailyUSD, p.MonthlyUSD, p.DailyTokens, p.MonthlyTokens, expires, p.Disabled}
}

// SetPolicy replaces the policy of the key with that id or name. Keys the
// config file declares are refused (ErrConfigOwned): the file says.
func (s *Service) SetPolicy(ctx context.Context, idOrName string, p Policy) (Key, error) {
	if err := p.Validate(); err != nil {
		return Key{}, err
	}
	p = p.normalize()
	k, ok := s.Get(idOrName)
	if !ok {
		return Key{}, ErrNotFound
	}
	if k.Source == SourceConfig {
		return Key{}, ErrConfigOwned
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.storePolicy(ctx, k.ID, p); err != nil {
		return Key{}, fmt.Errorf("keys: set policy: %w", err)
	}
	if err := s.reload(ctx); err != nil {
		return Key{}, err
	}
	k, _ = s.Get(k.ID)
	return k, nil
}

// Get returns the key with that id or name, usage included.
func (s *Service) Get(idOrName string) (Key, bool) {
	for _, k := range s.List() {
		if k.ID == idOrName || k.Name == idOrName {
			return k, true
		}
	}
	return Key{}, false
}

// List returns every key with its usage, oldest first.
func (s *Service) List() []Key {
	m := s.byHash.Load()
	if m == nil {
		return nil
	}
	now := s.now()
	out := make([]Key, 0, len(*m))
	for _, e := range *m {
		k := e.key
		if t := e.lastUsed.Load(); t > 0 {
			k.LastUsedAt = time.Unix(t, 0).UTC().Format(time.RFC3339)
		}
		u := e.m.usage(now)
		k.Usage = &u
		out = append(out, k)
	}
	sortKeys(out)
	return out
}

// Revoke deletes the key with that id or name.
func (s *Service) Revoke(ctx context.Context, idOrName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ? OR name = ?`, idOrName, idOrName)
	if err != nil {
		return fmt.Errorf("keys: revoke: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return s.reload(ctx)
}

// Declared is a key the config file declares.
type Declared struct {
	Secret string
	Policy Policy
}

// SyncConfig makes the config-declared keys exactly those in the file:
// new ones are imported, changed secrets replaced, removed ones deleted,
// policies set as declared. Keys from other sources are left alone.
func (s *Service) SyncConfig(ctx context.Context, declared map[string]Declared) error {
	current := map[string]bool{}
	m := s.byHash.Load()
	for h, e := range *m {
		if e.key.Source != SourceConfig {
			continue
		}
		want, ok := declared[e.key.Name]
		if !ok || hashKey(want.Secret) != h {
			if err := s.Revoke(ctx, e.key.ID); err != nil {
				return err
			}
			continue
		}
		current[e.key.Name] = true
		if err := want.Policy.Validate(); err != nil {
			return fmt.Errorf("keys: config key %q: %w", e.key.Name, err)
		}
		if p := want.Policy.normalize(); !samePolicy(p, e.key.Policy) {
			if err := s.storePolicy(ctx, e.key.ID, p); err != nil {
				return fmt.Errorf("keys: config key %q: %w", e.key.Name, err)
			}
			if err := s.reload(ctx); err != nil {
				return err
			}
		}
	}
	for name, d := range declared {
		if current[name] {
			continue
		}
		if _, err := s.Import(ctx, name, d.Secret, d.Policy); err != nil {
			return fmt.Errorf("keys: config key %q: %w", name, err)
		}
	}
	return nil
}

func samePolicy(a, b Policy) bool {
	return strings.Join(a.Models, "\n") == strings.Join(b.Models, "\n") && a.RPM == b.RPM && a.TPM == b.TPM &&
		a.DailyUSD == b.DailyUSD && a.MonthlyUSD == b.MonthlyUSD && a.DailyTokens == b.DailyTokens &&
		a.MonthlyTokens == b.MonthlyTokens && a.ExpiresAt == b.ExpiresAt && a.Disabled == b.Disabled
}

// FlushUsage writes last-used times that changed since the last flush.
func (s *Service) FlushUsage(ctx context.Context) error {
	m := s.byHash.Load()
	if m == nil {
		return nil
	}
	for _, e := range *m {
		t := e.lastUsed.Load()
		if t == e.flushed {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, t, e.key.ID); err != nil {
			return fmt.Errorf("keys: flush usage: %w", err)
		}
		e.flushed = t
	}
	return nil
}

// RunFlusher writes last-used times within every of a key's use until ctx
// ends, then flushes once more. While no key is used nothing runs: no
// timer wakes an idle app. (Keys other processes change are read again
// by the caller when the database changes: Reload.)
func (s *Service) RunFlusher(ctx context.Context, every time.Duration) {
	var due <-chan time.Time // armed by the first use after a flush
	for {
		select {
		case <-ctx.Done():
			_ = s.FlushUsage(context.Background())
			return
		case <-s.used:
			if due == nil {
				due = time.After(every)
			}
		case <-due:
			due = nil
			_ = s.FlushUsage(ctx)
		}
	}
}

// Count is the number of keys.
func (s *Service) Count() int {
	if m := s.byHash.Load(); m != nil {
		return len(*m)
	}
	return 0
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newSecret is sk-sb- plus 40 base62 characters (~238 bits).
func newSecret() (string, error) {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 62 bias is negligible at 238 bits
	}
	return Prefix + string(b), nil
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	return "k_" + hex.EncodeToString(b), nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func sortKeys(ks []Key) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].CreatedAt != ks[j].CreatedAt {
			return ks[i].CreatedAt < ks[j].CreatedAt
		}
		return ks[i].Name < ks[j].Name
	})
}
