package app

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestDebugEndpointHostGuard: a page on evil.example that rebinds its name
// to 127.0.0.1 must not read profiles or expvar from the debug endpoint;
// the loopback names the endpoint is reached by still work.
func TestDebugEndpointHostGuard(t *testing.T) {
	ln, err := serveDebug("127.0.0.1:0")
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
	if _, err := serveDebug("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a non-loopback debug address was accepted: %v", err)
	}
}
