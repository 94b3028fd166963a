//go:build !bindings && !headless

package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/events"
	"switchboard/backend/mgmt"
	"switchboard/backend/server"
)

const generatingBindings = false

func runBindingsGenerator() int { return 0 }

// uniqueID names the single-instance lock: a second launch focuses the first.
const uniqueID = "dev.switchboard.app"

// quietWebKit sets up the window's WebKit before it starts, each setting
// only where the user has not set the variable:
//   - WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR=1: the monitor, in the app's
//     own process, re-reads /proc/meminfo and the cgroup files one byte per
//     system call every 5 s (about 1,500 calls; 0.05% of a core, half of
//     what the app may spend hidden in the tray). The dashboard's web
//     process is small, and the app hands memory back itself
//     (core.Instance.Rest).
//   - JSC_useJIT=0: the dashboard's scripts run in JavaScriptCore's
//     interpreter. Its compilers cost the web process 8–17 MiB (their code
//     and what they build, growing as pages are visited), and the page gains
//     nothing measurable from them: a tour of every page took the same web
//     process CPU with and without (README, "The desktop app at rest"). No
//     writable and executable memory is left in a process that holds a
//     session to the gateway.
//
// It returns the variables it set, for jitForOthers.
func quietWebKit() []string {
	var set []string
	for _, kv := range [][2]string{
		{"WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR", "1"},
		{"JSC_useJIT", "0"},
	} {
		if _, user := os.LookupEnv(kv[0]); !user {
			os.Setenv(kv[0], kv[1])
			set = append(set, kv[0])
		}
	}
	return set
}

// jitForOthers removes JSC_useJIT once the window's web process runs (it
// read the variable when it started), so a browser the app opens (sign-in
// pages, links) is not started without its JIT.
func jitForOthers(set []string) {
	if slices.Contains(set, "JSC_useJIT") {
		os.Unsetenv("JSC_useJIT")
	}
}

// runDesktop starts the gateway in-process, the tray, and the Wails window.
func runDesktop(cfg config.Config, log *slog.Logger, ui fs.FS, minimized bool) int {
	webkitVars := quietWebKit()
	in, err := core.Start(context.Background(), cfg, core.Options{Mode: "desktop", UI: ui, Log: log, UseKeyring: useKeyring()})
	var pe *server.PortInUseError
	if errors.As(err, &pe) && focusRunning(cfg.Listen) {
		log.Info("Switchboard is already running: focused its window", "addr", cfg.Listen)
		return 0
	}
	if err != nil {
		return startFailed(log, err)
	}
	log.Info("browser dashboard login (one-time link)", "url", in.LoginURL)
	d := &desktop{log: log, in: in, app: &App{ctx: context.Background(), svc: in.Services}}
	activeToolCombos = watchToolLines(in.Services, in.Bus).get
	in.Services.SetShowWindow(d.show)
	in.Services.SetQuit(d.quit)
	// The tray model is kept current from the event bus by one controller;
	// the in-process tray renders it, the macOS helper fetches it over
	// /api/tray, and clicks come back as actions (see tray_state.go).
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	d.tray = newTrayController(in.Services, in.Bus, log)
	d.tray.show, d.tray.copyText, d.tray.quit = d.showPage, d.copyText, d.quit
	in.Services.SetDesktopHooks(mgmt.DesktopHooks{TrayMenu: func() any { return d.tray.Model() }, TrayAction: d.tray.Do})
	go d.tray.run(bg)
	startNotifications(bg, d) // native notifications from the same bus (notify_desktop.go)
	// The tray must be registered on the main thread before wails.Run on
	// Linux (Wails' GTK loop then services it); see tray_*.go.
	trayActive := startTray(d)
	if minimized && trayActive {
		in.RestAfterTraffic(true) // started into the tray: hidden until shown (d.show)
	}

	err = wails.Run(&options.App{
		Title:             "Switchboard",
		Width:             1180,
		Height:            780,
		MinWidth:          760,
		MinHeight:         520,
		StartHidden:       minimized && trayActive,
		HideWindowOnClose: trayActive,
		AssetServer:       &assetserver.Options{Assets: ui},
		BackgroundColour:  &options.RGBA{R: 17, G: 19, B: 24, A: 255},
		Menu:              appMenu(),
		OnStartup:         d.startup,
		OnDomReady: func(context.Context) {
			log.Info("window dom ready")
			jitForOthers(webkitVars)
			d.restSoon() // start-up is over
		},
		OnShutdown: func(context.Context) { log.Info("window closed") },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: uniqueID,
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				log.Info("second launch: focusing the running window")
				d.show()
			},
		},
		Bind: []any{d.app},
	})
	stopBg() // the tray controller and the notifier stop before the store closes
	code := 0
	if err != nil {
		log.Error("window failed", "err", err)
		code = 1
	}
	if c := shutdown(in, log); c != 0 {
		code = c
	}
	return code
}

// desktop is the window's runtime glue.
type desktop struct {
	log  *slog.Logger
	in   *core.Instance
	app  *App
	tray *trayController

	mu   sync.Mutex
	ctx  context.Context // Wails' context, set at startup; tray and notification goroutines read it
	rest *time.Timer     // restSoon's
}

// restAfter is how long the app waits, after start-up or after its window
// was hidden, before handing memory back (core.Instance.Rest): the page's
// first calls and a quick hide-and-show are over by then.
const restAfter = 5 * time.Second

// hidden is the window's going out of sight: the app rests soon, and again
// after each burst of gateway traffic until it is shown.
func (d *desktop) hidden() {
	d.restSoon()
	d.in.RestAfterTraffic(true)
}

// restSoon hands memory back restAfter from now (again, if already due).
func (d *desktop) restSoon() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rest != nil {
		d.rest.Stop()
	}
	d.rest = time.AfterFunc(restAfter, func() {
		n := d.in.Rest()
		d.log.Info("at rest: memory handed back", "code_mib", n>>20)
	})
}

func (d *desktop) wctx() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ctx
}

func (d *desktop) startup(ctx context.Context) {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	d.app.ctx = ctx
	d.app.openURL = func(u string) { wruntime.BrowserOpenURL(ctx, u) }
	d.app.saveAs = func(name string) (string, error) {
		return wruntime.SaveFileDialog(ctx, wruntime.SaveDialogOptions{Title: "Export request log", DefaultFilename: name})
	}
	d.log.Info("window started")
	// The page reports its window hidden (closed to the tray, minimized)
	// and shown again: frontend/src/lib/rest.ts. While it is hidden, the
	// app also rests after each burst of gateway traffic.
	wruntime.EventsOn(ctx, "window-hidden", func(...any) { d.hidden() })
	wruntime.EventsOn(ctx, "window-shown", func(...any) { d.in.RestAfterTraffic(false) })
	go d.pushStatus(ctx)
	go d.quitOnSignal(ctx)
}

// pushStatus emits the status to the window when it changes: a status
// event, or request log rows written (the counters moved). Nothing ticks:
// the page extrapolates its uptime clock, and an idle app stays asleep.
func (d *desktop) pushStatus(ctx context.Context) {
	sub := d.in.Bus.Subscribe(16)
	if sub == nil {
		return
	}
	defer sub.Close()
	stored, stop := d.in.Recorder.Stored().Wait()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Kind == events.StatusChanged {
				wruntime.EventsEmit(ctx, "status", d.in.Services.Status())
			}
		case <-stored:
			wruntime.EventsEmit(ctx, "status", d.in.Services.Status())
		}
	}
}

// quitOnSignal turns SIGINT/SIGTERM into a clean Wails quit, after which
// runDesktop shuts the gateway down gracefully.
func (d *desktop) quitOnSignal(ctx context.Context) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		d.log.Info("shutting down", "reason", s.String())
		wruntime.Quit(ctx)
	case <-ctx.Done():
	}
}

func (d *desktop) show() {
	d.in.RestAfterTraffic(false) // the page's window-shown may come later, or not from a first showing
	if ctx := d.wctx(); ctx != nil {
		wruntime.WindowShow(ctx)
		wruntime.WindowUnminimise(ctx)
	}
}

// showPage brings the window forward on a dashboard page ("/providers";
// "" keeps the current one). The dashboard routes by URL hash.
func (d *desktop) showPage(page string) {
	d.show()
	if ctx := d.wctx(); ctx != nil && strings.HasPrefix(page, "/") {
		wruntime.WindowExecJS(ctx, "window.location.hash = "+strconv.Quote("#"+page))
	}
}

// copyText puts text on the clipboard through the Wails runtime.
func (d *desktop) copyText(text string) error {
	ctx := d.wctx()
	if ctx == nil {
		return errors.New("the window is not ready yet")
	}
	return wruntime.ClipboardSetText(ctx, text)
}

func (d *desktop) quit() {
	if ctx := d.wctx(); ctx != nil {
		wruntime.Quit(ctx) // never systray.Quit(): on Linux it stops Wails' GTK loop
	}
}
