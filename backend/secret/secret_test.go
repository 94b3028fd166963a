package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestSealRoundTripAndKeyFile(t *testing.T) {
	dir := t.TempDir()
	s, err := LoadSealer(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "key-file" {
		t.Fatalf("source = %q", s.Source)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	sealed := s.Seal([]byte("sk-live-upstream"), []byte("acct-1"))
	if bytes.Contains([]byte(sealed), []byte("sk-live")) {
		t.Fatal("plaintext visible in sealed value")
	}
	// A second load reads the same key file and opens the value.
	s2, err := LoadSealer(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := s2.Open(sealed, []byte("acct-1"))
	if err != nil || string(pt) != "sk-live-upstream" {
		t.Fatalf("open = %q, %v", pt, err)
	}
	if _, err := s2.Open(sealed, []byte("acct-2")); err == nil {
		t.Fatal("value opened under another row's aad")
	}
	mid := len(sealed) / 2
	flip := byte('A')
	if sealed[mid] == 'A' {
		flip = 'B'
	}
	tampered := sealed[:mid] + string(flip) + sealed[mid+1:]
	if _, err := s2.Open(tampered, []byte("acct-1")); err == nil {
		t.Fatal("tampered value opened")
	}
}

func TestKeyFilePermissionsTightened(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSealer(Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, KeyFileName)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSealer(Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v not tightened", st.Mode().Perm())
	}
}

func TestCorruptKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSealer(Options{DataDir: dir}); err == nil {
		t.Fatal("corrupt key accepted")
	}
}

func TestValueNeverPrints(t *testing.T) {
	v := Value("sk-secret")
	type wrap struct{ K Value }
	j, _ := json.Marshal(wrap{v})
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v", v, wrap{v}, v), string(j)} {
		if bytes.Contains([]byte(s), []byte("sk-secret")) {
			t.Fatalf("leaked: %s", s)
		}
	}
	if v.Reveal() != "sk-secret" {
		t.Fatal("reveal")
	}
}
