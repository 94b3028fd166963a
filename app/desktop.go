//go:build !bindings

package app

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/events"
	"switchboard/backend/server"
)

const generatingBindings = false

func runBindingsGenerator() int { return 0 }

// uniqueID names the single-instance lock: a second launch focuses the first.
const uniqueID = "dev.switchboard.app"

// runDesktop starts the gateway in-process, the tray, and the Wails window.
func runDesktop(cfg config.Config, log *slog.Logger, ui fs.FS, minimized bool) int {
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
	in.Services.SetShowWindow(d.show)
	in.Services.SetQuit(d.quit)
	// The tray must be registered on the main thread before wails.Run on
	// Linux (Wails' GTK loop then services it); see tray_*.go.
	trayActive := startTray(d)

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
		OnStartup:         d.startup,
		OnDomReady:        func(context.Context) { log.Info("window dom ready") },
		OnShutdown:        func(context.Context) { log.Info("window closed") },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: uniqueID,
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				log.Info("second launch: focusing the running window")
				d.show()
			},
		},
		Bind: []any{d.app},
	})
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
	log *slog.Logger
	in  *core.Instance
	app *App
	ctx context.Context
}

func (d *desktop) startup(ctx context.Context) {
	d.ctx = ctx
	d.app.ctx = ctx
	d.log.Info("window started")
	go d.pushStatus(ctx)
	go d.quitOnSignal(ctx)
}

// pushStatus emits the status to the window on every change and each second.
func (d *desktop) pushStatus(ctx context.Context) {
	sub := d.in.Bus.Subscribe(16)
	if sub == nil {
		return
	}
	defer sub.Close()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.C:
			if e.Kind == events.StatusChanged {
				wruntime.EventsEmit(ctx, "status", d.in.Services.Status())
			}
		case <-t.C:
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
	if d.ctx != nil {
		wruntime.WindowShow(d.ctx)
		wruntime.WindowUnminimise(d.ctx)
	}
}

func (d *desktop) quit() {
	if d.ctx != nil {
		wruntime.Quit(d.ctx) // never systray.Quit(): on Linux it stops Wails' GTK loop
	}
}
