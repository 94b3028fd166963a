//go:build darwin

package i18n

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// osLocale reads the first of the user's preferred languages (System
// Settings → Language & Region): apps started from Finder get no LANG.
func osLocale() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "defaults", "read", "-g", "AppleLanguages").Output()
	if err != nil {
		return ""
	}
	// (\n    "fi-FI",\n    "en-US"\n)
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.Trim(strings.TrimSpace(line), `",()`)
		if line != "" {
			return line
		}
	}
	return ""
}
