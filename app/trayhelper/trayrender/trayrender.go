// Package trayrender shows a traymenu.Model with getlantern/systray. The
// in-process tray (Linux, Windows) and the macOS helper both use it, so
// they show the same menu.
//
// systray cannot remove menu items, so the first Model builds every item
// (the model's layout is fixed: provider and CLI-tool slots are
// pre-allocated and hidden when unused) and later Models only update
// titles, tooltips, enabled/checked states and visibility, item by item,
// when they changed.
//
// Two systray quirks are handled here: on Linux and Windows every item
// update (SetTitle, Enable, Check…) re-shows a hidden item, so hidden items
// are hidden again after any update; and GTK flips a checkbox itself when it
// is clicked, so a clicked checkbox is re-sent with the next Model.
package trayrender

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/getlantern/systray"

	"switchboard/app/trayhelper/traymenu"
)

// Renderer shows models in the system tray.
type Renderer struct {
	mu      sync.Mutex
	built   bool
	layout  traymenu.Model
	items   map[string]*systray.MenuItem
	applied map[string]traymenu.Item
	dirty   map[string]bool
	icon    traymenu.Icon
	tooltip string
	clicks  chan string
}

// New returns a renderer; call Apply from the tray's onReady on.
func New() *Renderer {
	return &Renderer{items: map[string]*systray.MenuItem{}, applied: map[string]traymenu.Item{},
		dirty: map[string]bool{}, clicks: make(chan string, 16)}
}

// Clicks delivers the id of each clicked item.
func (r *Renderer) Clicks() <-chan string { return r.clicks }

// Apply shows m: the first call builds the menu, later calls update it.
// A model whose layout differs from the first one is refused.
func (r *Renderer) Apply(m traymenu.Model) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.built {
		r.build(m)
	} else if !traymenu.SameLayout(r.layout, m) {
		return fmt.Errorf("trayrender: the menu layout changed (%d items, was %d)", len(m.Items), len(r.layout.Items))
	}
	if m.Icon != r.icon {
		setIcon(m.Icon)
		r.icon = m.Icon
	}
	if m.Tooltip != r.tooltip {
		systray.SetTooltip(m.Tooltip)
		r.tooltip = m.Tooltip
	}
	for _, it := range m.Items {
		if !it.Separator {
			r.update(it)
		}
	}
	return nil
}

func (r *Renderer) build(m traymenu.Model) {
	for _, it := range m.Items {
		if it.Separator {
			systray.AddSeparator()
			continue
		}
		var mi *systray.MenuItem
		parent := r.items[it.Parent]
		switch {
		case parent != nil && it.Checkable:
			mi = parent.AddSubMenuItemCheckbox(it.Title, it.Tooltip, it.Checked)
		case parent != nil:
			mi = parent.AddSubMenuItem(it.Title, it.Tooltip)
		case it.Checkable:
			mi = systray.AddMenuItemCheckbox(it.Title, it.Tooltip, it.Checked)
		default:
			mi = systray.AddMenuItem(it.Title, it.Tooltip)
		}
		r.items[it.ID] = mi
		// A fresh item is enabled and shown; record that, so update()
		// sends only what differs.
		r.applied[it.ID] = traymenu.Item{ID: it.ID, Title: it.Title, Tooltip: it.Tooltip, Enabled: true, Visible: true,
			Checkable: it.Checkable, Checked: it.Checked}
		go r.forward(it.ID, it.Checkable, mi)
	}
	r.layout = m
	r.built = true
}

func (r *Renderer) update(it traymenu.Item) {
	mi, old := r.items[it.ID], r.applied[it.ID]
	if mi == nil {
		return
	}
	touched := false
	if it.Title != old.Title {
		mi.SetTitle(it.Title)
		touched = true
	}
	if it.Tooltip != old.Tooltip {
		mi.SetTooltip(it.Tooltip)
		touched = true
	}
	if it.Enabled != old.Enabled {
		if it.Enabled {
			mi.Enable()
		} else {
			mi.Disable()
		}
		touched = true
	}
	if it.Checkable && (it.Checked != old.Checked || r.dirty[it.ID]) {
		if it.Checked {
			mi.Check()
		} else {
			mi.Uncheck()
		}
		delete(r.dirty, it.ID)
		touched = true
	}
	switch {
	case !it.Visible && (old.Visible || touched):
		mi.Hide()
	case it.Visible && !old.Visible:
		mi.Show()
	}
	r.applied[it.ID] = it
}

// forward turns an item's click channel into ids on Clicks.
func (r *Renderer) forward(id string, checkable bool, mi *systray.MenuItem) {
	for range mi.ClickedCh {
		if checkable {
			r.mu.Lock()
			r.dirty[id] = true // GTK flipped it already; the next Apply sets the truth
			r.mu.Unlock()
		}
		select {
		case r.clicks <- id:
		default: // a click nobody is reading is dropped, never blocks the tray
		}
	}
}

func setIcon(i traymenu.Icon) {
	if runtime.GOOS == "windows" {
		systray.SetIcon(traymenu.ICO(i))
		return
	}
	systray.SetIcon(traymenu.PNG(i))
}
