package app

import (
	"context"

	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
)

// App is bound into the window (window.go.app.App.*). Each method is a
// one-liner over mgmt.Services, the same services /api serves over HTTP.
type App struct {
	ctx context.Context
	svc *mgmt.Services
}

// GetStatus reports the live status.
func (a *App) GetStatus() mgmt.Status { return a.svc.Status() }

// ListKeys lists local API keys.
func (a *App) ListKeys() []keys.Key { return a.svc.ListKeys() }

// CreateKey creates a key; its secret is returned once.
func (a *App) CreateKey(name string) (mgmt.CreatedKey, error) {
	return a.svc.CreateKey(a.ctx, name, keys.SourceDashboard)
}

// RevokeKey revokes a key by id or name.
func (a *App) RevokeKey(id string) error { return a.svc.RevokeKey(a.ctx, id) }

// GetSettings returns the runtime settings.
func (a *App) GetSettings() (mgmt.Settings, error) { return a.svc.GetSettings(a.ctx) }

// SaveSettings stores the runtime settings.
func (a *App) SaveSettings(s mgmt.Settings) (mgmt.Settings, error) {
	return a.svc.SaveSettings(a.ctx, s)
}
