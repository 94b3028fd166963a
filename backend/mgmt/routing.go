package mgmt

import (
	"context"
	"fmt"
	"slices"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/events"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// HealthView is the Health page: breakers and resting accounts.
type HealthView struct {
	Breakers  []route.BreakerView `json:"breakers"`
	Cooldowns []route.Cooldown    `json:"cooldowns"`
	// Unusable lists providers no request can reach (no usable account,
	// disabled) with a one-click fix.
	Unusable []UnusableProvider `json:"unusable"`
}

// Health reports the live routing state.
func (s *Services) Health() HealthView {
	v := HealthView{Breakers: []route.BreakerView{}, Cooldowns: []route.Cooldown{}, Unusable: s.unusableProviders()}
	if s.routing == nil || s.routing.Health == nil {
		return v
	}
	if b := s.routing.Health.Breakers(); b != nil {
		v.Breakers = b
	}
	if c := s.routing.Health.Cooldowns(); c != nil {
		v.Cooldowns = c
	}
	return v
}

// ResetHealth clears cooldowns and breakers (all, one provider, or one
// account) and returns how many were cleared.
func (s *Services) ResetHealth(provider, account string) int {
	if s.routing == nil || s.routing.Health == nil {
		return 0
	}
	n := s.routing.Health.Reset(provider, account)
	s.bus.Publish(events.StatusChanged, nil)
	return n
}

// ComboTargetView is a combo target with its live state.
type ComboTargetView struct {
	route.ComboTarget
	route.TargetState
}

// ComboView is a combo for the dashboard.
type ComboView struct {
	Name     string            `json:"name"`
	Strategy string            `json:"strategy"`
	Sticky   int               `json:"sticky"`
	BudgetMS int64             `json:"budgetMs"`
	Source   string            `json:"source"` // config | store
	Targets  []ComboTargetView `json:"targets"`
}

// Combos lists combos with each target's live state.
func (s *Services) Combos() []ComboView {
	out := []ComboView{}
	if s.routing == nil {
		return out
	}
	snap := s.routing.Routes.Load()
	fromFile := map[string]bool{}
	for _, c := range s.routing.ConfigCombos {
		fromFile[c] = true
	}
	for _, c := range snap.Combos() {
		v := ComboView{Name: c.Name, Strategy: string(c.Strategy), Sticky: c.Sticky, BudgetMS: c.Budget.Milliseconds(),
			Source: "store", Targets: []ComboTargetView{}}
		if fromFile[c.Name] {
			v.Source = "config"
		}
		for _, t := range c.Targets {
			v.Targets = append(v.Targets, ComboTargetView{ComboTarget: t, TargetState: snap.State(s.routing.Health, t.Model)})
		}
		out = append(out, v)
	}
	return out
}

// ComboInput creates or replaces a combo.
type ComboInput struct {
	Name     string              `json:"name"`
	Strategy string              `json:"strategy"`
	Sticky   int                 `json:"sticky"`
	BudgetMS int64               `json:"budgetMs"`
	Targets  []route.ComboTarget `json:"targets"`
}

// SaveCombo validates and stores a combo. Config-file combos are read-only.
func (s *Services) SaveCombo(ctx context.Context, in ComboInput) error {
	if s.routing == nil {
		return errNoRouting
	}
	for _, n := range s.routing.ConfigCombos {
		if n == in.Name {
			return fmt.Errorf("%w: combo %q is defined in the config file; edit it there", ErrInvalid, in.Name)
		}
	}
	c := route.Combo{Name: in.Name, Strategy: route.Strategy(in.Strategy), Sticky: in.Sticky,
		Budget: time.Duration(in.BudgetMS) * time.Millisecond, Targets: in.Targets}
	if err := route.ValidateCombo(c); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, ok := s.routing.Routes.Load().Provider(c.Name); ok {
		return fmt.Errorf("%w: %q is a provider prefix; choose another combo name", ErrInvalid, c.Name)
	}
	if err := route.SaveCombo(ctx, s.db.DB, c); err != nil {
		return err
	}
	return s.changed(ctx)
}

// SuggestedCombo is the fallback chain offered to a user: the best chat
// model of every usable provider, subscriptions first (already paid for),
// then API keys, cheap, free and local capacity; routing order within a
// tier. Nothing is saved: the dashboard fills the combo form with it.
func (s *Services) SuggestedCombo() ComboInput {
	in := ComboInput{Name: "coding", Strategy: string(route.Priority), Targets: []route.ComboTarget{}}
	if s.routing == nil {
		return in
	}
	snap := s.routing.Routes.Load()
	taken := map[string]bool{}
	for _, c := range snap.Combos() {
		taken[c.Name] = true
	}
	for i := 2; taken[in.Name]; i++ {
		in.Name = fmt.Sprintf("coding-%d", i)
	}
	provs := slices.Clone(snap.Providers())
	slices.SortStableFunc(provs, func(a, b *route.Provider) int { return tierRank(a.Entry.Tier) - tierRank(b.Entry.Tier) })
	for _, p := range provs {
		if !p.Usable() {
			continue
		}
		for _, m := range p.Entry.Models {
			if slices.Contains(p.Entry.Caps(m), provider.CapChat) {
				in.Targets = append(in.Targets, route.ComboTarget{Model: p.Entry.Prefix + "/" + m.ID})
				break
			}
		}
	}
	return in
}

// DeleteCombo removes a stored combo.
func (s *Services) DeleteCombo(ctx context.Context, name string) error {
	if s.routing == nil {
		return errNoRouting
	}
	ok, err := route.DeleteCombo(ctx, s.db.DB, name)
	if err != nil {
		return err
	}
	if !ok {
		return accounts.ErrNotFound
	}
	return s.changed(ctx)
}

// Events lists recent routing events, newest first.
func (s *Services) Events(ctx context.Context, limit int) ([]events.Row, error) {
	return events.Recent(ctx, s.db.DB, limit)
}
