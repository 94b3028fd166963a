package core

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"switchboard/backend/config"
)

// TestConfigKeysChangeOnlyWithConfigFile: a CLI command run without
// --config (keys list, providers add…) must not revoke the keys the
// operator's config file declares; only applying a file that no longer
// declares a key revokes it.
func TestConfigKeysChangeOnlyWithConfigFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const ciKey = "sk-sb-ci-0123456789abcdef"
	open := func(cfg config.Config) *Instance {
		t.Helper()
		cfg.DataDir = dir
		in, err := Open(ctx, cfg, Options{Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	load := func(yaml string) config.Config {
		t.Helper()
		path := filepath.Join(t.TempDir(), "switchboard.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, config.Default())
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	in := open(load("keys:\n  - name: ci\n    key: " + ciKey + "\n"))
	if _, ok := in.Keys.Verify(ciKey); !ok {
		t.Fatal("key declared in the config file was not imported")
	}
	in.DB.Close()

	// Like `switchboard keys list` with no --config and no SWITCHBOARD_CONFIG.
	in = open(config.Default())
	if _, ok := in.Keys.Verify(ciKey); !ok {
		t.Fatal("opening without a config file revoked a config-declared key")
	}
	in.DB.Close()

	// A config file that no longer declares the key is applied: it goes.
	in = open(load("keys: []\n"))
	if _, ok := in.Keys.Verify(ciKey); ok {
		t.Fatal("key removed from the config file is still valid")
	}
	in.DB.Close()
}
