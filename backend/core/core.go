// Package core assembles one running Switchboard: data directory, store,
// secret sealer, keys, event bus, gateway, management API and the HTTP
// listener. The desktop app and `switchboard serve` both start exactly this;
// tests start it too, so what they exercise is what users run.
package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/clitools"
	"switchboard/backend/config"
	"switchboard/backend/events"
	"switchboard/backend/gateway"
	"switchboard/backend/i18n"
	"switchboard/backend/keys"
	"switchboard/backend/metrics"
	"switchboard/backend/mgmt"
	"switchboard/backend/playground"
	"switchboard/backend/provider"
	"switchboard/backend/quota"
	"switchboard/backend/reasoning"
	"switchboard/backend/route"
	"switchboard/backend/secret"
	"switchboard/backend/server"
	"switchboard/backend/signin"
	"switchboard/backend/store"
	"switchboard/backend/usage"
)

// Version is set at build time with -ldflags "-X switchboard/backend/core.Version=…".
var Version = "0.1.0-dev"

// Options choose how an instance runs.
type Options struct {
	Mode       string // desktop | headless
	UI         fs.FS  // built dashboard; nil to serve none
	Log        *slog.Logger
	UseKeyring bool
	// StreamIdleTimeout overrides the gateway's upstream idle timeout.
	StreamIdleTimeout time.Duration
	// UpstreamHeaderTimeout overrides how long an upstream may take to
	// answer with headers (default 5 minutes; tests shorten it).
	UpstreamHeaderTimeout time.Duration
	// BodyReadBase overrides the base of the request body read deadline
	// (server.DefaultBodyReadBase; tests shorten it).
	BodyReadBase time.Duration
	// ImportEnv overrides where CLI logins are imported from (tests).
	ImportEnv *signin.ImportEnv
}

// Instance is a running Switchboard.
type Instance struct {
	Config   config.Config
	DB       *store.DB
	Sealer   *secret.Sealer
	Keys     *keys.Service
	Bus      *events.Bus
	Gateway  *gateway.Gateway
	Services *mgmt.Services
	Sessions *mgmt.Sessions
	Server   *server.Server
	Accounts *accounts.Store
	Routes   *route.Table
	Client   *provider.Client
	Recorder *usage.Recorder
	Memo     *reasoning.Memo
	Health   *route.Health
	Events   *events.Recorder
	SignIns  *signin.Manager
	Quota    *quota.Tracker
	Backups  *store.Backups
	Metrics  *metrics.Metrics
	Prices   *usage.PriceBook
	Upkeep   *usage.Maintainer // request log rollups and retention

	// LoginURL is the one-time dashboard login link (headless browsers).
	LoginURL string

	log    *slog.Logger
	cancel context.CancelFunc
	bg     chan struct{}
	seats  seatModels // sign-in accounts' model lists (signinmodels.go)
	// resting: Rest handed memory back and the next gateway request wakes
	// the code (rest.go).
	resting atomic.Bool
	idle    idleRest // the headless server's own rests (RestWhenIdle)
	// stopGCPacer ends the collector's pacing by traffic (gcpace.go).
	stopGCPacer func()
}

// Open prepares everything that needs the disk (data dir, DB, sealer, keys)
// without listening. CLI commands such as `keys create` stop here.
func Open(ctx context.Context, cfg config.Config, o Options) (*Instance, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("core: data dir %s: %w", cfg.DataDir, err)
	}
	dbPath := filepath.Join(cfg.DataDir, "switchboard.db")
	fixed, err := secureDataDir(cfg.DataDir, dbPath)
	if len(fixed) > 0 {
		o.Log.Warn("data dir files were open to other users; made them owner-only", "dir", cfg.DataDir, "fixed", strings.Join(fixed, ", "))
	}
	if err != nil {
		o.Log.Warn("data dir permissions could not all be tightened", "dir", cfg.DataDir, "err", err)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	if c := db.Converted; c[0] > 0 {
		o.Log.Info("database compacted once; from now on it gives freed space back as retention deletes rows",
			"before_mib", c[0]>>20, "after_mib", c[1]>>20)
	}
	sealer, err := secret.LoadSealer(secret.Options{DataDir: cfg.DataDir, UseKeyring: o.UseKeyring, Log: o.Log})
	if err != nil {
		db.Close()
		return nil, err
	}
	ks, err := keys.New(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Only an applied config file says which config keys exist. Without one
	// (a CLI command run without --config) the empty list would revoke every
	// declared key, and a running server would drop them on its next reload.
	if cfg.Source != "" {
		if err := ks.SyncConfig(ctx, declaredKeys(cfg)); err != nil {
			db.Close()
			return nil, err
		}
	}
	in := &Instance{Config: cfg, DB: db, Sealer: sealer, Keys: ks, Bus: events.NewBus(), log: o.Log,
		Accounts: accounts.New(db, sealer), Routes: route.NewTable(nil), Backups: store.NewBackups(db, store.BackupDir(dbPath))}
	in.SignIns = signin.New(signin.Options{DB: db, Sealer: sealer, Bus: in.Bus, Log: o.Log, Providers: cfg.Providers,
		OnSignedIn: in.signedIn, OnSignedOut: in.routingChange, ImportEnv: o.ImportEnv})
	in.Accounts.SetSignIns(in.SignIns)
	// The stored language speaks for every process on this data dir: the
	// app's tray and notifications, and CLI commands.
	if st, err := mgmtSettings(db); err == nil {
		i18n.SetPreference(st.Language)
	}
	if err := in.Reload(ctx); err != nil {
		// A provider that cannot be built is reported, not fatal: the rest routes.
		o.Log.Warn("some providers could not be loaded", "err", err)
	}
	return in, nil
}

// CheckConfig builds every provider and combo the config file declares
// and reports every one that cannot be used, so a bad file is refused
// whole at start instead of loading partly with a warning.
func CheckConfig(cfg config.Config) error {
	var errs []error
	for _, pc := range cfg.Providers {
		if _, err := provider.FromConfig(pc); err != nil {
			errs = append(errs, err)
		}
	}
	for _, cc := range cfg.Combos {
		if _, err := accounts.ComboFromConfig(cc); err != nil {
			errs = append(errs, err)
		}
	}
	for i, kc := range cfg.Keys {
		if err := keyPolicy(kc).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("keys[%d] (%s): %w", i, kc.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Close releases an instance that was only opened (CLI commands): sign-in
// work in flight ends first, then the database closes.
func (in *Instance) Close() error {
	if in.stopGCPacer != nil {
		in.stopGCPacer()
	}
	in.SignIns.Close()
	return in.DB.Close()
}

// OfflineServices returns management services for CLI commands that work
// on the data directory without serving (providers add/list/test).
func (in *Instance) OfflineServices() *mgmt.Services {
	if in.Client == nil {
		in.Client = provider.NewClient(provider.ClientOptions{})
	}
	svc := mgmt.NewServices(in.DB, in.Keys, in.Bus, mgmt.Runtime{Version: Version, Mode: "cli",
		Listen: func() string { return in.Config.Listen }, DataDir: in.Config.DataDir, Keyring: in.Sealer.Source, StartedAt: time.Now()})
	svc.SetRouting(in.routing())
	svc.SetPortable(in.Portable())
	return svc
}

// Reload rebuilds the routing snapshot from the config file and the store.
func (in *Instance) Reload(ctx context.Context) error {
	snap, err := in.Accounts.Build(ctx, in.Config)
	if snap != nil {
		in.Routes.Store(snap)
		in.Bus.Publish(events.StatusChanged, nil)
		if err == nil {
			in.quotaRouted()
		}
	}
	return err
}

// Garbage collector defaults (see tuneGC).
const (
	defaultGCPercent = 400
	// defaultMemoryLimit is the soft limit of the Go heap and runtime. A
	// 664 KB agent request translated at c=8 keeps about 30 MiB live; at
	// GOGC=400 the heap would grow to five times that before a collection.
	// Under this limit the collector runs earlier instead (peak RSS about
	// 110 MiB instead of 140, and 1 MB bodies at c=16: 115 MiB instead of
	// 290, for about 0.3 ms of GC CPU per request more); small requests
	// never reach it. It is soft: a larger live heap (many large requests
	// at once, bounded by the body budget) is still served, with more GC.
	defaultMemoryLimit = 96 << 20
)

// tuneGC trades a little memory for CPU: the live heap of a gateway is a
// few MiB, so collecting at 4× it instead of 2× halves GC work per request
// (measured with scripts/bench.sh); the soft limit keeps the heap of large
// requests from growing the same way (scripts/bench.sh --agent).
// An explicit GOGC / GOMEMLIMIT from the user wins.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// Start opens the instance and serves on the configured address.
func Start(ctx context.Context, cfg config.Config, o Options) (*Instance, error) {
	tuneGC()
	in, err := Open(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	ln, err := server.Listen(cfg.Listen)
	if err != nil {
		in.DB.Close()
		return nil, err
	}
	if err := in.serve(ln, o); err != nil {
		ln.Close()
		in.DB.Close()
		return nil, err
	}
	return in, nil
}

func (in *Instance) serve(ln net.Listener, o Options) error {
	started := time.Now()
	in.Client = provider.NewClient(provider.ClientOptions{ResponseHeaderTimeout: o.UpstreamHeaderTimeout})
	in.Recorder = usage.NewRecorder(in.DB, in.log, usage.Options{})
	in.SeedKeySpend(context.Background())
	in.watchKeyPolicy()
	in.startMetrics()
	in.Memo = reasoning.New(reasoning.Options{DB: in.DB.DB, Sealer: in.Sealer, Log: in.log})
	in.startHealth()
	in.Gateway = gateway.New(gateway.Options{Keys: in.Keys, Log: in.log, Routes: in.Routes, Client: in.Client,
		Recorder: in.Recorder, Memo: in.Memo, Health: in.Health, StreamIdleTimeout: o.StreamIdleTimeout,
		BodyBudget: int64(in.Config.MaxInflightBodyMiB) << 20, MaxUpload: int64(in.Config.MaxUploadMiB) << 20,
		Quiet: debug.FreeOSMemory}) // the heap large requests grew goes back once they are over
	in.stopGCPacer = startGCPacer(in.Gateway.Requests, os.Getenv)
	addr := ln.Addr().String()
	in.Services = mgmt.NewServices(in.DB, in.Keys, in.Bus, mgmt.Runtime{
		Version: Version, Mode: o.Mode, Listen: func() string { return addr }, DataDir: in.Config.DataDir,
		Keyring: in.Sealer.Source, StartedAt: started, Requests: in.Gateway.Requests,
		RowsStored: in.Recorder.Stored(),
		ApplySettings: func(st mgmt.Settings) {
			in.Gateway.SetLogBodies(st.LogRequestBodies)
			in.Gateway.SetResponseCache(st.ResponseCache)
			in.applyReserve(st)
			in.applyMetrics(st)
			i18n.SetPreference(st.Language)
			in.Bus.Publish(events.StatusChanged, nil) // the tray redraws in it
		},
		Metrics: in.Metrics, MetricsFromConfig: in.Config.Metrics,
	})
	in.startQuota()
	if err := in.startCost(); err != nil {
		return err
	}
	if st, err := mgmtSettings(in.DB); err == nil {
		in.Gateway.SetLogBodies(st.LogRequestBodies)
		in.Gateway.SetResponseCache(st.ResponseCache)
		in.applyReserve(st)
		in.applyMetrics(st)
	} else {
		in.applyReserve(mgmt.DefaultSettings())
		in.applyMetrics(mgmt.DefaultSettings())
	}
	in.Services.SetRouting(in.routing())
	in.Services.SetPortable(in.Portable())
	in.Services.SetPlayground(playground.New(in.Gateway))
	in.Services.SetTools(clitools.New(clitools.Options{DataDir: in.Config.DataDir, Keys: clitools.LocalKeys(in.Keys),
		Endpoint: func() string { return "http://" + addr }}))
	sessions, token := mgmt.NewSessions(30 * 24 * time.Hour)
	sessions.Seal(in.Sealer) // a session survives a restart on the same data dir
	in.Sessions = sessions
	host, _, _ := net.SplitHostPort(addr)
	hosts := []string{host}
	if o.Mode == "desktop" {
		hosts = append(hosts, mgmt.WailsHosts...)
	}
	guard := mgmt.NewHostGuard(hosts...)
	mh := mgmt.NewHTTP(in.Services, sessions, guard, o.UI, in.log)
	in.Server = server.Start(ln, server.Handler(in.wakeOnRequest(in.Gateway), mh), in.log, server.Options{BodyReadBase: o.BodyReadBase,
		TooLarge: gateway.TooLargeAnswer})
	in.Server.RegisterOnShutdown(mh.Stop)
	in.LoginURL = "http://" + addr + "/login?token=" + token

	bgctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	in.bg = make(chan struct{})
	var wg sync.WaitGroup
	background := func(f func()) { // each background loop ends with bgctx
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	background(func() { in.runLocalModels(bgctx) })
	background(func() { in.runSeatModels(bgctx) })
	background(func() { in.SignIns.Run(bgctx) })
	background(func() { in.followOtherProcesses(bgctx, in.DB.Changes(bgctx, SignInSyncInterval)) })
	background(func() { in.Keys.RunFlusher(bgctx, 5*time.Second) })
	background(func() {
		in.Health.PersistCooldowns(bgctx, in.DB.DB, CooldownSaveDelay, func(err error) {
			in.log.Warn("cooldowns not saved", "err", err)
		})
	})
	background(func() { in.runQuota(bgctx) })
	background(func() { in.runBackups(bgctx) })
	background(func() { in.Upkeep.Run(bgctx) })
	go func() {
		wg.Wait()
		close(in.bg)
	}()
	in.log.Info("gateway listening", "addr", addr, "endpoint", "http://"+addr, "mode", o.Mode, "version", Version)
	return nil
}

// SignInSyncInterval is how often the instance looks for sign-ins and keys
// another process stored (`switchboard login`, `switchboard keys`) where
// the system reports no file changes (see store.Changes); on Linux it
// looks when the database files change, and never at rest.
var SignInSyncInterval = 5 * time.Second

// followOtherProcesses adopts the sign-ins and keys other processes stored
// (a revoked or changed key takes effect here) each time changes signals,
// until it closes.
func (in *Instance) followOtherProcesses(ctx context.Context, changes <-chan struct{}) {
	_, _ = in.SignIns.Sync(ctx) // sets the mark
	for range changes {
		if err := in.Keys.Reload(ctx); err != nil {
			in.log.Warn("keys from other processes not read", "err", err)
		}
		changed, err := in.SignIns.Sync(ctx)
		if err != nil {
			in.log.Warn("sign-ins from other processes not read", "err", err)
		}
		if changed {
			in.log.Info("a sign-in changed in another process; routing reloaded")
			if err := in.Reload(ctx); err != nil {
				in.log.Warn("some providers could not be loaded", "err", err)
			}
			in.seats.poke("") // list a new seat's models now
		}
	}
}

// CooldownSaveDelay batches cooldown changes into one write: a crash
// loses at most this much of them.
var CooldownSaveDelay = 250 * time.Millisecond

// DrainGrace is how long in-flight requests may run on after a shutdown
// starts before open streams are ended with a terminal error frame.
var DrainGrace = 5 * time.Second

// Shutdown stops accepting, lets in-flight requests finish for DrainGrace,
// then ends the remaining streams cleanly (each client gets its dialect's
// error and terminal frame), flushes pending writes and closes the database.
func (in *Instance) Shutdown(ctx context.Context) error {
	var errs []error
	in.idle.stop()
	if in.Server != nil {
		done := make(chan error, 1)
		go func() { done <- in.Server.Shutdown(ctx) }()
		select {
		case err := <-done:
			if err != nil {
				errs = append(errs, err)
			}
		case <-time.After(DrainGrace):
			in.log.Info("ending open streams for shutdown")
			in.Gateway.Drain()
			if err := <-done; err != nil {
				errs = append(errs, err)
			}
		}
	}
	if in.Gateway != nil {
		in.Gateway.Wait() // finished streams' rows reach the recorder
	}
	if in.cancel != nil {
		in.cancel()
		<-in.bg
	} else if err := in.Keys.FlushUsage(context.Background()); err != nil {
		errs = append(errs, err)
	}
	if in.stopGCPacer != nil {
		in.stopGCPacer()
	}
	in.SignIns.Close() // refreshes in flight end; what they stored is complete
	if in.Recorder != nil {
		in.Recorder.Close() // every queued log row reaches the disk
	}
	if in.Memo != nil {
		in.Memo.Close()
		if n := in.Memo.Dropped(); n > 0 {
			in.log.Warn("reasoning memo: some entries were kept in memory only (write queue full)", "dropped", n)
		}
	}
	if in.Health != nil {
		if err := in.Health.SaveCooldowns(context.Background(), in.DB.DB); err != nil {
			errs = append(errs, err)
		}
	}
	if in.Quota != nil {
		if err := in.Quota.Save(context.Background(), in.DB.DB); err != nil {
			errs = append(errs, err)
		}
	}
	if in.Events != nil {
		in.Events.Close()
	}
	if in.Client != nil {
		in.Client.CloseIdleConnections()
	}
	if err := in.DB.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func mgmtSettings(db *store.DB) (mgmt.Settings, error) {
	return mgmt.LoadSettings(context.Background(), db)
}

// startHealth creates the live routing state, restores saved cooldowns and
// forwards every transition to the event bus and the events table.
func (in *Instance) startHealth() {
	in.Health = route.NewHealth(nil, uint64(time.Now().UnixNano()))
	if err := in.Health.LoadCooldowns(context.Background(), in.DB.DB); err != nil {
		in.log.Warn("saved cooldowns not restored", "err", err)
	}
	in.Events = events.NewRecorder(in.DB.DB, in.log)
	_ = events.Prune(context.Background(), in.DB.DB, 30*24*time.Hour)
	in.Health.OnChange(in.routingChange)
}

// routingChange records a routing transition (or a sign-in that needs the
// user) in the events table, publishes it and logs it.
func (in *Instance) routingChange(c route.Change) {
	if in.Events != nil {
		var until int64
		if !c.Until.IsZero() {
			until = c.Until.UnixMilli()
		}
		in.Events.Record(events.Row{TS: time.Now().UnixMilli(), Kind: string(c.Kind), Provider: c.Provider,
			Account: c.Account, Model: c.Model, Until: until, Message: c.Message})
	}
	in.Bus.Publish(events.Kind(c.Kind), c)
	in.Bus.Publish(events.StatusChanged, nil)
	in.log.Info("routing change", "kind", c.Kind, "provider", c.Provider, "account", c.Account, "model", c.Model, "until", c.Until)
}

// signedIn makes a new or renewed sign-in routable at once: routing is
// rebuilt and the account's old cooldowns (say, auth failures from before
// it needed a sign-in) are cleared.
func (in *Instance) signedIn(ctx context.Context, accountID string) {
	if in.Health != nil {
		in.Health.Reset("", accountID)
	}
	if err := in.Reload(ctx); err != nil {
		in.log.Warn("some providers could not be loaded", "err", err)
	}
	in.seats.poke(accountID)
}

func (in *Instance) routing() *mgmt.Routing {
	names := make([]string, 0, len(in.Config.Combos))
	for _, c := range in.Config.Combos {
		names = append(names, c.Name)
	}
	h := in.Health
	if h == nil {
		h = route.NewHealth(nil, 1) // CLI: no live state
	}
	return &mgmt.Routing{Accounts: in.Accounts, Routes: in.Routes, Client: in.Client, Reload: in.Reload, Health: h,
		SignIns: in.SignIns, Quota: in.Quota, ReserveFromConfig: in.Config.QuotaReservePercent != nil, ConfigCombos: names}
}
