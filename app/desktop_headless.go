//go:build headless && !bindings

package app

import (
	"io/fs"
	"log/slog"

	"switchboard/backend/config"
)

// A `-tags headless` build leaves out the window, the tray and their GUI
// libraries (GTK, WebKit): a smaller binary with a far smaller memory
// footprint for servers and CI. `switchboard` then serves headless too.
const generatingBindings = false

func runBindingsGenerator() int { return 0 }

func runDesktop(cfg config.Config, log *slog.Logger, ui fs.FS, _ bool) int {
	log.Warn("this build has no window or tray (built with -tags headless): serving headless; open the login link below")
	return serve(cfg, log, ui)
}
