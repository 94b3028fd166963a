//go:build !bindings && !headless

package app

import (
	"os"
	"testing"
)

// The window's WebKit settings are applied unless the user set them.
func TestQuietWebKitKeepsTheUsersChoice(t *testing.T) {
	const k = "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR"
	t.Setenv(k, "")
	os.Unsetenv(k)
	quietWebKit()
	if v, ok := os.LookupEnv(k); !ok || v != "1" {
		t.Fatalf("%s = %q (set %v), want \"1\"", k, v, ok)
	}
	t.Setenv(k, "0")
	quietWebKit()
	if v := os.Getenv(k); v != "0" {
		t.Fatalf("the user's %s=0 became %q", k, v)
	}
}
