//go:build !linux

package store

import "time"

// startWriterThread: the writer thread is built for Linux only (its C side
// uses SCHED_IDLE and pipes); elsewhere writers use the pool.
func startWriterThread(path, init, stmt string, busy time.Duration) (*WriterThread, error) {
	return nil, ErrNoWriterThread
}
