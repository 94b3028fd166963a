package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The freedesktop notification service.
const (
	fdoName      = "org.freedesktop.Notifications"
	fdoPath      = dbus.ObjectPath("/org/freedesktop/Notifications")
	fdoInterface = "org.freedesktop.Notifications"
	// DesktopEntry is the .desktop file name (without extension) the
	// notifications point at, so desktops show the app's icon and name.
	DesktopEntry = "switchboard"
)

// maxTracked bounds the notification ids remembered for click routing.
const maxTracked = 256

// DBus talks to org.freedesktop.Notifications directly (godbus) so that a
// click can be observed: each notification carries a "default" action and
// the ActionInvoked signal calls onClick with the notification's page.
// beeep cannot do that (it fires and forgets).
type DBus struct {
	conn     *dbus.Conn
	onClick  func(page string)
	fallback Notifier
	log      *slog.Logger

	mu    sync.Mutex
	pages map[uint32]string
	order []uint32
}

// NewDBus connects to the session bus. onClick may be nil (no action is
// offered then). fallback, when not nil, is tried when a D-Bus call fails.
func NewDBus(onClick func(page string), fallback Notifier, log *slog.Logger) (*DBus, error) {
	if log == nil {
		log = slog.Default()
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("notify: session bus: %w", err)
	}
	d := &DBus{conn: conn, onClick: onClick, fallback: fallback, log: log, pages: map[uint32]string{}}
	if onClick != nil {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface(fdoInterface), dbus.WithMatchObjectPath(fdoPath)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("notify: watch notification signals: %w", err)
		}
		ch := make(chan *dbus.Signal, 16)
		conn.Signal(ch)
		go d.signals(ch)
	}
	return d, nil
}

// Notify shows n; its id is remembered so a click can open n.Page.
func (d *DBus) Notify(n Notification) error {
	actions := []string{}
	if d.onClick != nil {
		actions = []string{"default", "Open Switchboard"}
	}
	hints := map[string]dbus.Variant{
		"desktop-entry": dbus.MakeVariant(DesktopEntry),
		"urgency":       dbus.MakeVariant(byte(1)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var id uint32
	err := d.conn.Object(fdoName, fdoPath).CallWithContext(ctx, fdoInterface+".Notify", 0,
		AppName, uint32(0), DesktopEntry, n.Title, n.Body, actions, hints, int32(-1)).Store(&id)
	if err != nil {
		if d.fallback != nil {
			if ferr := d.fallback.Notify(n); ferr == nil {
				return nil
			}
		}
		return fmt.Errorf("notify: %w", err)
	}
	d.mu.Lock()
	d.pages[id] = n.Page
	d.order = append(d.order, id)
	if len(d.order) > maxTracked {
		delete(d.pages, d.order[0])
		d.order = d.order[1:]
	}
	d.mu.Unlock()
	return nil
}

func (d *DBus) signals(ch <-chan *dbus.Signal) {
	for s := range ch {
		if len(s.Body) < 1 {
			continue
		}
		id, _ := s.Body[0].(uint32)
		switch s.Name {
		case fdoInterface + ".ActionInvoked":
			d.mu.Lock()
			page, ok := d.pages[id]
			d.mu.Unlock()
			if ok && d.onClick != nil {
				d.log.Info("notification clicked", "page", page)
				d.onClick(page)
			}
		case fdoInterface + ".NotificationClosed":
			d.mu.Lock()
			delete(d.pages, id)
			d.mu.Unlock()
		}
	}
}

// Close disconnects from the bus.
func (d *DBus) Close() error { return d.conn.Close() }

// Default returns the platform's notifier: on Linux the D-Bus notifier
// with a click action, falling back to beeep (notify-send, kdialog) when
// the session bus is missing or a call fails.
func Default(icon []byte, onClick func(page string), log *slog.Logger) Notifier {
	b := NewBeeep(icon)
	d, err := NewDBus(onClick, b, log)
	if err != nil {
		if log != nil {
			log.Warn("notifications through beeep (no click action)", "err", err)
		}
		return b
	}
	return d
}
