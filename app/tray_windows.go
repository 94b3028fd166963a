//go:build !bindings && !headless && windows

package app

import (
	"runtime"

	"github.com/getlantern/systray"
	"github.com/wailsapp/wails/v2/pkg/menu"
)

// startTray runs the Win32 tray loop on its own locked OS thread; Wails owns
// the main thread's message loop.
func startTray(d *desktop) bool {
	if trayDisabled() {
		return false
	}
	go func() {
		runtime.LockOSThread()
		systray.Run(func() { trayReady(d) }, func() {})
	}()
	return true
}

// appMenu: the Windows window has no menu bar; Quit lives in the tray.
func appMenu() *menu.Menu { return nil }
