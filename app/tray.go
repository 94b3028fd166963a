//go:build !bindings

package app

import (
	_ "embed"
	"os"
)

//go:embed assets/tray.png
var trayIcon []byte

// trayDisabled lets users (and tests) run without a tray: SWITCHBOARD_TRAY=off.
func trayDisabled() bool { return os.Getenv("SWITCHBOARD_TRAY") == "off" }
