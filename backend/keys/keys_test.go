package keys

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCreateVerifyRevoke(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	k, secret, err := s.Create(ctx, "laptop", SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, Prefix) || len(secret) != len(Prefix)+40 {
		t.Fatalf("secret shape %q", secret)
	}
	if k.Last4 != secret[len(secret)-4:] {
		t.Fatalf("last4 %q", k.Last4)
	}
	if got, ok := s.Verify(secret); !ok || got.ID != k.ID {
		t.Fatal("valid key rejected")
	}
	if _, ok := s.Verify(secret + "x"); ok {
		t.Fatal("wrong key accepted")
	}
	if _, _, err := s.Create(ctx, "laptop", SourceCLI); err != ErrExists {
		t.Fatalf("duplicate name: %v", err)
	}
	// A fresh service (restart) still verifies from the database.
	s2, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Verify(secret); !ok {
		t.Fatal("key lost across restart")
	}
	if err := s2.Revoke(ctx, "laptop"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Verify(secret); ok {
		t.Fatal("revoked key accepted")
	}
	if err := s2.Revoke(ctx, "laptop"); err != ErrNotFound {
		t.Fatalf("revoke twice: %v", err)
	}
}

// The plaintext key must not exist anywhere on disk: DB file or WAL.
func TestSecretNeverStoredInPlainText(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sb.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(ctx, db)
	_, secret, err := s.Create(ctx, "k1", SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	s.Verify(secret)
	if err := s.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	check := func() {
		files, _ := filepath.Glob(path + "*")
		if len(files) == 0 {
			t.Fatal("no db files")
		}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[len(Prefix):])) {
				t.Fatalf("plaintext key found in %s", f)
			}
		}
	}
	check() // WAL still holds the writes here
	db.Close()
	check()
}

func TestSyncConfig(t *testing.T) {
	ctx := context.Background()
	s, _ := New(ctx, openDB(t))
	_, cliSecret, _ := s.Create(ctx, "mine", SourceCLI)
	a, b := "sk-sb-aaaaaaaaaaaaaaaaaaaa", "sk-sb-bbbbbbbbbbbbbbbbbbbb"
	if err := s.SyncConfig(ctx, map[string]Declared{"ci": {Secret: a}, "deploy": {Secret: b}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify(a); !ok {
		t.Fatal("config key not imported")
	}
	c := "sk-sb-cccccccccccccccccccc"
	if err := s.SyncConfig(ctx, map[string]Declared{"ci": {Secret: c, Policy: Policy{RPM: 7}}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify(a); ok {
		t.Fatal("replaced config key still valid")
	}
	if _, ok := s.Verify(b); ok {
		t.Fatal("removed config key still valid")
	}
	if k, ok := s.Verify(c); !ok || k.Policy.RPM != 7 {
		t.Fatalf("new config key not valid or its policy not set: %+v", k)
	}
	if _, err := s.SetPolicy(ctx, "ci", Policy{}); !errors.Is(err, ErrConfigOwned) {
		t.Fatalf("a config key's policy changed from outside the file: %v", err)
	}
	if err := s.SyncConfig(ctx, map[string]Declared{"ci": {Secret: c, Policy: Policy{RPM: 9}}}); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Get("ci"); k.Policy.RPM != 9 {
		t.Fatalf("changed config policy not applied: %+v", k.Policy)
	}
	if _, ok := s.Verify(cliSecret); !ok {
		t.Fatal("sync touched a non-config key")
	}
}

func TestNameValidation(t *testing.T) {
	s, _ := New(context.Background(), openDB(t))
	for _, bad := range []string{"", " lead", strings.Repeat("x", 65), "a/b"} {
		if _, _, err := s.Create(context.Background(), bad, SourceCLI); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// A key created by another process (the CLI) while the server runs is
// accepted on first use, without a restart.
func TestKeyFromAnotherProcessPickedUp(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	server, _ := New(ctx, db)
	cli, _ := New(ctx, db)
	_, secret, err := cli.Create(ctx, "from-cli", SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Verify(secret); !ok {
		t.Fatal("key created elsewhere not picked up")
	}
	if _, ok := server.Verify("sk-sb-unknown-unknown-unknown"); ok {
		t.Fatal("garbage accepted")
	}
}

// RunFlusher writes a key's use within the flush interval; a key revoked
// by another process stops working at the next Reload (which the instance
// runs when the database changes: core's TestKeyRevokedByAnotherProcess…),
// not before: nothing here polls.
func TestFlusherFlushesAfterUseAndReloadDropsRevoked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	server, _ := New(ctx, db)
	cli, _ := New(ctx, db)
	k, secret, err := server.Create(ctx, "shared", SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		server.RunFlusher(ctx, 20*time.Millisecond)
		close(done)
	}()
	lastUsed := func() int64 {
		var v int64
		if err := db.QueryRow(`SELECT last_used_at FROM api_keys WHERE id = ?`, k.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if _, ok := server.Verify(secret); !ok {
		t.Fatal("new key refused")
	}
	deadline := time.Now().Add(5 * time.Second)
	for lastUsed() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the key's use was never flushed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cli.Revoke(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Verify(secret); !ok {
		t.Fatal("revoked elsewhere and dropped before any reload: the test cannot tell reloads apart")
	}
	if err := server.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Verify(secret); ok {
		t.Fatal("a key revoked by another process still works after the reload")
	}
	cancel()
	<-done
}

// Authenticate runs for every request: a known key costs no allocation.
func TestAuthenticateAllocatesNothing(t *testing.T) {
	s, _ := newTestService(t)
	_, secret, err := s.Create(context.Background(), "agent", SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	gateOf(t, s, secret)
	if n := testing.AllocsPerRun(100, func() { gateOf(t, s, secret) }); n != 0 {
		t.Errorf("Authenticate: %v allocations, want 0", n)
	}
}
