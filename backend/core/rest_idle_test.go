package core

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
)

// RestWhenIdle: a server rests once start-up is over, is woken by a
// request, stays awake while requests keep coming or one is in flight, and
// rests again once they stop.
func TestRestWhenIdle(t *testing.T) {
	oldQuiet, oldSettle := quietRest, settleLook
	quietRest, settleLook = 400*time.Millisecond, 100*time.Millisecond
	t.Cleanup(func() { quietRest, settleLook = oldQuiet, oldSettle })

	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	in := startCfg(t, cfg)
	key := localKey(t, in)
	base := "http://" + in.Server.Addr()
	models := func() {
		t.Helper()
		if code, _, _ := do(t, http.DefaultClient, "GET", base+"/v1/models", map[string]string{"Authorization": "Bearer " + key}, ""); code != 200 {
			t.Fatalf("models: %d", code)
		}
	}
	restsWithin := func(what string, d time.Duration) {
		t.Helper()
		for end := time.Now().Add(d); !in.resting.Load(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not at rest after %v", what, d)
			}
		}
	}

	if in.resting.Load() {
		t.Fatal("at rest before RestWhenIdle")
	}
	in.RestWhenIdle(50 * time.Millisecond)
	restsWithin("after start-up", 5*time.Second)

	models() // wakes it
	if in.resting.Load() {
		t.Fatal("a request did not wake the server")
	}
	// Requests every 50 ms: each look (400 ms apart) sees new ones.
	for end := time.Now().Add(3 * quietRest); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		models()
		if in.resting.Load() {
			t.Fatal("rested while requests kept coming")
		}
	}
	restsWithin("after the requests stopped", 10*quietRest)

	// A request in flight (its body still coming) keeps the server awake
	// with no other request.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", pr)
	req.Header.Set("Authorization", "Bearer "+key)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if _, err := io.WriteString(pw, `{"model":"nobody/m","messages":[`); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); in.resting.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the request in flight did not wake the server")
		}
	}
	time.Sleep(4 * quietRest)
	if in.resting.Load() {
		t.Fatal("rested with a request in flight")
	}
	io.WriteString(pw, `{"role":"user","content":"hi"}]}`)
	pw.Close()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Fatal(err)
	}
	restsWithin("after the request in flight ended", 10*quietRest)
}

// RestAfterTraffic (the desktop while its window is hidden): on, traffic
// that wakes the instance from a rest is followed by another rest once it
// stops; off (the window shown), it is not, even when it was turned off
// while a watch was running. Turning it on does not rest by itself.
func TestRestAfterTraffic(t *testing.T) {
	oldQuiet := quietRest
	quietRest = 300 * time.Millisecond
	t.Cleanup(func() { quietRest = oldQuiet })

	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	in := startCfg(t, cfg)
	key := localKey(t, in)
	wake := func() {
		t.Helper()
		if code, _, _ := do(t, http.DefaultClient, "GET", "http://"+in.Server.Addr()+"/v1/models", map[string]string{"Authorization": "Bearer " + key}, ""); code != 200 {
			t.Fatalf("models: %d", code)
		}
		if in.resting.Load() {
			t.Fatal("a request did not wake the instance")
		}
	}
	staysAwake := func(what string) {
		t.Helper()
		time.Sleep(4 * quietRest)
		if in.resting.Load() {
			t.Fatalf("%s: rested", what)
		}
	}

	in.RestAfterTraffic(true)
	staysAwake("turned on, no rest to wake from")
	in.Rest()
	wake()
	for end := time.Now().Add(10 * quietRest); !in.resting.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("on: no rest after the traffic stopped")
		}
	}

	wake() // a watch starts; the window is shown before it looks
	in.RestAfterTraffic(false)
	staysAwake("turned off while watching")

	in.Rest()
	wake()
	staysAwake("off")
}
