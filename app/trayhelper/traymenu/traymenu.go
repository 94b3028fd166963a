// Package traymenu is the tray menu's data: the model the desktop app
// computes (app.TrayMenu, a pure function) and every tray shows, the
// in-process one on Linux and Windows and the macOS helper that fetches it
// from GET /api/tray. It also holds the status icons. It imports nothing
// from the GUI toolkits, so both binaries can share it.
package traymenu

import (
	"bytes"
	"embed"
	"encoding/binary"
)

// Icon is the tray icon's overall state.
type Icon string

// Icon states: no provider configured, all healthy, degraded (cooldowns,
// partial quota), something down (a breaker open, a provider unusable).
const (
	IconIdle     Icon = "idle"
	IconOK       Icon = "ok"
	IconDegraded Icon = "degraded"
	IconDown     Icon = "down"
)

// Item is one menu line. The list of items (ids, order, parents,
// separators, checkability) is the same in every Model: system tray menus
// cannot be rebuilt freely, so a tray creates the items once and then only
// changes titles, enabled/checked states and visibility.
type Item struct {
	ID        string `json:"id"`
	Parent    string `json:"parent,omitempty"` // id of the item whose submenu holds this one
	Separator bool   `json:"separator,omitempty"`
	Title     string `json:"title,omitempty"`
	Tooltip   string `json:"tooltip,omitempty"`
	// Action is what a click does now ("open", "pause:openai", …); empty
	// for informational lines. Trays post it back as it was when clicked.
	Action    string `json:"action,omitempty"`
	Enabled   bool   `json:"enabled"`
	Visible   bool   `json:"visible"`
	Checkable bool   `json:"checkable,omitempty"`
	Checked   bool   `json:"checked,omitempty"`
}

// Model is the whole tray: icon, tooltip and menu.
type Model struct {
	Icon    Icon   `json:"icon"`
	Tooltip string `json:"tooltip"`
	Items   []Item `json:"items"`
}

// Item returns the item with id.
func (m Model) Item(id string) (Item, bool) {
	for _, it := range m.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// SameLayout reports whether two models have the same items in the same
// places (what a tray built from a may show b by updating).
func SameLayout(a, b Model) bool {
	if len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Items {
		x, y := a.Items[i], b.Items[i]
		if x.ID != y.ID || x.Parent != y.Parent || x.Separator != y.Separator || x.Checkable != y.Checkable {
			return false
		}
	}
	return true
}

//go:embed icons/*.png
var icons embed.FS

// PNG returns the icon for a state (64×64 PNG, generated from
// build/appicon.png by scripts/package.sh tray-icons).
func PNG(i Icon) []byte {
	b, err := icons.ReadFile("icons/" + string(i) + ".png")
	if err != nil {
		b, _ = icons.ReadFile("icons/idle.png")
	}
	return b
}

// ICO wraps the state's PNG in a one-image .ico (PNG-compressed icons are
// valid ICO entries since Windows Vista): the Windows tray loads icons from
// .ico data only.
func ICO(i Icon) []byte {
	png := PNG(i)
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(uint16(0)) // reserved
	w(uint16(1)) // type: icon
	w(uint16(1)) // one image
	w(uint8(64)) // width
	w(uint8(64)) // height
	w(uint8(0))  // no palette
	w(uint8(0))  // reserved
	w(uint16(1)) // colour planes
	w(uint16(32))
	w(uint32(len(png)))
	w(uint32(6 + 16)) // data offset
	b.Write(png)
	return b.Bytes()
}
