// Package autostart registers the app to start when the user logs in, with
// emersion/go-autostart: an XDG autostart .desktop file on Linux
// ($XDG_CONFIG_HOME/autostart), a LaunchAgent plist on macOS
// (~/Library/LaunchAgents), a Startup-folder shortcut on Windows. The
// registered command starts the app hidden in the tray (--minimized).
//
// go-autostart resolves its folder once, in its package init: changing
// XDG_CONFIG_HOME or HOME later in the process has no effect (tests re-run
// their binary as a child with the variable set).
package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	goautostart "github.com/emersion/go-autostart"
)

// MinimizedFlag is appended to the registered command.
const MinimizedFlag = "--minimized"

// Item is the app's launch-at-login registration.
type Item struct {
	exec []string
}

// New describes a registration for the command exec (path first).
func New(exec ...string) *Item { return &Item{exec: append([]string(nil), exec...)} }

// app builds a fresh go-autostart App for each call: on Linux and Windows
// its Enable quotes the Exec slice in place, so reusing one App would
// write "\"path\"" the second time.
func (i *Item) app() *goautostart.App {
	return &goautostart.App{Name: entryName(), DisplayName: "Switchboard", Icon: "switchboard",
		Exec: append([]string(nil), i.exec...)}
}

// ForThisApp registers the running executable with --minimized. Inside an
// AppImage the mounted path changes on every run, so the AppImage file
// itself ($APPIMAGE) is registered instead.
func ForThisApp() (*Item, error) {
	exe := os.Getenv("APPIMAGE")
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("autostart: %w", err)
		}
		if p, err := filepath.EvalSymlinks(exe); err == nil {
			exe = p
		}
	}
	return New(exe, MinimizedFlag), nil
}

// entryName names the file: switchboard.desktop on Linux (it matches the
// installed .desktop file), a reverse-DNS label on macOS, Switchboard.lnk
// on Windows.
func entryName() string {
	switch runtime.GOOS {
	case "darwin":
		return "dev.switchboard.app"
	case "windows":
		return "Switchboard"
	}
	return "switchboard"
}

// Exec is the registered command.
func (i *Item) Exec() []string { return append([]string(nil), i.exec...) }

// Enabled reports whether the app is registered.
func (i *Item) Enabled() bool { return i.app().IsEnabled() }

// Set registers (on) or unregisters the app; both are idempotent.
// Registering again rewrites the entry, so a moved executable is picked up.
func (i *Item) Set(on bool) error {
	if on {
		if err := i.app().Enable(); err != nil {
			return fmt.Errorf("autostart: enable: %w", err)
		}
		return nil
	}
	a := i.app()
	if !a.IsEnabled() {
		return nil
	}
	if err := a.Disable(); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("autostart: disable: %w", err)
	}
	return nil
}
