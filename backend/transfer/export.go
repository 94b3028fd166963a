package transfer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/backend/secret"
	"switchboard/backend/signin"
	"switchboard/backend/store"
)

// Read assembles the whole stored setup, secrets opened, for an export.
// Request logs, usage, events, cooldowns and quota windows are history, not
// setup, and stay behind.
func Read(ctx context.Context, db *store.DB, sealer *secret.Sealer, app string) (Setup, error) {
	s := Setup{Format: Format, Version: Version, App: app, CreatedAt: time.Now().UTC().Format(time.RFC3339),
		Providers: []Provider{}, Accounts: []Account{}, Combos: []Combo{}, Aliases: []Alias{}, Keys: []Key{}, Settings: []Setting{}}
	v, err := db.Version(ctx)
	if err != nil {
		return s, fmt.Errorf("transfer: %w", err)
	}
	s.Schema = v
	readers := []func(context.Context, *store.DB, *secret.Sealer, *Setup) error{readProviders, readAccounts, readRest, readKeys, readTables}
	for _, r := range readers {
		if err := r(ctx, db, sealer, &s); err != nil {
			return s, err
		}
	}
	return s, nil
}

func readProviders(ctx context.Context, db *store.DB, _ *secret.Sealer, s *Setup) error {
	rows, err := db.QueryContext(ctx, `SELECT id, type, name, prefix, base_url, allow_local, models, disabled FROM providers ORDER BY created_at, id`)
	if err != nil {
		return fmt.Errorf("transfer: providers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Provider
		var models string
		if err := rows.Scan(&p.ID, &p.Type, &p.Name, &p.Prefix, &p.BaseURL, &p.AllowLocal, &models, &p.Disabled); err != nil {
			return fmt.Errorf("transfer: providers: %w", err)
		}
		_ = json.Unmarshal([]byte(models), &p.Models)
		s.Providers = append(s.Providers, p)
	}
	return rows.Err()
}

func readAccounts(ctx context.Context, db *store.DB, sealer *secret.Sealer, s *Setup) error {
	rows, err := db.QueryContext(ctx, `SELECT a.id, a.provider_id, a.name, a.kind, a.sealed_key, a.priority, a.max_concurrent, a.rpm, a.disabled,
		coalesce(si.sealed, ''), coalesce(si.expires_at, 0), coalesce(si.email, ''), coalesce(si.plan, ''), coalesce(si.account_ref, ''),
		coalesce(si.subject, ''), coalesce(si.org, ''), coalesce(si.state, ''), coalesce(si.source, ''), coalesce(si.extra, '{}')
		FROM accounts a LEFT JOIN signins si ON si.account_id = a.id ORDER BY a.provider_id, a.priority DESC, a.created_at`)
	if err != nil {
		return fmt.Errorf("transfer: accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Account
		var kind, sealedKey, sealedTok, extra string
		var si SignIn
		if err := rows.Scan(&a.ID, &a.Provider, &a.Name, &kind, &sealedKey, &a.Priority, &a.MaxConcurrent, &a.RPM, &a.Disabled,
			&sealedTok, &si.ExpiresAt, &si.Email, &si.Plan, &si.AccountRef, &si.Subject, &si.Org, &si.State, &si.Source, &extra); err != nil {
			return fmt.Errorf("transfer: accounts: %w", err)
		}
		if kind == "signin" {
			t, err := signin.OpenTokens(sealer, a.ID, sealedTok)
			if err != nil {
				return fmt.Errorf("transfer: the sign-in %s/%s cannot be opened: %w", a.Provider, a.Name, err)
			}
			si.Access, si.Refresh, si.IDToken, si.Extra = t.Access, t.Refresh, t.IDToken, json.RawMessage(extra)
			a.SignIn = &si
		} else if sealedKey != "" {
			k, err := sealer.Open(sealedKey, []byte(a.ID))
			if err != nil {
				return fmt.Errorf("transfer: the key of %s/%s cannot be opened: %w", a.Provider, a.Name, err)
			}
			a.APIKey = string(k)
		}
		s.Accounts = append(s.Accounts, a)
	}
	return rows.Err()
}

// readRest reads combos, aliases and settings.
func readRest(ctx context.Context, db *store.DB, _ *secret.Sealer, s *Setup) error {
	err := eachRow(ctx, db.DB, `SELECT name, data FROM combos ORDER BY name`, func(r *sql.Rows) error {
		var c Combo
		var data string
		err := r.Scan(&c.Name, &data)
		c.Data = json.RawMessage(data)
		s.Combos = append(s.Combos, c)
		return err
	})
	if err != nil {
		return err
	}
	err = eachRow(ctx, db.DB, `SELECT alias, target FROM aliases ORDER BY alias`, func(r *sql.Rows) error {
		var a Alias
		err := r.Scan(&a.Alias, &a.Target)
		s.Aliases = append(s.Aliases, a)
		return err
	})
	if err != nil {
		return err
	}
	return eachRow(ctx, db.DB, `SELECT key, value FROM settings ORDER BY key`, func(r *sql.Rows) error {
		var st Setting
		err := r.Scan(&st.Key, &st.Value)
		s.Settings = append(s.Settings, st)
		return err
	})
}

func eachRow(ctx context.Context, db *sql.DB, q string, f func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
	}
	return rows.Err()
}

// readKeys reads local keys as their hashes, with any further columns.
func readKeys(ctx context.Context, db *store.DB, _ *secret.Sealer, s *Setup) error {
	t, err := readTable(ctx, db.DB, "api_keys")
	if err != nil {
		return err
	}
	for _, row := range t.Rows {
		k := Key{Extra: map[string]any{}}
		for i, c := range t.Columns {
			v := row[i]
			switch c {
			case "id":
				k.ID = asString(v)
			case "name":
				k.Name = asString(v)
			case "hash":
				k.Hash = asString(v)
			case "last4":
				k.Last4 = asString(v)
			case "source":
				k.Source = asString(v)
			case "created_at":
				k.CreatedAt, _ = v.(int64)
			case "last_used_at":
			default:
				k.Extra[c] = v
			}
		}
		if len(k.Extra) == 0 {
			k.Extra = nil
		}
		s.Keys = append(s.Keys, k)
	}
	return nil
}

func readTables(ctx context.Context, db *store.DB, _ *secret.Sealer, s *Setup) error {
	names, err := policyTables(ctx, db)
	if err != nil {
		return err
	}
	for _, n := range names {
		t, err := readTable(ctx, db.DB, n)
		if err != nil {
			return err
		}
		s.Tables = append(s.Tables, t)
	}
	return nil
}

// readTable reads every row of a table generically.
func readTable(ctx context.Context, db *sql.DB, name string) (Table, error) {
	t := Table{Name: name, Rows: [][]any{}}
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+quoteIdent(name))
	if err != nil {
		return t, fmt.Errorf("transfer: %s: %w", name, err)
	}
	defer rows.Close()
	if t.Columns, err = rows.Columns(); err != nil {
		return t, err
	}
	for rows.Next() {
		vals := make([]any, len(t.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return t, fmt.Errorf("transfer: %s: %w", name, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}
