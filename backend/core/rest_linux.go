package core

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseCode asks the kernel to reclaim the pages of the executable's file
// mappings (MADV_PAGEOUT, Linux 5.4+). Start-up touches code and tables
// that an idle app never runs again (migrations, catalogs, the first
// page's handlers), and a freshly installed executable sits in the page
// cache in 2 MiB folios, so nearly all of a 30 MB binary stays resident
// (README, "The desktop app at rest"). Reclaim keeps every private copy
// (relocated data) and drops only clean file pages, which fault back in
// from the file when used. They come back a page at a time (MADV_RANDOM):
// with the kernel's read-ahead and fault-around, each page an idle app
// touches brought 15 neighbours it does not (10 MiB resident instead of 4).
func releaseCode() int64 { return adviseCode(unix.MADV_RANDOM, unix.MADV_PAGEOUT) }

// wakeCode restores the kernel's reading ahead (MADV_NORMAL) for traffic.
func wakeCode() { adviseCode(unix.MADV_NORMAL) }

// adviseCode gives each advice in turn for every file mapping of the
// executable, and returns the bytes of those that took the last one.
func adviseCode(advice ...int) int64 {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || strings.Join(fields[5:], " ") != exe {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		var e unix.Errno
		for _, a := range advice {
			_, _, e = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), uintptr(a))
		}
		if e == 0 {
			total += int64(end - start)
		}
	}
	return total
}
