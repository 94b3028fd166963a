// Command switchboard-tray is the macOS tray icon. Wails and systray both
// define the Objective-C class AppDelegate, so on macOS the tray cannot live
// in the app's binary; this helper ships inside the .app bundle
// (Contents/MacOS/switchboard-tray), talks to the app over the loopback
// management API with a per-launch session token (SWITCHBOARD_TRAY_TOKEN),
// and exits when the app is gone.
//
// It shows exactly the menu the app computes (app.TrayMenu): it fetches the
// model from GET /api/tray once a second (the model lives in the app's
// memory; no database is read for it) and posts the clicked item's action
// to POST /api/tray/action. It builds on Linux too, for tests and for
// desktops where the tray must live in another process.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/getlantern/systray"

	"switchboard/app/trayhelper/traymenu"
	"switchboard/app/trayhelper/trayrender"
)

// Polling and liveness.
const (
	pollEvery = time.Second
	maxMisses = 3 // consecutive failed fetches before the helper leaves
)

type api struct {
	base, token string
	c           *http.Client
}

func (a *api) do(method, path string, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (a *api) menu() (traymenu.Model, error) {
	var m traymenu.Model
	err := a.do("GET", "/api/tray", nil, &m)
	return m, err
}

func (a *api) act(action string) error {
	return a.do("POST", "/api/tray/action", map[string]string{"action": action}, nil)
}

func main() {
	base := flag.String("api", "http://127.0.0.1:20128", "the app's management API")
	parent := flag.Int("parent", 0, "the app's process id: the helper exits when it is gone")
	flag.Parse()
	a := &api{base: strings.TrimRight(*base, "/"), token: os.Getenv("SWITCHBOARD_TRAY_TOKEN"), c: &http.Client{Timeout: 3 * time.Second}}
	systray.Run(func() { ready(a, *parent) }, func() {})
}

// alive reports whether the parent process still exists.
func alive(pid int) bool {
	if pid <= 0 || runtime.GOOS == "windows" { // Windows has no signal 0
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

func ready(a *api, parent int) {
	hideFromDock()
	r := trayrender.New()
	var mu sync.Mutex
	var current traymenu.Model
	apply := func(m traymenu.Model) {
		if err := r.Apply(m); err != nil {
			log.Printf("tray: %v", err)
			return
		}
		mu.Lock()
		current = m
		mu.Unlock()
	}
	// The app starts the helper once it is serving; allow it a moment.
	var m traymenu.Model
	var err error
	for i := 0; i < 20; i++ {
		if m, err = a.menu(); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		log.Printf("tray: the app does not answer (%v); leaving", err)
		systray.Quit()
		return
	}
	apply(m)
	log.Printf("tray ready (helper, %d items)", len(m.Items))

	go func() {
		for id := range r.Clicks() {
			mu.Lock()
			it, ok := current.Item(id)
			mu.Unlock()
			if !ok || it.Action == "" {
				continue
			}
			if err := a.act(it.Action); err != nil {
				log.Printf("tray: %s: %v", it.Action, err)
			}
			if it.Action == "quit" {
				systray.Quit()
				return
			}
		}
	}()
	go func() {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		misses := 0
		for range t.C {
			if !alive(parent) {
				systray.Quit()
				return
			}
			m, err := a.menu()
			if err != nil {
				// The app is gone (or unreachable for a while): leave too.
				if misses++; misses >= maxMisses {
					systray.Quit()
					return
				}
				continue
			}
			misses = 0
			apply(m)
		}
	}()
}
