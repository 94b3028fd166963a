//go:build !bindings && !headless

package app

import "os"

// trayDisabled lets users (and tests) run without a tray: SWITCHBOARD_TRAY=off.
func trayDisabled() bool { return os.Getenv("SWITCHBOARD_TRAY") == "off" }
