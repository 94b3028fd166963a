package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMigrateEmptyAndAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sb.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := Migrations()
	v, err := db.Version(ctx)
	if err != nil || v != ms[len(ms)-1].Version {
		t.Fatalf("version %d, %v", v, err)
	}
	var mode string
	db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal mode %q", mode)
	}
	var fk int
	db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
	if fk != 1 {
		t.Fatal("foreign keys off")
	}
	db.Close()
	// Re-open: already migrated, nothing re-applied, nothing fails.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen migrated db: %v", err)
	}
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	if n != len(ms) {
		t.Fatalf("%d migration rows, want %d", n, len(ms))
	}
}

func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bad := Migration{Version: 9999, Name: "9999_bad.sql", SQL: "CREATE TABLE half_done(x INTEGER); THIS IS NOT SQL;"}
	if err := db.apply(ctx, bad); err == nil {
		t.Fatal("bad migration applied")
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n)
	if n != 0 {
		t.Fatal("a failed migration left a table behind: not transactional")
	}
	db.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = 9999`).Scan(&n)
	if n != 0 {
		t.Fatal("failed migration recorded")
	}
}

// TestKillDuringWrites kills a writer process with SIGKILL mid-write and
// checks the database still passes integrity_check and keeps committed rows.
func TestKillDuringWrites(t *testing.T) {
	if os.Getenv("SB_STORE_WRITER") != "" {
		return // child mode is handled in TestMain
	}
	path := filepath.Join(t.TempDir(), "sb.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SB_STORE_WRITER="+path)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	deadline := time.Now().Add(20 * time.Second)
	got := ""
	for !strings.Contains(got, "writing") && time.Now().Before(deadline) {
		n, err := stdout.Read(buf)
		got += string(buf[:n])
		if err != nil {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // let it write for a while
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()
	res, err := db.IntegrityCheck(context.Background())
	if err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM settings`).Scan(&n)
	if n == 0 {
		t.Fatal("no committed rows survived")
	}
	t.Logf("%d committed rows survived SIGKILL", n)
}

func TestMain(m *testing.M) {
	if path := os.Getenv("SB_STORE_WRITER"); path != "" {
		runWriter(path)
		return
	}
	os.Exit(m.Run())
}

// runWriter writes rows in small transactions until killed.
func runWriter(path string) {
	db, err := Open(context.Background(), path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	fmt.Println("writing")
	for i := 0; ; i++ {
		tx, err := db.Begin()
		if err != nil {
			continue
		}
		for j := 0; j < 20; j++ {
			tx.Exec(`INSERT OR REPLACE INTO settings(key, value, updated_at) VALUES (?, ?, ?)`,
				fmt.Sprintf("k%d-%d", i, j), strings.Repeat("v", 200), i)
		}
		tx.Commit()
	}
}

// TestNoDeadTables: every table the migrations leave is one the code uses;
// the unused secrets table of 0001 is gone.
func TestNoDeadTables(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'secrets'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the unused secrets table is still there (%d, %v)", n, err)
	}
}

// Two migrations with one number would leave the second unapplied forever
// (the version is what marks a migration done): branches that each add the
// next number must renumber one when they meet.
func TestMigrationVersionsUnique(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	for _, m := range ms {
		if other, ok := seen[m.Version]; ok {
			t.Errorf("migrations %s and %s share version %d: renumber one", other, m.Name, m.Version)
		}
		seen[m.Version] = m.Name
	}
}
