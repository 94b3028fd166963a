package app

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"switchboard/backend/i18n"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/backend/events"
	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
	"switchboard/backend/usage"
)

// activeToolCombos is the hook for the CLI tool configuration: one line per
// configured tool with its active combo ("Claude Code → coding"). Empty
// until the CLI tools service provides it; the tray shows up to
// TrayToolSlots lines.
var activeToolCombos = func() []string { return nil }

// Timings of the tray controller.
const (
	trayTick       = time.Second            // without the bus: how often everything is re-read
	trayStoreDelay = 250 * time.Millisecond // coalesces a burst of bus events into one store read
	trayCopiedFor  = 2 * time.Second
)

// trayController keeps the tray model current. Live routing state (the
// snapshot, cooldowns, breakers, quota windows) is in memory and read on every bus event
// and every tick; the store (today's totals, paused providers) is read only
// after bus events or when the in-memory request counter moved, coalesced,
// never in a polling loop. The model is pushed to render (the in-process
// tray) when it changes, and served to the macOS helper through Model.
type trayController struct {
	shown      TrayState    // what the current model shows (c.mu)
	ticks      atomic.Int64 // clock-driven recomputes (tests: none while nothing counts down)
	svc        *mgmt.Services
	bus        *events.Bus
	log        *slog.Logger
	now        func() time.Time
	toolCombos func() []string
	show       func(page string)       // bring the window forward (on a page)
	copyText   func(text string) error // the clipboard
	quit       func()
	kick       chan struct{} // asks the run loop to recompute
	storeReads atomic.Int64  // for tests: the store is read on events only

	renderMu    sync.Mutex // held while a model is computed and rendered
	mu          sync.Mutex // guards the fields below
	render      func(traymenu.Model) error
	model       traymenu.Model
	computed    bool
	today       usage.Totals
	todayOK     bool
	paused      map[string]bool
	login       mgmt.LaunchAtLogin
	copiedUntil time.Time
}

func newTrayController(svc *mgmt.Services, bus *events.Bus, log *slog.Logger) *trayController {
	return &trayController{svc: svc, bus: bus, log: log, now: time.Now, toolCombos: activeToolCombos,
		show: func(string) {}, copyText: func(string) error { return nil }, quit: func() {},
		paused: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// setRenderer attaches the in-process tray and shows the current model.
func (c *trayController) setRenderer(r func(traymenu.Model) error) {
	c.renderMu.Lock()
	defer c.renderMu.Unlock()
	m := c.computeLocked()
	c.mu.Lock()
	c.render = r
	c.mu.Unlock()
	if err := r(m); err != nil {
		c.log.Warn("tray not updated", "err", err)
	}
}

// Model returns the current tray model.
func (c *trayController) Model() traymenu.Model {
	c.mu.Lock()
	ok := c.computed
	m := c.model
	c.mu.Unlock()
	if !ok {
		return c.recompute()
	}
	return m
}

// state gathers the TrayState: live routing state from memory, store
// values from the last read.
func (c *trayController) state() TrayState {
	now := c.now()
	h := c.svc.Health()
	st := TrayState{Now: now, Endpoint: c.svc.Status().Endpoint, ToolCombos: c.toolCombos(), KeyBudgets: c.svc.KeyWarnings(),
		Lang: i18n.Current().Locale}
	c.mu.Lock()
	st.Today, st.TodayKnown, st.LaunchAtLogin, st.CopiedUntil = c.today, c.todayOK, c.login, c.copiedUntil
	paused := c.paused
	c.mu.Unlock()
	lines := map[string]quota.ProviderLine{}
	for _, l := range c.svc.TrayQuota() { // in memory, like the health state
		lines[l.Provider] = l
	}
	for _, v := range c.svc.Providers() {
		p := TrayProvider{ID: v.ID, Name: v.Name, Disabled: v.Disabled, Paused: paused[v.ID], CanPause: v.CanPause()}
		for _, a := range v.Accounts {
			if a.Disabled {
				continue
			}
			p.Accounts++
			if a.Kind != "signin" {
				continue
			}
			who := a.Email
			if who == "" {
				who = a.Name
			}
			if a.TokenState == "needs_sign_in" {
				p.SignedOut = append(p.SignedOut, who)
			} else {
				p.SignedIn = append(p.SignedIn, who)
			}
		}
		// Unusable only because its sign-ins need the user is not
		// "disabled": the line says to sign in again.
		p.Disabled = p.Disabled || (!v.Usable && len(p.SignedOut) == 0)
		for _, b := range h.Breakers {
			if b.Provider == v.ID {
				p.Breaker, p.BreakerUntil = b.State, b.OpenUntil
			}
		}
		for _, cd := range h.Cooldowns {
			if cd.Provider == v.ID {
				p.Rests = append(p.Rests, cd)
			}
		}
		if l, ok := lines[v.ID]; ok {
			p.Quota = &l
		}
		st.Providers = append(st.Providers, p)
	}
	return st
}

// recompute rebuilds the model and renders it when it changed. Computing
// and rendering happen under one lock, so a newer model is never
// overwritten on screen by an older one.
func (c *trayController) recompute() traymenu.Model {
	c.renderMu.Lock()
	defer c.renderMu.Unlock()
	c.mu.Lock()
	old, had, render := c.model, c.computed, c.render
	c.mu.Unlock()
	m := c.computeLocked()
	if render != nil && (!had || !reflect.DeepEqual(m, old)) {
		if err := render(m); err != nil {
			c.log.Warn("tray not updated", "err", err)
		}
	}
	return m
}

// computeLocked computes and stores the model; renderMu is held.
func (c *trayController) computeLocked() traymenu.Model {
	st := c.state()
	m := TrayMenu(st)
	c.mu.Lock()
	c.model, c.computed, c.shown = m, true, st
	c.mu.Unlock()
	return m
}

// lastState is the state the current model was computed from.
func (c *trayController) lastState() TrayState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shown
}

// readStore reads what lives on disk: today's totals, the paused
// providers, launch at login.
func (c *trayController) readStore(ctx context.Context) {
	c.storeReads.Add(1)
	today, terr := c.svc.TodayUsage(ctx)
	ids, perr := c.svc.PausedProviders(ctx)
	login := c.svc.GetLaunchAtLogin()
	c.mu.Lock()
	defer c.mu.Unlock()
	if terr == nil {
		c.today, c.todayOK = today, true
	} else {
		c.log.Warn("tray: today's usage not read", "err", terr)
	}
	if perr == nil {
		c.paused = map[string]bool{}
		for _, id := range ids {
			c.paused[id] = true
		}
	}
	c.login = login
}

// run keeps the model current until ctx ends. Nothing polls: bus events
// and written request log rows wake it, and a timer runs only while the
// menu shows a countdown (see nextTick) plus one for local midnight, when
// today's totals start over.
func (c *trayController) run(ctx context.Context) {
	sub := c.bus.Subscribe(64)
	var changes <-chan events.Event
	if sub != nil {
		defer sub.Close()
		changes = sub.C
	} else {
		c.log.Warn("tray: no room on the event bus; it updates once a second only")
	}
	stored, stopStored := c.svc.WaitRowsStored()
	defer stopStored()
	c.readStore(ctx)
	c.recompute()
	tick := time.NewTimer(0)
	defer tick.Stop()
	armTick := func() {
		d := c.lastState().nextTick()
		if sub == nil {
			d = trayTick
		}
		if d > 0 {
			tick.Reset(d)
		} else {
			tick.Stop()
		}
	}
	armTick()
	day := usage.LocalMidnight(c.now())
	midnight := time.NewTimer(day.AddDate(0, 0, 1).Sub(c.now()))
	defer midnight.Stop()
	var read <-chan time.Time // armed: a store read is due
	schedule := func(d time.Duration) {
		if read == nil {
			read = time.After(d)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			c.recompute() // routing state is in memory: at once
			schedule(trayStoreDelay)
		case <-stored:
			schedule(trayStoreDelay)
		case <-read:
			read = nil
			c.readStore(ctx)
			c.recompute()
		case <-c.kick:
			c.recompute()
		case <-midnight.C:
			day = usage.LocalMidnight(c.now())
			midnight.Reset(day.AddDate(0, 0, 1).Sub(c.now()))
			schedule(0)
		case <-tick.C:
			c.ticks.Add(1)
			if sub == nil { // no bus: the store is read each tick instead
				schedule(0)
			}
			c.recompute() // countdowns
		}
		armTick()
	}
}

func (c *trayController) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// click performs the action the clicked item has in the current model.
func (c *trayController) click(id string) {
	it, ok := c.Model().Item(id)
	if !ok || it.Action == "" || !it.Enabled {
		c.poke() // re-render (a disabled checkbox GTK toggled anyway)
		return
	}
	if err := c.Do(context.Background(), it.Action); err != nil {
		c.log.Warn("tray action failed", "action", it.Action, "err", err)
	}
}

// Do performs a tray action: open, open-page:/path, copy-endpoint, reset,
// reset:provider, pause:provider, resume:provider, autostart:on|off, quit.
func (c *trayController) Do(ctx context.Context, action string) error {
	verb, arg, _ := strings.Cut(action, ":")
	var err error
	switch verb {
	case "open":
		c.show("")
	case "open-page":
		c.show(arg)
	case "copy-endpoint":
		if err = c.copyText(c.svc.Status().Endpoint); err == nil {
			c.mu.Lock()
			c.copiedUntil = c.now().Add(trayCopiedFor)
			c.mu.Unlock()
		}
	case "reset":
		n := c.svc.ResetHealth(arg, "")
		c.log.Info("cooldowns reset from the tray", "provider", arg, "cleared", n)
	case "pause":
		err = c.svc.PauseProvider(ctx, arg)
	case "resume":
		err = c.svc.ResumeProvider(ctx, arg)
	case "autostart":
		_, err = c.svc.SetLaunchAtLogin(arg == "on")
	case "quit":
		c.log.Info("quit from tray")
		c.quit()
	default:
		return fmt.Errorf("%w: unknown tray action %q", mgmt.ErrInvalid, action)
	}
	if verb == "autostart" || verb == "pause" || verb == "resume" {
		c.readStore(ctx) // show the outcome at once, not after the bus round trip
	}
	c.poke()
	return err
}
