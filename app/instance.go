package app

import (
	"encoding/json"
	"net/http"
	"time"
)

// focusRunning asks a Switchboard already serving on addr to show its
// window. It reports whether the program on that port is Switchboard and
// accepted. Wails' own single-instance lock covers launches on other ports.
func focusRunning(addr string) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/api/instance")
	if err != nil {
		return false
	}
	var who struct{ App string }
	err = json.NewDecoder(resp.Body).Decode(&who)
	resp.Body.Close()
	if err != nil || who.App != "switchboard" {
		return false
	}
	resp, err = c.Post("http://"+addr+"/api/instance/show", "application/json", nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}
