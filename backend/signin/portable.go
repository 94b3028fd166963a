package signin

import (
	"context"
	"database/sql"
	"fmt"

	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// Tokens are a sign-in's secrets as they travel in an export or arrive from
// another gateway (package transfer); they are sealed again on arrival.
type Tokens struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh,omitempty"`
	IDToken string `json:"idToken,omitempty"`
}

// SealTokens seals t for the sign-in of accountID exactly as the store does.
func SealTokens(s *secret.Sealer, accountID string, t Tokens) (string, error) {
	return db{sealer: s}.seal(accountID, tokens(t))
}

// OpenTokens opens the sealed tokens of the sign-in of accountID.
func OpenTokens(s *secret.Sealer, accountID, sealed string) (Tokens, error) {
	t, err := db{sealer: s}.open(accountID, sealed)
	return Tokens(t), err
}

// KeepNewerTokens is run on a database about to replace the live one (a
// backup being restored): a sign-in present in both whose live tokens were
// renewed later keeps the live ones. Vendors rotate refresh tokens, so the
// backup's older ones may already be retired, and restoring them would sign
// the user out. Both databases are sealed with the same key (same data dir).
func KeepNewerTokens(ctx context.Context, live *store.DB, restored *store.DB) error {
	rows, err := live.QueryContext(ctx, `SELECT account_id, sealed, expires_at, state, last_error, refreshed_at FROM signins`)
	if err != nil {
		return fmt.Errorf("signin: keep newer tokens: %w", err)
	}
	type row struct {
		id, sealed, state, lastErr string
		exp, refreshed             int64
	}
	var liveRows []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed, &r.exp, &r.state, &r.lastErr, &r.refreshed); err != nil {
			rows.Close()
			return fmt.Errorf("signin: keep newer tokens: %w", err)
		}
		liveRows = append(liveRows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("signin: keep newer tokens: %w", err)
	}
	tx, err := restored.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("signin: keep newer tokens: %w", err)
	}
	defer tx.Rollback()
	for _, r := range liveRows {
		var theirs int64
		err := tx.QueryRowContext(ctx, `SELECT refreshed_at FROM signins WHERE account_id = ?`, r.id).Scan(&theirs)
		if err == sql.ErrNoRows || (err == nil && theirs >= r.refreshed) {
			continue
		}
		if err != nil {
			return fmt.Errorf("signin: keep newer tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signins SET sealed=?, expires_at=?, state=?, last_error=?, refreshed_at=? WHERE account_id=?`,
			r.sealed, r.exp, r.state, r.lastErr, r.refreshed, r.id); err != nil {
			return fmt.Errorf("signin: keep newer tokens: %w", err)
		}
	}
	return tx.Commit()
}

// Reloaded drops every live credential after the database was replaced
// underneath (a restore, an import that replaced the setup): the next
// routing rebuild loads each sign-in again from the store. The refresh-log
// mark is taken anew so Sync does not replay the new database's history.
func (m *Manager) Reloaded(ctx context.Context) {
	m.Retain(map[string]bool{})
	var last int64
	_ = m.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM signin_log`).Scan(&last)
	m.mu.Lock()
	m.synced, m.marked = last, true
	m.mu.Unlock()
}
