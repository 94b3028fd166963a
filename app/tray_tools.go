//go:build !bindings && !headless

package app

import (
	"context"
	"sync/atomic"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/mgmt"
)

// toolLines keeps the tray's "which tools are routed" lines. Detecting
// tools reads their config files, so it runs at start and after each
// apply/undo (the "tools" bus event), never on the tray's tick.
type toolLines struct {
	svc   *mgmt.Services
	lines atomic.Pointer[[]string]
}

func watchToolLines(svc *mgmt.Services, bus *events.Bus) *toolLines {
	t := &toolLines{svc: svc}
	t.refresh()
	if sub := bus.Subscribe(4); sub != nil {
		go func() {
			for e := range sub.C {
				if e.Kind == "tools" {
					t.refresh()
				}
			}
		}()
	}
	return t
}

func (t *toolLines) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ov, err := t.svc.ToolsOverview(ctx)
	if err != nil {
		return
	}
	var out []string
	for _, s := range ov.Tools {
		if s.State == "ours" {
			line := s.Name
			if s.Model != "" {
				line += " → " + s.Model
			}
			out = append(out, line)
		}
	}
	t.lines.Store(&out)
}

func (t *toolLines) get() []string {
	if p := t.lines.Load(); p != nil {
		return *p
	}
	return nil
}
