package signin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/oauth"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

// Outcomes written to the refresh log.
const (
	OutcomeSignedIn    = "signed_in"
	OutcomeImported    = "imported"
	OutcomeRefreshed   = "refreshed"
	OutcomeFailed      = "failed"
	OutcomeNeedsSignIn = "needs_sign_in"
)

// Sign-in states kept in the signins table.
const (
	stateOK          = "ok"
	stateNeedsSignIn = "needs_sign_in"
)

// logKeep bounds the refresh log: older rows are deleted as new ones come.
const logKeep = 500

// tokens is what is sealed: every secret of a sign-in, in one value, so a
// rotation replaces all of them at once.
type tokens struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh,omitempty"`
	IDToken string `json:"id_token,omitempty"`
}

// record is one sign-in as stored (secrets opened).
type record struct {
	AccountID, ProviderID, Name string
	tokens
	Expiry      time.Time
	Claims      oauth.Claims
	State       string
	LastError   string
	RefreshedAt time.Time
	Source      string
	Extra       Extra
}

// db is the sign-ins' storage; every change of tokens is one transaction
// together with its refresh-log row.
type db struct {
	*store.DB
	sealer *secret.Sealer
}

func (d db) seal(id string, t tokens) (string, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	return d.sealer.Seal(b, []byte("signin:"+id)), nil
}

func (d db) open(id, sealed string) (tokens, error) {
	var t tokens
	b, err := d.sealer.Open(sealed, []byte("signin:"+id))
	if err != nil {
		return t, fmt.Errorf("signin: tokens of account %s cannot be opened (was the data copied without its keyring key?): %w", id, err)
	}
	return t, json.Unmarshal(b, &t)
}

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func newAccountID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "a_" + hex.EncodeToString(b)
}

// save creates the account (or, when provider already has an account of
// that name, replaces its tokens and clears "needs sign-in"), ensuring the
// provider row exists unless the config file declares it. It returns the
// account id.
func (d db) save(ctx context.Context, r record, outcome, detail string, now time.Time) (string, error) {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("signin: save: %w", err)
	}
	defer tx.Rollback()
	var id, kind string
	err = tx.QueryRowContext(ctx, `SELECT id, kind FROM accounts WHERE provider_id = ? AND name = ?`, r.ProviderID, r.Name).Scan(&id, &kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		id = newAccountID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts(id, provider_id, name, kind, created_at) VALUES (?,?,?,?,?)`,
			id, r.ProviderID, r.Name, "signin", now.Unix()); err != nil {
			return "", fmt.Errorf("signin: save account: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("signin: save: %w", err)
	case kind != "signin":
		return "", fmt.Errorf("signin: provider %s already has an API-key account named %q; choose another name", r.ProviderID, r.Name)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO providers(id, created_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING`,
		r.ProviderID, now.Unix()); err != nil {
		return "", fmt.Errorf("signin: save provider: %w", err)
	}
	sealed, err := d.seal(id, r.tokens)
	if err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO signins(account_id, sealed, expires_at, email, plan, account_ref, subject, org, state, last_error, refreshed_at, source, extra)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(account_id) DO UPDATE SET sealed=excluded.sealed, expires_at=excluded.expires_at,
		email=excluded.email, plan=excluded.plan, account_ref=excluded.account_ref, subject=excluded.subject, org=excluded.org,
		state=excluded.state, last_error='', refreshed_at=excluded.refreshed_at, source=excluded.source, extra=excluded.extra`,
		id, sealed, unixMS(r.Expiry), r.Claims.Email, r.Claims.PlanType, r.Claims.AccountID, r.Claims.Subject,
		r.Claims.OrganizationID, stateOK, "", now.UnixMilli(), r.Source, r.Extra.json())
	if err != nil {
		return "", fmt.Errorf("signin: save tokens: %w", err)
	}
	if err := logRow(ctx, tx, now, id, r.ProviderID, r.Name, outcome, detail); err != nil {
		return "", err
	}
	return id, tx.Commit()
}

// errGone means the account was deleted while its token was refreshed.
var errGone = errors.New("signin: the account was removed")

// saveRefreshed stores a refresh's outcome (rotated refresh token and
// vendor data included) with its log row, in one transaction.
func (d db) saveRefreshed(ctx context.Context, r record, now time.Time) error {
	sealed, err := d.seal(r.AccountID, r.tokens)
	if err != nil {
		return err
	}
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("signin: save refresh: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE signins SET sealed=?, expires_at=?, state=?, last_error='', refreshed_at=?,
		email=CASE WHEN ?='' THEN email ELSE ? END, plan=CASE WHEN ?='' THEN plan ELSE ? END,
		account_ref=CASE WHEN ?='' THEN account_ref ELSE ? END, extra=? WHERE account_id=?`,
		sealed, unixMS(r.Expiry), stateOK, now.UnixMilli(), r.Claims.Email, r.Claims.Email, r.Claims.PlanType, r.Claims.PlanType,
		r.Claims.AccountID, r.Claims.AccountID, r.Extra.json(), r.AccountID)
	if err != nil {
		return fmt.Errorf("signin: save refresh: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errGone
	}
	detail := "valid until " + r.Expiry.UTC().Format(time.RFC3339)
	if r.Expiry.IsZero() {
		detail = "no expiry given"
	}
	if err := logRow(ctx, tx, now, r.AccountID, r.ProviderID, r.Name, OutcomeRefreshed, detail); err != nil {
		return err
	}
	return tx.Commit()
}

// setState records a failed refresh: needs_sign_in (refused grant) or a
// transient failure that keeps the state.
func (d db) setState(ctx context.Context, r record, state, outcome, detail string, now time.Time) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("signin: save state: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE signins SET state=?, last_error=? WHERE account_id=?`, state, detail, r.AccountID); err != nil {
		return fmt.Errorf("signin: save state: %w", err)
	}
	if err := logRow(ctx, tx, now, r.AccountID, r.ProviderID, r.Name, outcome, detail); err != nil {
		return err
	}
	return tx.Commit()
}

func logRow(ctx context.Context, tx *sql.Tx, now time.Time, id, providerID, name, outcome, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO signin_log(ts, account_id, provider_id, account, outcome, detail) VALUES (?,?,?,?,?,?)`,
		now.UnixMilli(), id, providerID, name, outcome, detail); err != nil {
		return fmt.Errorf("signin: log: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM signin_log WHERE id <= (SELECT max(id) FROM signin_log) - ?`, logKeep)
	return err
}

// load reads one sign-in (or all when id is "").
func (d db) load(ctx context.Context, id string) ([]record, error) {
	q := `SELECT s.account_id, a.provider_id, a.name, s.sealed, s.expires_at, s.email, s.plan, s.account_ref, s.subject, s.org,
		s.state, s.last_error, s.refreshed_at, s.source, s.extra FROM signins s JOIN accounts a ON a.id = s.account_id`
	var args []any
	if id != "" {
		q += ` WHERE s.account_id = ?`
		args = append(args, id)
	}
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("signin: load: %w", err)
	}
	defer rows.Close()
	var out []record
	var errs []error
	for rows.Next() {
		var r record
		var sealed, extra string
		var exp, refreshed int64
		if err := rows.Scan(&r.AccountID, &r.ProviderID, &r.Name, &sealed, &exp, &r.Claims.Email, &r.Claims.PlanType,
			&r.Claims.AccountID, &r.Claims.Subject, &r.Claims.OrganizationID, &r.State, &r.LastError, &refreshed, &r.Source, &extra); err != nil {
			return nil, fmt.Errorf("signin: load: %w", err)
		}
		r.Expiry, r.RefreshedAt, r.Extra = fromMS(exp), fromMS(refreshed), parseExtra(extra)
		t, err := d.open(r.AccountID, sealed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.tokens = t
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// LogEntry is one refresh-log row.
type LogEntry struct {
	At        string `json:"at"` // RFC 3339
	Provider  string `json:"provider"`
	Account   string `json:"account"`
	AccountID string `json:"accountId"`
	Outcome   string `json:"outcome"`
	Detail    string `json:"detail"`
}

// readLog returns the newest rows first.
func (d db) readLog(ctx context.Context, limit int) ([]LogEntry, error) {
	rows, err := d.QueryContext(ctx, `SELECT ts, provider_id, account, account_id, outcome, detail FROM signin_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("signin: log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var ts int64
		if err := rows.Scan(&ts, &e.Provider, &e.Account, &e.AccountID, &e.Outcome, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(ts).UTC().Format(time.RFC3339)
		out = append(out, e)
	}
	return out, rows.Err()
}
