// Command switchboard is the desktop app and headless server. Wails builds
// the package that holds wails.json, so this tiny file lives at the root;
// everything else is in app/ and backend/.
package main

import (
	"embed"
	"io/fs"
	"os"

	"switchboard/app"
)

// The built Svelte dashboard (`npm run build` writes frontend/dist). The
// window and the HTTP server serve the same files.
//
//go:embed all:frontend/dist
var assets embed.FS

func main() {
	ui, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		panic(err)
	}
	os.Exit(app.Main(ui, os.Args[1:], os.Stdout, os.Stderr))
}
