//go:build !bindings && !headless

package app

import (
	"log/slog"
	"strings"
	"testing"

	"switchboard/backend/config"
)

// The window's comings and goings turn the rests after gateway traffic on
// and off: hidden (the page's window-hidden) on, shown by the app (tray,
// second launch) off. The instance logs each change.
func TestDesktopRestsAfterTrafficOnlyWhileHidden(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	in := startInstance(t, cfg, log)
	d := &desktop{log: log, in: in}
	t.Cleanup(func() { d.mu.Lock(); d.rest.Stop(); d.mu.Unlock() })
	changes := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "rests after gateway traffic") {
				out = append(out, l[strings.LastIndex(l, "on="):])
			}
		}
		return out
	}
	d.hidden()
	d.hidden() // hidden again (minimized while closed): no change
	d.show()
	d.show()
	if got, want := strings.Join(changes(), " "), "on=true on=false"; got != want {
		t.Fatalf("changes %q, want %q", got, want)
	}
	d.mu.Lock()
	due := d.rest != nil
	d.mu.Unlock()
	if !due {
		t.Error("hiding the window did not schedule a rest")
	}
}
