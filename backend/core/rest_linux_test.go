package core

import (
	"bufio"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"switchboard/backend/config"
)

// exeResident is how much of the executable's file mappings is resident
// (KiB, from /proc/self/smaps), and whether any of them is advised to be
// read a page at a time (VmFlags "rr", MADV_RANDOM).
func exeResident(t *testing.T) (kib int64, random bool) {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			in = len(fields) >= 6 && strings.Join(fields[5:], " ") == exe
		case in && len(fields) == 3 && fields[0] == "Rss:":
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			kib += n
		case in && fields[0] == "VmFlags:":
			random = random || slices.Contains(fields[1:], "rr")
		}
	}
	return kib, random
}

// Rest hands the executable's idle pages back, to be read again a page at a
// time, and the instance goes on serving: the first gateway request puts
// the kernel's reading ahead back.
func TestRestReleasesCodeAndKeepsServing(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	in := startCfg(t, cfg)
	key := localKey(t, in)
	models := func() int {
		code, _, _ := do(t, http.DefaultClient, "GET", "http://"+in.Server.Addr()+"/v1/models", map[string]string{"Authorization": "Bearer " + key}, "")
		return code
	}
	if code := models(); code != 200 {
		t.Fatalf("before: %d", code)
	}
	// A test binary was linked moments ago: its pages may not be written
	// back yet, and dirty pages are not reclaimed. An installed one is clean.
	if exe, err := os.Open("/proc/self/exe"); err == nil {
		_ = exe.Sync()
		exe.Close()
	}
	before, _ := exeResident(t)
	n := in.Rest()
	after, random := exeResident(t)
	if n == 0 {
		t.Skip("SKIP: this kernel does not take MADV_PAGEOUT (Linux 5.4+): only the Go heap was returned")
	}
	var fs unix.Statfs_t
	if unix.Statfs("/proc/self/exe", &fs) == nil && (fs.Type == unix.TMPFS_MAGIC || fs.Type == unix.RAMFS_MAGIC) {
		t.Skip("SKIP: the test binary is in memory (tmpfs), where code pages are not reclaimed without swap")
	}
	t.Logf("executable resident %d KiB → %d KiB (%d MiB advised)", before, after, n>>20)
	if after > before*3/4 {
		t.Fatalf("executable resident %d KiB → %d KiB: the idle pages were not handed back", before, after)
	}
	if !random {
		t.Fatal("at rest the executable is not read a page at a time (no MADV_RANDOM)")
	}
	if code := models(); code != 200 {
		t.Fatalf("after: %d", code)
	}
	if _, random = exeResident(t); random {
		t.Fatal("a gateway request did not wake the code (still MADV_RANDOM)")
	}
}
