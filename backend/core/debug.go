package core

import (
	"expvar"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/metrics"

	"switchboard/backend/mgmt"
)

// ServeDebug serves pprof and expvar (goroutines, heap_live, memstats) on
// addr until the listener is closed: SWITCHBOARD_DEBUG_ADDR in the app,
// --debug-addr in scripts/bench/profgw. It refuses anything but a loopback address: profiles
// reveal request data.
func ServeDebug(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("debug: %q must be a loopback host:port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug: %w", err)
	}
	go func() { _ = http.Serve(ln, debugHandler(host)) }()
	return ln, nil
}

// debugHandler serves pprof and expvar behind the management API's Host
// allow-list: listening on loopback does not stop a page whose name
// rebinds to 127.0.0.1 (DNS rebinding) from reading profiles; its Host
// header still names the page's site.
func debugHandler(host string) http.Handler {
	if expvar.Get("goroutines") == nil {
		expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	}
	if expvar.Get("heap_live") == nil {
		// What the last collection found live: unlike memstats' HeapAlloc
		// and HeapInuse, not raised by garbage made since (forcing a
		// collection through /debug/pprof/heap builds a profile after it).
		expvar.Publish("heap_live", expvar.Func(func() any {
			s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			metrics.Read(s)
			return s[0].Value.Uint64()
		}))
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	return mgmt.NewHostGuard(host).Wrap(mux)
}
