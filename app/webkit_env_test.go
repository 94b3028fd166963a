//go:build !bindings && !headless

package app

import (
	"os"
	"testing"
)

// The window's WebKit settings are applied unless the user set them, and
// the JIT setting is taken back (jitForOthers) only when the app set it.
func TestQuietWebKitKeepsTheUsersChoice(t *testing.T) {
	want := map[string]string{"WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR": "1", "JSC_useJIT": "0"}
	for k := range want {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	set := quietWebKit()
	for k, v := range want {
		if got, ok := os.LookupEnv(k); !ok || got != v {
			t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
		}
	}
	jitForOthers(set)
	if v, ok := os.LookupEnv("JSC_useJIT"); ok {
		t.Errorf("JSC_useJIT=%q is left for the processes the app starts", v)
	}

	for k := range want {
		t.Setenv(k, "7") // the user's
	}
	set = quietWebKit()
	jitForOthers(set)
	for k := range want {
		if v := os.Getenv(k); v != "7" {
			t.Errorf("the user's %s=7 became %q", k, v)
		}
	}
}
