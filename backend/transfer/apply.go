package transfer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// Options say how a setup is applied.
type Options struct {
	Replace bool // remove the current setup first (otherwise merge)
	DryRun  bool // report only: the transaction is rolled back
	Source  string
	Path    string
	Found   string
	Now     func() time.Time
}

// writer applies one setup inside one transaction.
type writer struct {
	tx     *sql.Tx
	sealer *secret.Sealer
	now    time.Time
	r      *Report
	// providers known to exist (the store's and this import's)
	providers map[string]bool
}

// Apply writes s into db in one transaction and reports every item. On any
// storage error nothing is written; items that cannot be carried are
// reported and skipped, never half written.
func Apply(ctx context.Context, db *store.DB, sealer *secret.Sealer, s Setup, o Options) (Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	r := Report{Source: o.Source, Path: o.Path, Found: o.Found, DryRun: o.DryRun, Replace: o.Replace, Items: []Item{}}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("transfer: %w", err)
	}
	defer tx.Rollback()
	w := &writer{tx: tx, sealer: sealer, now: o.Now(), r: &r, providers: map[string]bool{}}
	if o.Replace {
		if err := w.clear(ctx); err != nil {
			return r, err
		}
	}
	steps := []func(context.Context, Setup) error{w.applyProviders, w.applyAccounts, w.applyCombos,
		w.applyAliases, w.applyKeys, w.applySettings, w.applyTables}
	for _, step := range steps {
		if err := step(ctx, s); err != nil {
			return r, err
		}
	}
	for _, it := range s.Skipped {
		r.add(it)
	}
	r.Notes = append(r.Notes, s.Notes...)
	if o.DryRun {
		return r, nil // the deferred rollback undoes everything
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("transfer: %w", err)
	}
	return r, nil
}

// clear removes the current setup (replace mode). Sign-ins go with their
// accounts (foreign key cascade).
func (w *writer) clear(ctx context.Context) error {
	tables := []string{"accounts", "providers", "combos", "aliases", "api_keys", "settings"}
	extra, err := policyTables(ctx, w.tx)
	if err != nil {
		return err
	}
	for _, t := range append(extra, tables...) {
		if _, err := w.tx.ExecContext(ctx, `DELETE FROM `+quoteIdent(t)); err != nil {
			return fmt.Errorf("transfer: clear %s: %w", t, err)
		}
	}
	return nil
}

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// idFree reports whether id can be used in table (own exports keep ids).
func (w *writer) idFree(ctx context.Context, table, id string) bool {
	if id == "" {
		return false
	}
	var n int
	err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n)
	return err == nil && n == 0
}

func (w *writer) applyAliases(ctx context.Context, s Setup) error {
	for _, a := range s.Aliases {
		var cur string
		err := w.tx.QueryRowContext(ctx, `SELECT target FROM aliases WHERE alias = ?`, a.Alias).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := w.tx.ExecContext(ctx, `INSERT INTO aliases(alias, target, created_at) VALUES (?,?,?)`, a.Alias, a.Target, w.now.Unix()); err != nil {
				return fmt.Errorf("transfer: alias %s: %w", a.Alias, err)
			}
			w.r.add(Item{Kind: KindAlias, Name: a.Alias + " → " + a.Target, Action: ActCreate})
		case err != nil:
			return fmt.Errorf("transfer: alias %s: %w", a.Alias, err)
		case cur == a.Target:
			w.r.add(Item{Kind: KindAlias, Name: a.Alias + " → " + a.Target, Action: ActUnchanged})
		default:
			if _, err := w.tx.ExecContext(ctx, `UPDATE aliases SET target = ? WHERE alias = ?`, a.Target, a.Alias); err != nil {
				return fmt.Errorf("transfer: alias %s: %w", a.Alias, err)
			}
			w.r.add(Item{Kind: KindAlias, Name: a.Alias + " → " + a.Target, Action: ActUpdate, Changes: []string{"target was " + cur}})
		}
	}
	return nil
}

func (w *writer) applySettings(ctx context.Context, s Setup) error {
	for _, st := range s.Settings {
		if !json.Valid([]byte(st.Value)) {
			w.r.add(Item{Kind: KindSetting, Name: st.Key, Action: ActSkip, Why: "its value is not JSON"})
			continue
		}
		var cur string
		err := w.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, st.Key).Scan(&cur)
		act := ActCreate
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("transfer: setting %s: %w", st.Key, err)
		case cur == st.Value:
			w.r.add(Item{Kind: KindSetting, Name: st.Key, Action: ActUnchanged})
			continue
		default:
			act = ActUpdate
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO settings(key, value, updated_at) VALUES (?,?,?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, st.Key, st.Value, w.now.Unix()); err != nil {
			return fmt.Errorf("transfer: setting %s: %w", st.Key, err)
		}
		w.r.add(Item{Kind: KindSetting, Name: st.Key, Action: act})
	}
	return nil
}

// hashSecret is the keys package's hash (hex SHA-256 of the secret).
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
