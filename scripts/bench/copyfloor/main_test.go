package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"switchboard/backend/rawsock"
)

// The framer stops at the end of a chunked message (extensions and
// trailers included) however the bytes are split across reads, and leaves
// what follows it alone.
func TestFramerFindsTheEnd(t *testing.T) {
	msg := "5;ext=1\r\nhello\r\n1A\r\n" + strings.Repeat("x", 26) + "\r\n0\r\nTrailer: v\r\n\r\n"
	next := "HTTP/1.1 200 OK\r\n"
	for split := 0; split <= len(msg); split++ {
		var f framer
		b := []byte(msg + next)
		used1, done1 := f.scan(b[:split])
		if used1 != split || (done1 && split != len(msg)) {
			t.Fatalf("split %d: first part used %d, done %v", split, used1, done1)
		}
		if done1 {
			continue
		}
		used2, done2 := f.scan(b[split:])
		if !done2 || split+used2 != len(msg) {
			t.Fatalf("split %d: ended %v at %d, want %d", split, done2, split+used2, len(msg))
		}
	}
}

// serve carries requests with bodies and both kinds of answers over one
// kept client connection, byte for byte.
func TestServeRelaysOverKeptConnections(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.URL.Path == "/stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < 3; i++ {
				_, _ = io.WriteString(w, "data: "+strings.Repeat("y", 5000*i)+"\n\n")
				w.(http.Flusher).Flush()
			}
			return
		}
		_, _ = w.Write(append([]byte("echo:"), b...))
	}))
	defer up.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go serve(rawsock.Wrap(c), up.Listener.Addr().String())
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	big := bytes.Repeat([]byte("z"), 300<<10)
	for i, tc := range []struct{ path, body, want string }{
		{"/json", "small", "echo:small"},
		{"/stream", "s", "data: \n\ndata: " + strings.Repeat("y", 5000) + "\n\ndata: " + strings.Repeat("y", 10000) + "\n\n"},
		{"/json", string(big), "echo:" + string(big)},
		{"/stream", "again", "data: \n\ndata: " + strings.Repeat("y", 5000) + "\n\ndata: " + strings.Repeat("y", 10000) + "\n\n"},
	} {
		resp, err := client.Post("http://"+ln.Addr().String()+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != tc.want {
			t.Fatalf("request %d: %d bytes (%v), want %d", i, len(got), err, len(tc.want))
		}
		mu.Lock()
		gotBody := bodies[i]
		mu.Unlock()
		if gotBody != tc.body {
			t.Fatalf("request %d: the upstream got %d bytes, want %d", i, len(gotBody), len(tc.body))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d client connections for 4 requests, want 1 kept", n)
	}
}
