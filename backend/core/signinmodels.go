package core

import (
	"context"
	"slices"
	"sync"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// A subscription seat serves the models its plan and its organization's
// policy allow (Copilot: GET <seat API>/models with the Copilot token), not
// the catalog's examples. Each signed-in account of a sign-in provider with
// a models endpoint is listed with its own access, the list is kept for
// SeatModelsRefresh, and the provider routes the union of its accounts'
// lists (first account's order first), through the same path as local
// model discovery (accounts.SetDiscoveredModels, then a rebuild), so
// /v1/models and bare model names show the seats' real models. Routing
// picks models per provider: with two seats of different plans, a model
// only one has may reach the other, which refuses it and the router moves
// on. Lists are kept in memory: after a restart the first pass lists again.

// SeatModelsRefresh is how often a seat's models are listed again.
var SeatModelsRefresh = 24 * time.Hour

// seatModelsCheck is how often the loop looks for lists that are due; it
// asks nothing of an upstream unless one is.
var seatModelsCheck = time.Hour

// seatModelsTimeout bounds one listing (the token exchange included).
const seatModelsTimeout = 30 * time.Second

// seatModels holds each account's last list. The zero value is ready.
type seatModels struct {
	mu        sync.Mutex
	byAccount map[string]seatList
	wake      chan struct{}
}

type seatList struct {
	models []provider.Model
	at     time.Time
}

func (s *seatModels) wakeChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	return s.wake
}

// poke makes an account's list due (a new sign-in) and wakes the loop.
func (s *seatModels) poke(accountID string) {
	s.mu.Lock()
	delete(s.byAccount, accountID)
	s.mu.Unlock()
	select {
	case s.wakeChan() <- struct{}{}:
	default:
	}
}

// listsSeats reports whether p's accounts are seats to list.
func listsSeats(p *route.Provider) bool {
	return !p.Disabled && p.Entry.Auth == provider.AuthOAuth && p.Entry.ListModels
}

// discoverSeatModels lists what is due and, when a provider's union
// changed, rebuilds routing. A seat that cannot be listed (signed out,
// GitHub down) keeps its last list.
func (in *Instance) discoverSeatModels(ctx context.Context) (changed bool) {
	for _, p := range in.Routes.Load().Providers() {
		if !listsSeats(p) {
			continue
		}
		var union []provider.Model
		for _, a := range p.Accounts {
			if a.Cred == nil || !a.Usable() {
				continue
			}
			union = unionModels(union, in.seatList(ctx, p, a))
		}
		if len(union) > 0 && in.Accounts.SetDiscoveredModels(p.Entry.ID, union) {
			in.log.Info("seat models found", "provider", p.Entry.ID, "models", len(union))
			changed = true
		}
	}
	if changed {
		if err := in.Reload(ctx); err != nil {
			in.log.Warn("some providers could not be loaded", "err", err)
		}
	}
	return changed
}

// seatList is one account's list: the kept one while it is fresh, else
// listed again (the kept one when that fails).
func (in *Instance) seatList(ctx context.Context, p *route.Provider, a *route.Account) []provider.Model {
	s := &in.seats
	s.mu.Lock()
	kept, ok := s.byAccount[a.ID]
	s.mu.Unlock()
	if ok && time.Since(kept.at) < SeatModelsRefresh {
		return kept.models
	}
	lctx, cancel := context.WithTimeout(ctx, seatModelsTimeout)
	defer cancel()
	entry := p.Entry
	acc, err := a.Cred.Access(lctx)
	var models []provider.Model
	if err == nil {
		models, err = in.Client.DiscoverModels(lctx, &entry, acc)
	}
	if err != nil {
		in.log.Debug("seat models not listed", "provider", entry.ID, "account", a.Name, "err", err)
		return kept.models
	}
	s.mu.Lock()
	if s.byAccount == nil {
		s.byAccount = map[string]seatList{}
	}
	s.byAccount[a.ID] = seatList{models: models, at: time.Now()}
	s.mu.Unlock()
	return models
}

// unionModels appends the models of more not already in out.
func unionModels(out, more []provider.Model) []provider.Model {
	for _, m := range more {
		if !slices.ContainsFunc(out, func(o provider.Model) bool { return o.ID == m.ID }) {
			out = append(out, m)
		}
	}
	return out
}

// runSeatModels lists at start, when an account signs in, and whenever a
// list is older than SeatModelsRefresh (looked at hourly).
func (in *Instance) runSeatModels(ctx context.Context) {
	wake := in.seats.wakeChan()
	for {
		in.discoverSeatModels(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(seatModelsCheck):
		}
	}
}
