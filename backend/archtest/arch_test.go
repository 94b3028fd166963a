package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

var forbidden = []string{"github.com/wailsapp/", "github.com/getlantern/systray"}

func TestBackendDoesNotImportDesktopShell(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Deps", "switchboard/backend/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, "switchboard/backend") {
			continue
		}
		checked++
		for _, d := range append(p.Deps, p.ImportPath) {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s: backend/ must not import the desktop shell", p.ImportPath, d)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d backend packages checked", checked)
	}
}

// The -tags headless build (servers, CI) must not link the GUI stack.
func TestHeadlessBuildHasNoDesktopShell(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "headless", "switchboard").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Split(string(out), "\n")
	if len(deps) < 50 {
		t.Fatalf("only %d deps listed", len(deps))
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("the headless build depends on %s", d)
			}
		}
	}
}
