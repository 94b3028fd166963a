// Command switchboard-tray is the macOS tray icon. Wails and systray both
// define the Objective-C class AppDelegate, so on macOS the tray cannot live
// in the app's binary; this helper ships inside the .app bundle, talks to
// the app over the loopback management API with a per-launch session token
// (SWITCHBOARD_TRAY_TOKEN), and exits when the app is gone.
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/getlantern/systray"
)

//go:embed tray.png
var icon []byte

type status struct {
	Endpoint string `json:"endpoint"`
	Requests int64  `json:"requests"`
}

type api struct {
	base, token string
	c           *http.Client
}

func (a *api) do(method, path string, out any) error {
	req, err := http.NewRequest(method, a.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
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

func main() {
	base := flag.String("api", "http://127.0.0.1:20128", "the app's management API")
	flag.Int("parent", 0, "the app's process id (informational)")
	flag.Parse()
	a := &api{base: strings.TrimRight(*base, "/"), token: os.Getenv("SWITCHBOARD_TRAY_TOKEN"), c: &http.Client{Timeout: 3 * time.Second}}
	systray.Run(func() { ready(a) }, func() {})
}

func ready(a *api) {
	systray.SetTemplateIcon(icon, icon)
	systray.SetTooltip("Switchboard")
	mStatus := systray.AddMenuItem("Switchboard: starting…", "")
	mStatus.Disable()
	mReq := systray.AddMenuItem("Requests served: 0", "")
	mReq.Disable()
	mOpen := systray.AddMenuItem("Open dashboard", "Show the Switchboard window")
	systray.AddSeparator()
	mQuit := systray.AddMenuItem("Quit Switchboard", "")
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		misses := 0
		for {
			select {
			case <-mOpen.ClickedCh:
				if err := a.do("POST", "/api/instance/show", nil); err != nil {
					log.Printf("tray: open dashboard: %v", err)
				}
			case <-mQuit.ClickedCh:
				_ = a.do("POST", "/api/app/quit", nil)
				systray.Quit()
				return
			case <-t.C:
				var st status
				if err := a.do("GET", "/api/status", &st); err != nil {
					// The app is gone (or unreachable for a while): leave too.
					if misses++; misses >= 3 {
						systray.Quit()
						return
					}
					continue
				}
				misses = 0
				mStatus.SetTitle("Switchboard: running on " + st.Endpoint)
				mReq.SetTitle(fmt.Sprintf("Requests served: %d", st.Requests))
			}
		}
	}()
}
