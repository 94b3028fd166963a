package core

import (
	"bufio"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"switchboard/backend/config"
)

// exeResident is how much of the executable's file mappings is resident
// (KiB, from /proc/self/smaps).
func exeResident(t *testing.T) int64 {
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
	var kib int64
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
		}
	}
	return kib
}

// Rest hands the executable's idle pages back and the instance goes on
// serving: what is needed again is read again.
func TestRestReleasesCodeAndKeepsServing(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	in := startCfg(t, cfg)
	key := localKey(t, in)
	models := func() int {
		req, _ := http.NewRequest("GET", "http://"+in.Server.Addr()+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
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
	before := exeResident(t)
	n := in.Rest()
	after := exeResident(t)
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
	if code := models(); code != 200 {
		t.Fatalf("after: %d", code)
	}
}
