// Command profgw is a profiling build of the headless gateway for
// scripts/bench.sh --profile: it assembles exactly what `switchboard serve`
// runs (core.Start with the same config file, headless, no dashboard assets,
// key file instead of the OS keyring) and also serves net/http/pprof and
// expvar (/debug/vars with memstats and goroutines) on a separate loopback
// address. It imports the project only; it changes nothing in it.
//
//	profgw --config FILE --debug-addr 127.0.0.1:PORT [--listen ADDR] [--data-dir DIR]
package main

import (
	"context"
	"expvar"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
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

	host, _, err := net.SplitHostPort(*debugAddr)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "profgw: --debug-addr must be a loopback host:port")
		os.Exit(2)
	}
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	expvar.Publish("heap_live", expvar.Func(func() any { // as app/debug.go publishes it
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}))
	dln, err := net.Listen("tcp", *debugAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profgw:", err)
		os.Exit(1)
	}
	go func() {
		_ = (&http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}).Serve(dln)
	}()

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
