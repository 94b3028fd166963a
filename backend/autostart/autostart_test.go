package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// go-autostart reads XDG_CONFIG_HOME in its init, before any test runs, so
// the test re-runs its own binary as a child with the variable set; the
// child does the work (childMode) and the parent checks the file it left.
const childEnv = "SWITCHBOARD_AUTOSTART_TEST_CHILD"

func TestLaunchAtLoginWritesAnXDGDesktopFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG autostart file is Linux's; macOS and Windows are built but not run here")
	}
	if mode := os.Getenv(childEnv); mode != "" {
		childMode(t, mode)
		return
	}
	cfg := t.TempDir()
	child := func(mode string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLaunchAtLoginWritesAnXDGDesktopFile$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+mode, "XDG_CONFIG_HOME="+cfg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child %s: %v\n%s", mode, err, out)
		}
		return string(out)
	}
	child("enable")
	file := filepath.Join(cfg, "autostart", "switchboard.desktop")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no autostart entry: %v", err)
	}
	want := "[Desktop Entry]\nType=Application\nName=Switchboard\nExec=\"/opt/Switchboard Test/switchboard\" \"--minimized\"\nIcon=switchboard\nX-GNOME-Autostart-enabled=true\n"
	if string(b) != want {
		t.Fatalf("autostart file:\n%s\nwant:\n%s", b, want)
	}
	var execLine string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Exec=") {
			execLine = l
		}
	}
	if !strings.HasSuffix(execLine, `"--minimized"`) {
		t.Fatalf("Exec line does not start minimised: %s", execLine)
	}
	child("disable")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("entry still there after disabling: %v", err)
	}
	child("disable") // idempotent
}

func childMode(t *testing.T, mode string) {
	it := New("/opt/Switchboard Test/switchboard", MinimizedFlag)
	switch mode {
	case "enable":
		if err := it.Set(true); err != nil {
			t.Fatal(err)
		}
		if err := it.Set(true); err != nil { // again: rewrites, no error
			t.Fatal(err)
		}
		if !it.Enabled() {
			t.Fatal("not enabled after Set(true)")
		}
	case "disable":
		if err := it.Set(false); err != nil {
			t.Fatal(err)
		}
		if it.Enabled() {
			t.Fatal("still enabled after Set(false)")
		}
	}
}

func TestForThisAppPrefersTheAppImage(t *testing.T) {
	t.Setenv("APPIMAGE", "/home/me/Apps/Switchboard-x86_64.AppImage")
	it, err := ForThisApp()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(it.Exec(), " "); got != "/home/me/Apps/Switchboard-x86_64.AppImage --minimized" {
		t.Fatalf("exec %q", got)
	}
	t.Setenv("APPIMAGE", "")
	it, _ = ForThisApp()
	if ex := it.Exec(); len(ex) != 2 || !filepath.IsAbs(ex[0]) || ex[1] != MinimizedFlag {
		t.Fatalf("exec %q", ex)
	}
}
