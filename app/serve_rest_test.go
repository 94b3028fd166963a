//go:build unix

package app

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a log the server writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeRestsOnceStarted: `switchboard serve` hands start-up's memory
// back by itself (core.Instance.RestWhenIdle) and says so, then stops
// cleanly on SIGINT.
func TestServeRestsOnceStarted(t *testing.T) {
	t.Setenv("SWITCHBOARD_KEYRING", "off")
	t.Setenv("SWITCHBOARD_CONFIG", "")
	old := startupSettle
	startupSettle = 50 * time.Millisecond
	t.Cleanup(func() { startupSettle = old })

	var logs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(nil, []string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, io.Discard, &logs)
	}()
	for end := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "at rest: memory handed back"); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("serve ended (%d) before resting:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("serve did not rest within 20 s of starting:\n%s", logs.String())
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve stopped with %d:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
}
