package app

import (
	"log/slog"
	"os"

	"switchboard/backend/core"
)

// startDebug serves pprof and expvar (with goroutines and memstats) on
// SWITCHBOARD_DEBUG_ADDR when set, for profiling and scripts/bench.sh.
func startDebug(log *slog.Logger) {
	addr := os.Getenv("SWITCHBOARD_DEBUG_ADDR")
	if addr == "" {
		return
	}
	ln, err := core.ServeDebug(addr)
	if err != nil {
		log.Warn("debug endpoint not started", "addr", addr, "err", err)
		return
	}
	log.Info("debug endpoint (pprof, expvar)", "addr", ln.Addr().String())
}
