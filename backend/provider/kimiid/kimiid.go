// Package kimiid is the identity the Kimi CLI (MoonshotAI/kimi-cli)
// announces to Kimi's servers: a product User-Agent and six X-Msh-* device
// headers. Both the sign-in (package oauth: auth.kimi.com wants the device
// headers on every device, poll and refresh call) and the upstream quirk
// (package provider: api.kimi.com/coding admits sign-in traffic only from
// clients on its allow-list, answering 403 access_terminated_error to the
// rest, MoonshotAI/kimi-code#636) send it, so it lives apart from both.
package kimiid

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"runtime"
	"strings"
	"sync"
)

const (
	// Version is the kimi-cli release the identity is taken from
	// (pyproject.toml at MoonshotAI/kimi-cli 4a550ef, 2026-07-16).
	Version = "1.49.0"
	// Platform is kimi-cli's X-Msh-Platform. The coding API accepts it;
	// it refused kimi-code's "kimi_code_cli" when that client shipped.
	Platform = "kimi_cli"
	// UserAgent is kimi-cli's ("KimiCLI/<version>", kimi_cli/constant.py).
	UserAgent = "KimiCLI/" + Version
)

// Identity is the per-machine part of the device headers.
type Identity struct {
	DeviceName  string // the host name
	DeviceModel string // "<os> <release> <arch>", as kimi-cli builds it
	OSVersion   string // the kernel release where known
	DeviceID    string // stable per machine and user, 32 hex digits
}

// Headers are the X-Msh-* headers, canonical names.
func (id Identity) Headers() map[string]string {
	return map[string]string{
		"X-Msh-Platform":     Platform,
		"X-Msh-Version":      Version,
		"X-Msh-Device-Name":  id.DeviceName,
		"X-Msh-Device-Model": id.DeviceModel,
		"X-Msh-Os-Version":   id.OSVersion,
		"X-Msh-Device-Id":    id.DeviceID,
	}
}

// Local is this machine's identity, worked out once.
var Local = sync.OnceValue(func() Identity {
	host, _ := os.Hostname()
	home, _ := os.UserHomeDir()
	release := kernelRelease()
	return New(host, home, runtime.GOOS, runtime.GOARCH, release)
})

// New builds an identity from the machine's facts. kimi-cli keeps a random
// device id in ~/.kimi/device_id; this one is derived instead (a one-way
// hash of host and home), so it is stable without Switchboard storing
// anything and says nothing about the machine.
func New(host, home, goos, goarch, release string) Identity {
	sum := sha256.Sum256([]byte("switchboard kimi device\x00" + host + "\x00" + home))
	osName := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[goos]
	if osName == "" {
		osName = goos
	}
	arch := goarch
	switch {
	case goarch == "amd64" && goos == "windows":
		arch = "AMD64"
	case goarch == "amd64":
		arch = "x86_64"
	case goarch == "arm64" && goos == "linux":
		arch = "aarch64"
	}
	model := osName + " " + arch
	if release != "" {
		model = osName + " " + release + " " + arch
	}
	return Identity{
		DeviceName:  ascii(host),
		DeviceModel: ascii(model),
		OSVersion:   ascii(release),
		DeviceID:    hex.EncodeToString(sum[:16]),
	}
}

// kernelRelease reads Linux's kernel release; other systems report none
// (the header then says "unknown", as kimi-cli's fallback does).
func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ascii keeps printable ASCII only: a header value must not carry control
// characters, and kimi-cli strips the rest the same way.
func ascii(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s))
	if s == "" {
		return "unknown"
	}
	return s
}
