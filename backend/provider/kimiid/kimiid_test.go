package kimiid

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		goos, goarch, release, model string
	}{
		{"linux", "amd64", "6.8.0-45-generic", "Linux 6.8.0-45-generic x86_64"},
		{"linux", "arm64", "", "Linux aarch64"},
		{"darwin", "arm64", "", "macOS arm64"},
		{"windows", "amd64", "", "Windows AMD64"},
		{"freebsd", "riscv64", "", "freebsd riscv64"},
	} {
		id := New("dev-box", "/home/ada", tc.goos, tc.goarch, tc.release)
		if id.DeviceModel != tc.model {
			t.Errorf("%s/%s: model %q, want %q", tc.goos, tc.goarch, id.DeviceModel, tc.model)
		}
	}
	a, b := New("dev-box", "/home/ada", "linux", "amd64", ""), New("dev-box", "/home/ada", "linux", "amd64", "")
	if a.DeviceID != b.DeviceID || len(a.DeviceID) != 32 || strings.Contains(a.DeviceID, "dev-box") {
		t.Errorf("device id %q (again %q): want the same 32 hex digits, not the host name", a.DeviceID, b.DeviceID)
	}
	if other := New("dev-box", "/home/bob", "linux", "amd64", ""); other.DeviceID == a.DeviceID {
		t.Error("two users of one machine share a device id")
	}
	if a.OSVersion != "unknown" {
		t.Errorf("os version %q; an unknown release says unknown", a.OSVersion)
	}
}

// Header values keep printable ASCII only: a host name in another script
// or with a control character cannot break the request.
func TestHeadersAreASCII(t *testing.T) {
	id := New("Ada’s Mac\r\nX-Evil: 1", "/h", "darwin", "arm64", "23.6.0\x00")
	h := id.Headers()
	if h["X-Msh-Device-Name"] != "Adas MacX-Evil: 1" || h["X-Msh-Os-Version"] != "23.6.0" {
		t.Errorf("headers %q", h)
	}
	if New("日本", "/h", "linux", "amd64", "").DeviceName != "unknown" {
		t.Error("a name with no ASCII left should say unknown")
	}
	if h["X-Msh-Platform"] != "kimi_cli" || h["X-Msh-Version"] != Version || len(h) != 6 {
		t.Errorf("headers %q", h)
	}
}
