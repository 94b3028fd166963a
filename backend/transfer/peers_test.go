package transfer

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/backend/secret"
	"switchboard/backend/signin"
	"switchboard/backend/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func testStore(t *testing.T) (*store.DB, *secret.Sealer) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	return db, sealer
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "peers", name)
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after review)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// fileStamps records every file's bytes and modification time under dir.
func fileStamps(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		out[p] = fmt.Sprintf("%x %d %o", b, fi.ModTime().UnixNano(), fi.Mode())
		return nil
	}))
	return out
}

// TestPeerImports: for each peer's fixture, the dry run's report is the
// golden one and writes nothing; applying writes exactly the golden state
// (every mapped field, secrets opened); importing again creates and
// changes nothing; the peer's files are byte-for-byte and time-for-time
// what they were.
func TestPeerImports(t *testing.T) {
	t.Setenv("STORAGE_ENCRYPTION_KEY", "")
	for _, peer := range PeerIDs() {
		t.Run(peer, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			fixtureMakers[peer](t, dir)
			before := fileStamps(t, dir)
			db, sealer := testStore(t)
			now := func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
			s, found, path, err := ReadPeer(peer, dir, "/nonexistent-home", func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			dry, err := Apply(ctx, db, sealer, s, Options{DryRun: true, Source: peer, Path: "FIXTURE", Found: found, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, peer+".dryrun.golden", dry.Text())
			if got := dumpState(t, db, sealer); got != emptyState {
				t.Fatalf("the dry run wrote:\n%s", got)
			}
			applied, err := Apply(ctx, db, sealer, s, Options{Source: peer, Path: path, Found: found, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if applied.Created != dry.Created || applied.Skipped != dry.Skipped || applied.Created == 0 {
				t.Fatalf("applied %d created / %d skipped, the dry run said %d / %d", applied.Created, applied.Skipped, dry.Created, dry.Skipped)
			}
			golden(t, peer+".state.golden", dumpState(t, db, sealer))
			again, err := Apply(ctx, db, sealer, s, Options{Source: peer, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if again.Created != 0 || again.Updated != 0 {
				t.Fatalf("a second import created %d and updated %d:\n%s", again.Created, again.Updated, again.Text())
			}
			s2, _, _, err := ReadPeer(peer, dir, "/nonexistent-home", func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			again, _ = Apply(ctx, db, sealer, s2, Options{Source: peer, Now: now})
			if again.Created != 0 || again.Updated != 0 {
				t.Fatalf("reading the files again and importing created %d, updated %d", again.Created, again.Updated)
			}
			after := fileStamps(t, dir)
			if len(after) != len(before) {
				t.Fatalf("files under the peer's dir changed: %d before, %d after", len(before), len(after))
			}
			for p, st := range before {
				if after[p] != st {
					t.Fatalf("%s was modified by the import", p)
				}
			}
		})
	}
}

const emptyState = "providers:\naccounts:\ncombos:\naliases:\nkeys:\n"

// dumpState prints what an import wrote, secrets opened, without ids and
// times.
func dumpState(t *testing.T, db *store.DB, sealer *secret.Sealer) string {
	t.Helper()
	var b strings.Builder
	q := func(query string, f func(scan func(...any) error)) {
		rows, err := db.Query(query)
		must(t, err)
		defer rows.Close()
		for rows.Next() {
			f(rows.Scan)
		}
		must(t, rows.Err())
	}
	b.WriteString("providers:\n")
	q(`SELECT id, type, name, prefix, base_url, allow_local, models, disabled FROM providers ORDER BY id`, func(scan func(...any) error) {
		var id, typ, name, prefix, base, models string
		var local, disabled bool
		must(t, scan(&id, &typ, &name, &prefix, &base, &local, &models, &disabled))
		fmt.Fprintf(&b, "  %s type=%q name=%q prefix=%q base=%q local=%v models=%s disabled=%v\n", id, typ, name, prefix, base, local, models, disabled)
	})
	b.WriteString("accounts:\n")
	q(`SELECT a.id, a.provider_id, a.name, a.kind, a.sealed_key, a.last4, a.priority, a.max_concurrent, a.rpm, a.disabled,
		coalesce(s.sealed, ''), coalesce(s.expires_at, 0), coalesce(s.email, ''), coalesce(s.account_ref, ''), coalesce(s.source, ''), coalesce(s.extra, ''), coalesce(s.state, '')
		FROM accounts a LEFT JOIN signins s ON s.account_id = a.id ORDER BY a.provider_id, a.name`, func(scan func(...any) error) {
		var id, prov, name, kind, sealedKey, last4, sealedTok, email, ref, source, extra, state string
		var prio, maxc, rpm int
		var disabled bool
		var exp int64
		must(t, scan(&id, &prov, &name, &kind, &sealedKey, &last4, &prio, &maxc, &rpm, &disabled, &sealedTok, &exp, &email, &ref, &source, &extra, &state))
		fmt.Fprintf(&b, "  %s/%s kind=%s priority=%d max_concurrent=%d rpm=%d disabled=%v", prov, name, kind, prio, maxc, rpm, disabled)
		if kind == "signin" {
			tok, err := signin.OpenTokens(sealer, id, sealedTok)
			must(t, err)
			fmt.Fprintf(&b, " access=%q refresh=%q id_token=%q expires=%s email=%q account_ref=%q source=%q extra=%s state=%s\n",
				tok.Access, tok.Refresh, tok.IDToken, msTime(exp), email, ref, source, extra, state)
			return
		}
		key, err := sealer.Open(sealedKey, []byte(id))
		must(t, err)
		fmt.Fprintf(&b, " key=%q last4=%q\n", key, last4)
	})
	b.WriteString("combos:\n")
	q(`SELECT name, data FROM combos ORDER BY name`, func(scan func(...any) error) {
		var name, data string
		must(t, scan(&name, &data))
		fmt.Fprintf(&b, "  %s %s\n", name, data)
	})
	b.WriteString("aliases:\n")
	q(`SELECT alias, target FROM aliases ORDER BY alias`, func(scan func(...any) error) {
		var a, tg string
		must(t, scan(&a, &tg))
		fmt.Fprintf(&b, "  %s -> %s\n", a, tg)
	})
	b.WriteString("keys:\n")
	q(`SELECT name, hash, last4, source FROM api_keys ORDER BY name`, func(scan func(...any) error) {
		var name, hash, last4, source string
		must(t, scan(&name, &hash, &last4, &source))
		fmt.Fprintf(&b, "  %s hash=%s last4=%q source=%s\n", name, hash, last4, source)
	})
	return b.String()
}

func msTime(ms int64) string {
	if ms == 0 {
		return "unknown"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// Malformed files and newer formats are refused whole, naming what was
// found, and nothing is written.
func TestPeerFormatsRefused(t *testing.T) {
	cases := []struct {
		peer, want string
		make       func(t *testing.T, dir string)
	}{
		{"9router", "not 9router's db.json", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "db.json"), []byte(`{"providerConnections": [`), 0o600))
		}},
		{"9router", "says version 2", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "db.json"), []byte(`{"version": 2, "providerConnections": []}`), 0o600))
		}},
		{"9router", "no providerConnections", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "db.json"), []byte(`{"users": []}`), 0o600))
		}},
		{"omniroute", "migration 999", func(t *testing.T, dir string) { makeOmniRouteAt(t, dir, "999") }},
		{"omniroute", "not a readable SQLite database", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "storage.sqlite"), bytes.Repeat([]byte("garbage!"), 1024), 0o600))
		}},
		{"omniroute", "no _omniroute_migrations", func(t *testing.T, dir string) {
			db := sqliteAt(t, filepath.Join(dir, "storage.sqlite"))
			execAll(t, db, `CREATE TABLE other (x)`)
			db.Close()
		}},
		{"cc-switch", "schema 18", func(t *testing.T, dir string) { makeCCSwitchAt(t, dir, 18) }},
		{"cliproxyapi", "not valid YAML", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("api-keys: [\n  - x\n"), 0o600))
		}},
		{"cliproxyapi", "says version 9", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("version: 9\napi-keys: [\"sk-cpa-client-key-000000000001\"]\n"), 0o600))
		}},
		{"cliproxyapi", "no CLIProxyAPI config.yaml or auth files", func(t *testing.T, dir string) {}},
	}
	for _, c := range cases {
		t.Run(c.peer+"/"+c.want, func(t *testing.T) {
			dir := t.TempDir()
			c.make(t, dir)
			_, _, _, err := ReadPeer(c.peer, dir, "/nonexistent-home", func(string) string { return "" })
			if !errors.Is(err, ErrPeerFormat) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a format error saying %q", err, c.want)
			}
		})
	}
	if _, _, _, err := ReadPeer("litellm", "", "/x", os.Getenv); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
}

// Without OmniRoute's storage key, its encrypted secrets cannot be carried
// and the report says why; the rest still comes.
func TestOmniRouteWithoutStorageKey(t *testing.T) {
	t.Setenv("STORAGE_ENCRYPTION_KEY", "")
	dir := t.TempDir()
	makeOmniRoute(t, dir)
	must(t, os.Remove(filepath.Join(dir, ".env")))
	s, _, _, err := ReadPeer("omniroute", dir, "/x", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var locked []string
	for _, it := range s.Skipped {
		if strings.Contains(it.Why, "STORAGE_ENCRYPTION_KEY") {
			locked = append(locked, it.Name)
		}
	}
	if len(locked) != 4 { // openai/main, node-1/relay-key, codex sign-in, the desktop key
		t.Fatalf("items locked by the missing key: %v", locked)
	}
	if len(s.Accounts) == 0 {
		t.Fatal("nothing carried without the key")
	}
}
