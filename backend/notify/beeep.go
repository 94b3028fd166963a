package notify

import "github.com/gen2brain/beeep"

// Beeep shows notifications with gen2brain/beeep: D-Bus or notify-send on
// Linux, terminal-notifier or AppleScript on macOS, toast on Windows. It
// has no click callback (on macOS an AppleScript notification opens Script
// Editor when clicked; on Windows the toast just closes).
type Beeep struct {
	icon any // PNG bytes, or "" for none
}

// NewBeeep returns a beeep notifier showing icon (PNG bytes; nil for none).
func NewBeeep(icon []byte) *Beeep {
	beeep.AppName = AppName
	b := &Beeep{icon: ""}
	if len(icon) > 0 {
		b.icon = icon
	}
	return b
}

// Notify shows n.
func (b *Beeep) Notify(n Notification) error { return beeep.Notify(n.Title, n.Body, b.icon) }
