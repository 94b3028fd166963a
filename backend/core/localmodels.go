package core

import (
	"context"
	"time"

	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// localServer is a model server on the user's machine (the catalog's Ollama
// and LM Studio: keyless, local, with a models endpoint).
func localServer(p *route.Provider) bool {
	e := &p.Entry
	return e.Local && e.ListModels && e.Auth == provider.AuthNone && !p.Disabled
}

// LocalModelsRefresh is how often the models of local servers (Ollama, LM
// Studio) are listed again; they change when the user pulls or deletes one.
// Without a local provider the wake-up only checks the configuration.
var LocalModelsRefresh = 5 * time.Minute

// localModelsTimeout bounds one listing: a local server that is not running
// must not hold anything up.
const localModelsTimeout = 3 * time.Second

// discoverLocalModels lists what each local provider actually serves and,
// when that changed, rebuilds routing so /v1/models and bare model names
// match the user's machine. A server that is down keeps its last list (or
// the catalog's until one was seen).
func (in *Instance) discoverLocalModels(ctx context.Context) (changed bool) {
	for _, p := range in.Routes.Load().Providers() {
		if !localServer(p) {
			continue
		}
		entry := p.Entry
		lctx, cancel := context.WithTimeout(ctx, localModelsTimeout)
		// The entry decides how far the listing may reach (loopback for a
		// local server, further only with allow_local).
		ids, err := in.Client.ListModels(lctx, &entry, "", false)
		cancel()
		if err != nil {
			in.log.Debug("local models not listed", "provider", entry.ID, "err", err)
			continue
		}
		if in.Accounts.SetDiscovered(entry.ID, ids) {
			in.log.Info("local models found", "provider", entry.ID, "models", len(ids))
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

// runLocalModels discovers at start and then every LocalModelsRefresh,
// only while a local provider is configured.
func (in *Instance) runLocalModels(ctx context.Context) {
	for {
		hasLocal := false
		for _, p := range in.Routes.Load().Providers() {
			hasLocal = hasLocal || localServer(p)
		}
		if hasLocal {
			in.discoverLocalModels(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(LocalModelsRefresh):
		}
	}
}
