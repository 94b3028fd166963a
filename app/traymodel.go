package app

import (
	"fmt"

	"switchboard/backend/mgmt"
)

// MenuItem is one line of the tray menu.
type MenuItem struct {
	ID      string // stable id the tray uses to route clicks
	Title   string
	Enabled bool
}

// TrayMenu computes the tray menu from the status: a pure function so the
// menu is tested without a tray host.
func TrayMenu(st mgmt.Status) []MenuItem {
	return []MenuItem{
		{ID: "status", Title: fmt.Sprintf("Switchboard: running on %s", st.Endpoint), Enabled: false},
		{ID: "requests", Title: fmt.Sprintf("Requests served: %d", st.Requests), Enabled: false},
		{ID: "open", Title: "Open dashboard", Enabled: true},
		{ID: "quit", Title: "Quit Switchboard", Enabled: true},
	}
}

// TrayTooltip is the icon's hover text.
func TrayTooltip(st mgmt.Status) string {
	return fmt.Sprintf("Switchboard – %s – %d requests", st.Endpoint, st.Requests)
}
