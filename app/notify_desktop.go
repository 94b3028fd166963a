//go:build !bindings && !headless

package app

import (
	"context"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/notify"
)

// startNotifications raises native notifications for routing events
// (breaker open, quota exhausted, combo unavailable, OAuth refresh failed,
// recovered) in desktop mode, under the user's preferences. A click opens
// the relevant dashboard page where the platform reports clicks (Linux,
// through D-Bus). Headless mode has no notifier: core logs every change.
func startNotifications(ctx context.Context, d *desktop) {
	prefs, err := d.in.Services.GetNotificationPrefs(ctx)
	if err != nil {
		d.log.Warn("notification preferences not read; using the defaults", "err", err)
		prefs = notify.DefaultPrefs()
	}
	n := notify.Default(traymenu.PNG(traymenu.IconIdle), d.showPage, d.log)
	svc := notify.New(notify.Options{Notifier: n, Prefs: prefs, Log: d.log,
		Format: notify.Formatter{Name: notify.SnapshotNames(d.in.Routes)}})
	if svc.Listen(ctx, d.in.Bus) {
		d.log.Info("notifications on", "enabled", prefs.Enabled, "interval_sec", prefs.IntervalSec)
	}
}
