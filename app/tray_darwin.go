//go:build !bindings && !headless && darwin

package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/wailsapp/wails/v2/pkg/menu"
)

// startTray launches the tray helper shipped inside the .app bundle. Wails
// and systray both define the Objective-C class AppDelegate, so they cannot
// share a binary on macOS; the helper talks to the loopback management API
// with a per-launch session token (GET /api/tray for the menu model the
// controller computes, POST /api/tray/action for clicks) and exits when
// this process is gone.
func startTray(d *desktop) bool {
	if trayDisabled() {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	helper := filepath.Join(filepath.Dir(exe), "switchboard-tray")
	cmd := exec.Command(helper, "--api", "http://"+d.in.Server.Addr(), "--parent", strconv.Itoa(os.Getpid()))
	cmd.Env = append(os.Environ(), "SWITCHBOARD_TRAY_TOKEN="+d.in.Sessions.NewSession())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		d.log.Warn("tray helper not started; continuing without a tray", "err", err)
		return false
	}
	d.log.Info("tray helper started", "pid", cmd.Process.Pid)
	return true
}

// appMenu is the macOS application menu: About/Hide/Quit (⌘Q quits even
// though closing the window only hides it) and Edit, without which ⌘C/⌘V
// do nothing in the dashboard's text fields.
func appMenu() *menu.Menu {
	m := menu.NewMenu()
	m.Append(menu.AppMenu())
	m.Append(menu.EditMenu())
	m.Append(menu.WindowMenu())
	return m
}
