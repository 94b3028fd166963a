package core

import (
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestDebugEndpointHostGuard: a page on evil.example that rebinds its name
// to 127.0.0.1 must not read profiles or expvar from the debug endpoint;
// the loopback names the endpoint is reached by still work.
func TestDebugEndpointHostGuard(t *testing.T) {
	ln, err := ServeDebug("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"evil.example", "/debug/vars", http.StatusForbidden},
		{"evil.example:" + port, "/debug/pprof/goroutine?debug=1", http.StatusForbidden},
		{"127.0.0.1:" + port, "/debug/vars", http.StatusOK},
		{"localhost:" + port, "/debug/pprof/goroutine?debug=1", http.StatusOK},
	} {
		req, err := http.NewRequest("GET", "http://"+addr+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Host %s %s: status %d, want %d", tc.host, tc.path, resp.StatusCode, tc.want)
		}
	}
	if _, err := ServeDebug("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a non-loopback debug address was accepted: %v", err)
	}
}

// TestDebugVarsHeapLiveLeavesOutLaterGarbage: heap_live is what the last
// collection found live, so garbage made after it (the heap profile that
// forcing a collection through /debug/pprof/heap builds) raises memstats'
// HeapAlloc and not heap_live. scripts/bench.sh's after-load heap lines
// read it for that reason.
func TestDebugVarsHeapLiveLeavesOutLaterGarbage(t *testing.T) {
	ln, err := ServeDebug("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	read := func() (live, alloc uint64) {
		resp, err := http.Get("http://" + ln.Addr().String() + "/debug/vars")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			HeapLive uint64 `json:"heap_live"`
			Memstats struct{ HeapAlloc uint64 }
		}
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v.HeapLive, v.Memstats.HeapAlloc
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection while the garbage is counted
	const size = 16 << 20
	kept := make([]byte, size)
	runtime.GC()
	liveKept, _ := read()
	if liveKept < size {
		t.Fatalf("heap_live %d after a collection that found %d bytes live", liveKept, size)
	}
	runtime.KeepAlive(kept)
	kept = nil
	runtime.GC()
	garbage := make([]byte, size)
	live, alloc := read()
	runtime.KeepAlive(garbage)
	if live+size/2 > liveKept {
		t.Errorf("heap_live %d, %d before the kept %d bytes were dropped", live, liveKept, size)
	}
	if alloc < live+size {
		t.Errorf("HeapAlloc %d, heap_live %d: the %d bytes made after the collection should count in HeapAlloc only", alloc, live, size)
	}
}
