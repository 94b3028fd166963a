//go:build !bindings && !headless && !darwin

package app

import (
	"switchboard/app/trayhelper/trayrender"
)

// trayReady runs once the system tray is up (Linux: inside Wails' GTK
// loop; Windows: on the tray's own thread). It attaches the systray
// renderer to the tray controller, which pushes every model change, and
// routes clicks back to the controller's actions.
func trayReady(d *desktop) {
	r := trayrender.New()
	d.tray.setRenderer(r.Apply)
	go func() {
		for id := range r.Clicks() {
			go d.tray.click(id)
		}
	}()
	d.log.Info("tray ready", "items", len(d.tray.Model().Items), "icon", d.tray.Model().Icon)
}
