// Command profgw is a profiling build of the headless gateway for
// scripts/bench.sh --profile: it assembles exactly what `switchboard serve`
// runs (core.Start with the same config file, headless, no dashboard assets,
// key file instead of the OS keyring) and also serves the app's debug
// endpoint (core.ServeDebug: pprof, and expvar's /debug/vars with memstats,
// goroutines and heap_live) on a separate loopback address. It imports the
// project only; it changes nothing in it.
//
//	profgw --config FILE --debug-addr 127.0.0.1:PORT [--listen ADDR] [--data-dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/logging"
)

func main() {
	cfgFile := flag.String("config", "", "Switchboard YAML config")
	listen := flag.String("listen", "", "override listen")
	dataDir := flag.String("data-dir", "", "override data dir")
	debugAddr := flag.String("debug-addr", "127.0.0.1:0", "pprof/expvar address (loopback)")
	blockRate := flag.Int("block-rate", 0, "runtime.SetBlockProfileRate (ns; 0 = off)")
	mutexFrac := flag.Int("mutex-fraction", 0, "runtime.SetMutexProfileFraction (0 = off)")
	flag.Parse()
	runtime.SetBlockProfileRate(*blockRate)
	runtime.SetMutexProfileFraction(*mutexFrac)

	cfg := config.Default()
	if *cfgFile != "" {
		c, err := config.Load(*cfgFile, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "profgw:", err)
			os.Exit(2)
		}
		cfg = c
	}
	cfg.Apply(config.Overrides{Listen: ptr(*listen), DataDir: ptr(*dataDir)})
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "profgw:", err)
		os.Exit(2)
	}
	log, err := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profgw:", err)
		os.Exit(2)
	}

	dln, err := core.ServeDebug(*debugAddr) // the app's own debug endpoint (pprof, expvar)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profgw:", err)
		os.Exit(2)
	}
	defer dln.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, err := core.Start(ctx, cfg, core.Options{Mode: "headless", Log: log, UseKeyring: false})
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	log.Info("profgw listening", "addr", in.Server.Addr(), "debug", dln.Addr().String())
	select {
	case <-ctx.Done():
	case err := <-in.Server.Done():
		if err != nil {
			log.Error("server stopped", "err", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Shutdown(sctx); err != nil {
		slog.Error("shutdown", "err", err)
		os.Exit(1)
	}
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
