package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// Build assembles the routing snapshot: config-file providers first (in file
// order), then stored ones; config aliases override stored aliases.
// Problems with single entries are returned joined alongside a snapshot of
// everything that did work, so one bad row never takes routing down.
func (s *Store) Build(ctx context.Context, cfg config.Config) (*route.Snapshot, error) {
	var provs []*route.Provider
	var errs []error
	seen := map[string]bool{}
	for _, pc := range cfg.Providers {
		e, err := provider.FromConfig(pc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e = s.withDiscovered(e, len(pc.Models) > 0)
		p := &route.Provider{Entry: e, Disabled: pc.Disabled, Source: "config", AccountStrategy: route.Strategy(pc.AccountStrategy)}
		for i, ac := range pc.Accounts {
			name := ac.Name
			if name == "" {
				name = fmt.Sprintf("account-%d", i+1)
			}
			p.Accounts = append(p.Accounts, &route.Account{ID: "cfg:" + e.ID + ":" + name, Name: name, ProviderID: e.ID,
				APIKey: ac.APIKey.Reveal(), Priority: ac.Priority, MaxConcurrent: ac.MaxConcurrent, RPM: ac.RPM,
				Disabled: ac.Disabled, Source: "config"})
		}
		provs = append(provs, p)
		seen[e.ID] = true
	}
	stored, err := s.Providers(ctx)
	if err != nil {
		return nil, err
	}
	accts, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	byProvider := map[string][]StoredAccount{}
	for _, a := range accts {
		byProvider[a.ProviderID] = append(byProvider[a.ProviderID], a)
	}
	for _, sp := range stored {
		p, err := s.storedProvider(ctx, sp, byProvider[sp.ID], seen)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p != nil {
			provs = append(provs, p)
		}
	}
	// Accounts added for a config provider are attached to it.
	for _, p := range provs {
		if p.Source == "config" {
			errs = append(errs, s.attach(ctx, p, byProvider[p.Entry.ID])...)
			addKeyless(p)
		}
	}
	aliases, err := s.Aliases(ctx)
	if err != nil {
		return nil, err
	}
	for k, v := range cfg.Aliases {
		aliases[k] = v
	}
	if s.signins != nil {
		live := map[string]bool{}
		for _, a := range accts {
			if a.Kind == KindSignIn {
				live[a.ID] = true
			}
		}
		s.signins.Retain(live)
	}
	combos, err := s.combos(ctx, cfg)
	if err != nil {
		errs = append(errs, err)
	}
	return route.NewSnapshot(provs, aliases, combos...), errors.Join(errs...)
}

// combos merges stored combos with the config file's (the file wins).
func (s *Store) combos(ctx context.Context, cfg config.Config) ([]route.Combo, error) {
	stored, err := route.LoadCombos(ctx, s.db.DB)
	if err != nil {
		return nil, err
	}
	byName := map[string]route.Combo{}
	for _, c := range stored {
		byName[c.Name] = c
	}
	var errs []error
	for _, cc := range cfg.Combos {
		c, err := ComboFromConfig(cc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byName[c.Name] = c
	}
	out := make([]route.Combo, 0, len(byName))
	for _, c := range byName {
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// ComboFromConfig converts a config-file combo.
func ComboFromConfig(cc config.ComboConfig) (route.Combo, error) {
	c := route.Combo{Name: cc.Name, Strategy: route.Strategy(cc.Strategy), Sticky: cc.Sticky}
	if cc.Budget != "" {
		d, err := time.ParseDuration(cc.Budget)
		if err != nil {
			return c, fmt.Errorf("combo %q: budget %q is not a duration (e.g. 90s)", cc.Name, cc.Budget)
		}
		c.Budget = d
	}
	for _, t := range cc.Targets {
		c.Targets = append(c.Targets, route.ComboTarget{Model: t.Model, Account: t.Account, Weight: t.Weight, OnlyIfExhausted: t.OnlyOnExhausted})
	}
	return c, route.ValidateCombo(c)
}

func (s *Store) storedProvider(ctx context.Context, sp StoredProvider, accts []StoredAccount, seen map[string]bool) (*route.Provider, error) {
	if seen[sp.ID] {
		return nil, nil // the config file declares it; stored accounts attach to that one
	}
	e, err := provider.FromConfig(config.ProviderConfig{ID: sp.ID, Type: sp.Type, Name: sp.Name, Prefix: sp.Prefix,
		BaseURL: sp.BaseURL, AllowLocal: sp.AllowLocal, Models: sp.Models})
	if err != nil {
		return nil, err
	}
	e = s.withDiscovered(e, len(sp.Models) > 0)
	p := &route.Provider{Entry: e, Disabled: sp.Disabled, Source: "store"}
	return p, errors.Join(s.attach(ctx, p, accts)...)
}

// KeylessName names the account a keyless provider gets automatically.
const KeylessName = "keyless"

// addKeyless gives a config-file provider that can work without a key and
// declares no account a keyless one, so it routes instead of failing with
// "no usable account" (the dashboard stores a real one, see
// mgmt.SaveProvider).
func addKeyless(p *route.Provider) {
	if len(p.Accounts) > 0 || p.Entry.Auth == provider.AuthNone || !p.Entry.KeyOptional() {
		return
	}
	p.Accounts = append(p.Accounts, &route.Account{ID: "cfg:" + p.Entry.ID + ":" + KeylessName, Name: KeylessName,
		ProviderID: p.Entry.ID, Source: "config"})
}

func (s *Store) attach(ctx context.Context, p *route.Provider, accts []StoredAccount) []error {
	var errs []error
	for _, a := range accts {
		ra := &route.Account{ID: a.ID, Name: a.Name, ProviderID: a.ProviderID,
			Priority: a.Priority, MaxConcurrent: a.MaxConcurrent, RPM: a.RPM, Disabled: a.Disabled, Source: "store"}
		var err error
		switch {
		case a.Kind == KindSignIn && p.Entry.Auth != provider.AuthOAuth:
			err = fmt.Errorf("accounts: %s/%s is a sign-in but provider %s takes API keys", a.ProviderID, a.Name, p.Entry.ID)
		case a.Kind == KindSignIn && s.signins == nil:
			err = fmt.Errorf("accounts: %s/%s is a sign-in and sign-ins are not available here", a.ProviderID, a.Name)
		case a.Kind == KindSignIn:
			ra.Cred, err = s.signins.Credential(ctx, a.ID)
		default:
			ra.APIKey, err = s.Reveal(a)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Accounts = append(p.Accounts, ra)
	}
	return errs
}
