//go:build !bindings && !headless && !darwin && !windows

package app

import (
	"os"

	"github.com/getlantern/systray"
	"github.com/wailsapp/wails/v2/pkg/menu"
)

// startTray registers the tray in-process without running its own loop:
// systray.Register initialises GTK and the app indicator, and Wails' GTK
// main loop services it. It must run on the main thread before wails.Run.
func startTray(d *desktop) bool {
	if trayDisabled() {
		return false
	}
	// Wails applies the same default before its own gtk_init, but systray
	// initialises GTK first, so set it here.
	if os.Getenv("GDK_BACKEND") == "" {
		_ = os.Setenv("GDK_BACKEND", "x11")
	}
	systray.Register(func() { trayReady(d) }, func() {})
	d.log.Info("tray registered (in-process)")
	return true
}

// appMenu: the Linux window has no menu bar; Quit lives in the tray.
func appMenu() *menu.Menu { return nil }
