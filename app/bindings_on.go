//go:build bindings

package app

import (
	"io/fs"
	"log/slog"

	"switchboard/backend/config"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
)

// `wails build` compiles the root package with -tags bindings and runs it to
// generate frontend/wailsjs. Nothing with side effects may happen then: no
// port, no database, no tray, no GTK.
const generatingBindings = true

func runBindingsGenerator() int {
	if err := wails.Run(&options.App{Bind: []any{&App{}}}); err != nil {
		return 1
	}
	return 0
}

// runDesktop is never reached while generating bindings (Main returns first).
func runDesktop(config.Config, *slog.Logger, fs.FS, bool) int { return 0 }
