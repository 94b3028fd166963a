package app

import (
	"os"
	"runtime"
)

// displayAvailable reports whether a GUI can start. On Linux GTK needs an X11
// or Wayland display; elsewhere a desktop session is assumed.
func displayAvailable() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
