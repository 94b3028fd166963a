package app

import (
	"expvar"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
)

// startDebug serves pprof and expvar (with goroutines and memstats) on
// SWITCHBOARD_DEBUG_ADDR when set, for profiling and scripts/bench.sh. It
// refuses anything but a loopback address: profiles reveal request data.
func startDebug(log *slog.Logger) {
	addr := os.Getenv("SWITCHBOARD_DEBUG_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Warn("SWITCHBOARD_DEBUG_ADDR ignored: it must be a loopback host:port", "addr", addr)
		return
	}
	if expvar.Get("goroutines") == nil {
		expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("debug endpoint not started", "addr", addr, "err", err)
		return
	}
	log.Info("debug endpoint (pprof, expvar)", "addr", ln.Addr().String())
	go func() { _ = http.Serve(ln, mux) }()
}
