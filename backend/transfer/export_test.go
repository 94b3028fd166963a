package transfer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"switchboard/backend/accounts"
	"switchboard/backend/config"
	"switchboard/backend/provider"
)

func init() { WorkFactor = 10 } // tests: fast scrypt

// seeded imports the 9router fixture into a fresh store and returns what
// it holds, secrets opened.
func seeded(t *testing.T) (Setup, []string) {
	t.Helper()
	t.Setenv("STORAGE_ENCRYPTION_KEY", "")
	dir := t.TempDir()
	make9router(t, dir)
	makeOmniRoute(t, dir)
	db, sealer := testStore(t)
	for _, peer := range []string{"9router", "omniroute"} {
		s, _, _, err := ReadPeer(peer, dir, "/x", func(string) string { return "" })
		must(t, err)
		_, err = Apply(context.Background(), db, sealer, s, Options{})
		must(t, err)
	}
	_, err := db.Exec(`INSERT INTO settings(key, value, updated_at) VALUES ('ui', '{"theme":"dark","logRequestBodies":true}', 1)`)
	must(t, err)
	s, err := Read(context.Background(), db, sealer, "test")
	must(t, err)
	var secrets []string
	for _, a := range s.Accounts {
		secrets = append(secrets, a.APIKey)
		if a.SignIn != nil {
			secrets = append(secrets, a.SignIn.Access, a.SignIn.Refresh)
		}
	}
	return s, nonEmpty(secrets)
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// The export holds every secret, yet none of them (nor any name) is
// readable in the file; the right passphrase gives back exactly the setup,
// a wrong one is refused, and so are files of another kind.
func TestExportEncryptedAndRefusesWrongPassphrase(t *testing.T) {
	s, secrets := seeded(t)
	if len(secrets) < 8 {
		t.Fatalf("the seeded setup has only %d secrets", len(secrets))
	}
	file, err := Seal(s, "correct horse battery staple")
	must(t, err)
	for _, sec := range append(secrets, "openai/work", "laptop", "mylab", "dev@example.com") {
		if bytes.Contains(file, []byte(sec)) {
			t.Fatalf("the export file holds %q in the clear", sec)
		}
	}
	if !bytes.HasPrefix(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		t.Fatalf("not an armored age file: %.60q", file)
	}
	got, err := Open(file, "correct horse battery staple")
	must(t, err)
	if len(got.Accounts) != len(s.Accounts) || got.Accounts[0].APIKey != s.Accounts[0].APIKey || len(got.Keys) != len(s.Keys) {
		t.Fatalf("the opened setup differs: %d accounts, want %d", len(got.Accounts), len(s.Accounts))
	}
	if _, err := Open(file, "correct horse battery stapler"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open([]byte("hello, not age"), "whatever1"); !errors.Is(err, ErrNotExport) {
		t.Fatalf("not an export: %v", err)
	}
	if _, err := Seal(s, "short"); err == nil {
		t.Fatal("a 5-character passphrase was accepted")
	}
	s.Version = Version + 1
	newer, _ := Seal(s, "correct horse battery staple")
	if _, err := Open(newer, "correct horse battery staple"); !errors.Is(err, ErrNotExport) || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("newer layout: %v", err)
	}
}

// Import into a fresh store, then export that: the same setup (secrets,
// sign-ins, keys by hash, combos, aliases, settings).
func TestExportImportRoundTrip(t *testing.T) {
	s, _ := seeded(t)
	file, err := Seal(s, "correct horse battery staple")
	must(t, err)
	opened, err := Open(file, "correct horse battery staple")
	must(t, err)
	db, sealer := testStore(t)
	r, err := Apply(context.Background(), db, sealer, opened, Options{})
	must(t, err)
	if r.Skipped != 0 || r.Updated != 0 {
		t.Fatalf("fresh import skipped or updated:\n%s", r.Text())
	}
	back, err := Read(context.Background(), db, sealer, "test")
	must(t, err)
	if a, b := summary(s), summary(back); a != b {
		t.Fatalf("round trip differs:\n--- exported ---\n%s\n--- imported ---\n%s", a, b)
	}
	// Merge again: nothing changes. Replace: the same again.
	r, _ = Apply(context.Background(), db, sealer, opened, Options{})
	if r.Created != 0 || r.Updated != 0 {
		t.Fatalf("second merge:\n%s", r.Text())
	}
	_, err = db.Exec(`INSERT INTO aliases(alias, target, created_at) VALUES ('stray', 'openai/x', 1)`)
	must(t, err)
	_, err = Apply(context.Background(), db, sealer, opened, Options{Replace: true})
	must(t, err)
	back, _ = Read(context.Background(), db, sealer, "test")
	if a, b := summary(s), summary(back); a != b {
		t.Fatalf("replace differs:\n%s\n---\n%s", a, b)
	}
}

func summary(s Setup) string {
	var b strings.Builder
	for _, p := range s.Providers {
		b.WriteString("provider " + p.ID + " " + p.Type + " " + p.BaseURL + " " + strings.Join(p.Models, ",") + "\n")
	}
	for _, a := range s.Accounts {
		b.WriteString("account " + a.ID + " " + a.Provider + "/" + a.Name + " " + a.APIKey)
		if a.SignIn != nil {
			b.WriteString(" " + a.SignIn.Access + " " + a.SignIn.Refresh + " " + a.SignIn.Email + " " + string(a.SignIn.Extra))
		}
		b.WriteString("\n")
	}
	for _, c := range s.Combos {
		b.WriteString("combo " + c.Name + " " + string(c.Data) + "\n")
	}
	for _, a := range s.Aliases {
		b.WriteString("alias " + a.Alias + " " + a.Target + "\n")
	}
	for _, k := range s.Keys {
		b.WriteString("key " + k.ID + " " + k.Name + " " + k.Hash + " " + k.Source + "\n")
	}
	for _, st := range s.Settings {
		b.WriteString("setting " + st.Key + " " + st.Value + "\n")
	}
	// Rows made in the same second have no order between them.
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// The config export loads back through the real config loader (with the
// variables it names set), builds with every provider and combo, holds
// no secret, and says what it could not carry.
func TestConfigYAMLLoadsBack(t *testing.T) {
	s, secrets := seeded(t)
	c, err := ConfigYAML(s)
	must(t, err)
	for _, sec := range secrets {
		if strings.Contains(c.YAML, sec) {
			t.Fatalf("the YAML holds the secret %q", sec)
		}
	}
	if len(c.Env) == 0 {
		t.Fatal("no environment variables named")
	}
	want := map[string]string{}
	for _, a := range s.Accounts {
		if a.SignIn == nil {
			want[a.Provider+"/"+a.Name] = a.APIKey
		}
	}
	for _, e := range c.Env {
		acct := strings.TrimPrefix(e.For, "API key of ")
		t.Setenv(e.Name, want[acct])
	}
	path := filepath.Join(t.TempDir(), "switchboard.yaml")
	must(t, os.WriteFile(path, []byte(c.YAML), 0o600))
	cfg, err := config.Load(path, config.Default())
	if err != nil {
		t.Fatalf("the exported config does not load:\n%v\n%s", err, c.YAML)
	}
	for _, pc := range cfg.Providers { // what core.CheckConfig does at start
		if _, err := provider.FromConfig(pc); err != nil {
			t.Fatalf("provider %s does not build: %v", pc.ID, err)
		}
	}
	for _, cc := range cfg.Combos {
		if _, err := accounts.ComboFromConfig(cc); err != nil {
			t.Fatalf("combo %s does not build: %v", cc.Name, err)
		}
	}
	got := map[string]string{}
	for _, p := range cfg.Providers {
		for _, a := range p.Accounts {
			got[p.ID+"/"+a.Name] = a.APIKey.Reveal()
		}
	}
	for acct, key := range want {
		if got[acct] != key {
			t.Fatalf("account %s: key %q after loading, want %q", acct, got[acct], key)
		}
	}
	if len(cfg.Combos) != len(s.Combos) || len(cfg.Aliases) != len(s.Aliases) {
		t.Fatalf("combos %d/%d, aliases %d/%d", len(cfg.Combos), len(s.Combos), len(cfg.Aliases), len(s.Aliases))
	}
	var signIns, keys int
	for _, it := range c.NotCarried {
		switch it.Kind {
		case KindSignIn:
			signIns++
		case KindKey:
			keys++
		}
	}
	if signIns == 0 || keys != len(s.Keys) {
		t.Fatalf("not carried: %+v", c.NotCarried)
	}
}

// A failure part way leaves nothing behind: one transaction.
func TestApplyIsOneTransaction(t *testing.T) {
	s, _ := seeded(t)
	db, sealer := testStore(t)
	_, err := db.Exec(`CREATE TRIGGER no_combos BEFORE INSERT ON combos BEGIN SELECT RAISE(ABORT, 'disk says no'); END`)
	must(t, err)
	if _, err := Apply(context.Background(), db, sealer, s, Options{}); err == nil {
		t.Fatal("the failing import succeeded")
	}
	if got := dumpState(t, db, sealer); got != emptyState {
		t.Fatalf("a failed import left:\n%s", got)
	}
}
