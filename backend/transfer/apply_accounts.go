package transfer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"switchboard/backend/config"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/signin"
)

func (w *writer) applyProviders(ctx context.Context, s Setup) error {
	for _, p := range s.Providers {
		if _, err := provider.FromConfig(config.ProviderConfig{ID: p.ID, Type: p.Type, Name: p.Name, Prefix: p.Prefix,
			BaseURL: p.BaseURL, AllowLocal: p.AllowLocal, Models: p.Models}); err != nil {
			w.r.add(Item{Kind: KindProvider, Name: p.ID, Action: ActSkip, Why: userError(err)})
			continue
		}
		var cur Provider
		var models string
		err := w.tx.QueryRowContext(ctx, `SELECT type, name, prefix, base_url, allow_local, models, disabled FROM providers WHERE id = ?`, p.ID).
			Scan(&cur.Type, &cur.Name, &cur.Prefix, &cur.BaseURL, &cur.AllowLocal, &models, &cur.Disabled)
		_ = json.Unmarshal([]byte(models), &cur.Models)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := w.writeProvider(ctx, p, false); err != nil {
				return err
			}
			w.r.add(Item{Kind: KindProvider, Name: p.ID, Action: ActCreate, Changes: p.Changes})
		case err != nil:
			return fmt.Errorf("transfer: provider %s: %w", p.ID, err)
		default:
			diff := providerDiff(cur, p)
			if len(diff) == 0 {
				w.r.add(Item{Kind: KindProvider, Name: p.ID, Action: ActUnchanged})
				break
			}
			if err := w.writeProvider(ctx, p, true); err != nil {
				return err
			}
			w.r.add(Item{Kind: KindProvider, Name: p.ID, Action: ActUpdate, Changes: diff})
		}
		w.providers[p.ID] = true
	}
	return nil
}

func (w *writer) writeProvider(ctx context.Context, p Provider, update bool) error {
	if p.Models == nil {
		p.Models = []string{}
	}
	models, _ := json.Marshal(p.Models)
	q := `INSERT INTO providers(id, type, name, prefix, base_url, allow_local, models, disabled, created_at) VALUES (?,?,?,?,?,?,?,?,?)`
	args := []any{p.ID, p.Type, p.Name, p.Prefix, p.BaseURL, p.AllowLocal, string(models), p.Disabled, w.now.Unix()}
	if update {
		q = `UPDATE providers SET type=?, name=?, prefix=?, base_url=?, allow_local=?, models=?, disabled=? WHERE id=?`
		args = []any{p.Type, p.Name, p.Prefix, p.BaseURL, p.AllowLocal, string(models), p.Disabled, p.ID}
	}
	if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("transfer: provider %s: %w", p.ID, err)
	}
	return nil
}

// providerDiff names the fields an import would change. A catalog provider
// given by id only changes nothing.
func providerDiff(cur, p Provider) []string {
	if p.Type == "" && p.Name == "" && p.Prefix == "" && p.BaseURL == "" && len(p.Models) == 0 && !p.AllowLocal && !p.Disabled {
		return nil
	}
	var d []string
	add := func(name string, changed bool) {
		if changed {
			d = append(d, name)
		}
	}
	add("type", cur.Type != p.Type)
	add("name", cur.Name != p.Name)
	add("prefix", cur.Prefix != p.Prefix)
	add("base URL", cur.BaseURL != p.BaseURL)
	add("allow local", cur.AllowLocal != p.AllowLocal)
	add("models", !slices.Equal(nonNil(cur.Models), nonNil(p.Models)))
	add("disabled", cur.Disabled != p.Disabled)
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ensureProvider makes sure a providers row exists for an account: the
// import's, the store's, or a catalog provider's (added by id).
func (w *writer) ensureProvider(ctx context.Context, id string) (bool, error) {
	if w.providers[id] {
		return true, nil
	}
	var n int
	if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM providers WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("transfer: provider %s: %w", id, err)
	}
	if n == 0 {
		if _, ok := provider.Lookup(id); !ok {
			return false, nil
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO providers(id, created_at) VALUES (?, ?)`, id, w.now.Unix()); err != nil {
			return false, fmt.Errorf("transfer: provider %s: %w", id, err)
		}
	}
	w.providers[id] = true
	return true, nil
}

func (w *writer) applyAccounts(ctx context.Context, s Setup) error {
	for _, a := range s.Accounts {
		kind := KindAccount
		if a.SignIn != nil {
			kind = KindSignIn
		}
		label := a.Provider + "/" + a.Name
		a.Name = strings.TrimSpace(a.Name)
		e, inCatalog := provider.Lookup(a.Provider)
		oauth := inCatalog && e.Auth == provider.AuthOAuth
		switch {
		case a.Name == "":
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: "it has no name"})
			continue
		case a.SignIn != nil && !oauth:
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: "Switchboard has no subscription sign-in called " + a.Provider})
			continue
		case a.SignIn == nil && oauth:
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: a.Provider + " is a subscription sign-in here, not an API key"})
			continue
		case a.SignIn != nil && a.SignIn.Access == "" && a.SignIn.Refresh == "":
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: "no token is stored for it"})
			continue
		case a.SignIn == nil && a.APIKey == "" && !keylessOK(s, a.Provider):
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: "no API key is stored for it"})
			continue
		}
		ok, err := w.ensureProvider(ctx, a.Provider)
		if err != nil {
			return err
		}
		if !ok {
			w.r.add(Item{Kind: kind, Name: label, Action: ActSkip, Why: "provider " + a.Provider + " is neither in the catalog nor imported"})
			continue
		}
		it, err := w.account(ctx, a)
		if err != nil {
			return err
		}
		it.Kind, it.Name = kind, label
		it.Changes = append(a.Changes, it.Changes...)
		w.r.add(it)
	}
	return nil
}

// keylessOK reports whether an account without a key is imported as a
// keyless one: its provider can run without a key (a local catalog entry,
// or a custom provider of the setup; see provider.Entry.KeyOptional).
func keylessOK(s Setup, providerID string) bool {
	if e, ok := provider.Lookup(providerID); ok {
		if e.KeyOptional() {
			return true
		}
		for _, p := range s.Providers {
			if p.ID == providerID && p.AllowLocal {
				return e.Auth != provider.AuthOAuth
			}
		}
		return false
	}
	for _, p := range s.Providers {
		if p.ID == providerID {
			return true
		}
	}
	return false
}

// account writes one account; the item's kind and name are set by the caller.
func (w *writer) account(ctx context.Context, a Account) (Item, error) {
	var id, kind, sealed string
	var cur Account
	err := w.tx.QueryRowContext(ctx, `SELECT id, kind, sealed_key, priority, max_concurrent, rpm, disabled FROM accounts WHERE provider_id = ? AND name = ?`,
		a.Provider, a.Name).Scan(&id, &kind, &sealed, &cur.Priority, &cur.MaxConcurrent, &cur.RPM, &cur.Disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Item{Action: ActCreate}, w.insertAccount(ctx, a)
	case err != nil:
		return Item{}, fmt.Errorf("transfer: account %s/%s: %w", a.Provider, a.Name, err)
	case a.SignIn != nil && kind != "signin":
		return Item{Action: ActSkip, Why: "an API-key account of that name exists here"}, nil
	case a.SignIn == nil && kind == "signin":
		return Item{Action: ActSkip, Why: "a sign-in of that name exists here"}, nil
	case a.SignIn != nil:
		// Never overwrite a sign-in's tokens: Switchboard renews its own,
		// and the vendor may have retired the other copy's refresh token.
		return Item{Action: ActUnchanged, Why: "already signed in here; its tokens are kept"}, nil
	}
	var diff []string
	if key, err := w.sealer.Open(sealed, []byte(id)); err != nil || string(key) != a.APIKey {
		diff = append(diff, "API key")
	}
	if cur.Priority != a.Priority {
		diff = append(diff, "priority")
	}
	if cur.MaxConcurrent != a.MaxConcurrent || cur.RPM != a.RPM {
		diff = append(diff, "limits")
	}
	if cur.Disabled != a.Disabled {
		diff = append(diff, "disabled")
	}
	if len(diff) == 0 {
		return Item{Action: ActUnchanged}, nil
	}
	_, err = w.tx.ExecContext(ctx, `UPDATE accounts SET sealed_key=?, last4=?, priority=?, max_concurrent=?, rpm=?, disabled=? WHERE id=?`,
		w.sealer.Seal([]byte(a.APIKey), []byte(id)), last4(a.APIKey), a.Priority, a.MaxConcurrent, a.RPM, a.Disabled, id)
	if err != nil {
		return Item{}, fmt.Errorf("transfer: account %s/%s: %w", a.Provider, a.Name, err)
	}
	return Item{Action: ActUpdate, Changes: diff}, nil
}

func last4(k string) string {
	if len(k) <= 4 {
		return ""
	}
	return k[len(k)-4:]
}

func (w *writer) insertAccount(ctx context.Context, a Account) error {
	id := a.ID
	if !strings.HasPrefix(id, "a_") || !w.idFree(ctx, "accounts", id) {
		id = newID("a_")
	}
	kind, sealed, l4 := "key", "", ""
	if a.SignIn == nil {
		sealed, l4 = w.sealer.Seal([]byte(a.APIKey), []byte(id)), last4(a.APIKey)
	} else {
		kind = "signin"
	}
	if _, err := w.tx.ExecContext(ctx, `INSERT INTO accounts(id, provider_id, name, sealed_key, last4, priority, max_concurrent, rpm, disabled, created_at, kind)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, id, a.Provider, a.Name, sealed, l4, a.Priority, a.MaxConcurrent, a.RPM, a.Disabled, w.now.Unix(), kind); err != nil {
		return fmt.Errorf("transfer: account %s/%s: %w", a.Provider, a.Name, err)
	}
	if a.SignIn == nil {
		return nil
	}
	si := a.SignIn
	tok, err := signin.SealTokens(w.sealer, id, signin.Tokens{Access: si.Access, Refresh: si.Refresh, IDToken: si.IDToken})
	if err != nil {
		return err
	}
	state := si.State
	if state == "" {
		state = "ok"
	}
	extra := string(si.Extra)
	if extra == "" {
		extra = "{}"
	}
	_, err = w.tx.ExecContext(ctx, `INSERT INTO signins(account_id, sealed, expires_at, email, plan, account_ref, subject, org, state, last_error, refreshed_at, source, extra)
		VALUES (?,?,?,?,?,?,?,?,?,'',?,?,?)`, id, tok, si.ExpiresAt, si.Email, si.Plan, si.AccountRef, si.Subject, si.Org, state, w.now.UnixMilli(), si.Source, extra)
	if err != nil {
		return fmt.Errorf("transfer: sign-in %s/%s: %w", a.Provider, a.Name, err)
	}
	_, err = w.tx.ExecContext(ctx, `INSERT INTO signin_log(ts, account_id, provider_id, account, outcome, detail) VALUES (?,?,?,?,?,?)`,
		w.now.UnixMilli(), id, a.Provider, a.Name, signin.OutcomeImported, "from "+si.Source)
	if err != nil {
		return fmt.Errorf("transfer: sign-in %s/%s: %w", a.Provider, a.Name, err)
	}
	return nil
}

func (w *writer) applyCombos(ctx context.Context, s Setup) error {
	for _, c := range s.Combos {
		var rc route.Combo
		if err := json.Unmarshal(c.Data, &rc); err != nil {
			w.r.add(Item{Kind: KindCombo, Name: c.Name, Action: ActSkip, Why: "its definition is not readable"})
			continue
		}
		rc.Name = c.Name
		if err := route.ValidateCombo(rc); err != nil {
			w.r.add(Item{Kind: KindCombo, Name: c.Name, Action: ActSkip, Why: err.Error()})
			continue
		}
		data, _ := json.Marshal(rc)
		var cur string
		err := w.tx.QueryRowContext(ctx, `SELECT data FROM combos WHERE name = ?`, c.Name).Scan(&cur)
		act := ActCreate
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("transfer: combo %s: %w", c.Name, err)
		case cur == string(data):
			w.r.add(Item{Kind: KindCombo, Name: c.Name, Action: ActUnchanged, Changes: c.Changes})
			continue
		default:
			act = ActUpdate
		}
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO combos(name, data, updated_at) VALUES (?,?,?)
			ON CONFLICT(name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, c.Name, string(data), w.now.Unix()); err != nil {
			return fmt.Errorf("transfer: combo %s: %w", c.Name, err)
		}
		w.r.add(Item{Kind: KindCombo, Name: c.Name, Action: act, Changes: c.Changes})
	}
	return nil
}

// userError is an error's message without package prefixes.
func userError(err error) string {
	msg := err.Error()
	for _, p := range []string{"provider: ", "config: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
