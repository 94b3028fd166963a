//go:build !bindings && !darwin

package app

import (
	"time"

	"github.com/getlantern/systray"

	"switchboard/backend/events"
)

// trayReady builds the menu from TrayMenu and keeps it current from the
// event bus plus a slow tick for the counters.
func trayReady(d *desktop) {
	systray.SetIcon(trayIcon)
	systray.SetTitle("Switchboard")
	items := map[string]*systray.MenuItem{}
	for _, it := range TrayMenu(d.in.Services.Status()) {
		if it.ID == "quit" {
			systray.AddSeparator()
		}
		mi := systray.AddMenuItem(it.Title, "")
		if !it.Enabled {
			mi.Disable()
		}
		items[it.ID] = mi
	}
	refresh := func() {
		st := d.in.Services.Status()
		for _, it := range TrayMenu(st) {
			if mi := items[it.ID]; mi != nil {
				mi.SetTitle(it.Title)
			}
		}
		systray.SetTooltip(TrayTooltip(st))
	}
	refresh()
	d.log.Info("tray ready", "items", len(items))
	sub := d.in.Bus.Subscribe(8)
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		var changes <-chan events.Event
		if sub != nil {
			changes = sub.C
		}
		for {
			select {
			case <-items["open"].ClickedCh:
				d.show()
			case <-items["quit"].ClickedCh:
				d.log.Info("quit from tray")
				d.quit()
			case <-changes:
				refresh()
			case <-t.C:
				refresh()
			}
		}
	}()
}
