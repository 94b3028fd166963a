package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// A WriterThread is a connection of its own on an OS thread of its own
// (Linux: writerthread_linux.go), for a writer off the request path (the
// request log). Go hands it a batch of rows through a pipe and waits for
// the answer in the runtime's poller, so no SQLite call of the batch, its
// commit or a WAL checkpoint runs on a Go thread.
//
// Why: a cgo call keeps its P. In a gateway given one core (GOMAXPROCS=1)
// the network is not polled while one runs, and every request arriving
// during a commit (0.3–3 ms), an insert that grows the file, or a
// checkpoint's fsyncs (up to 10 ms) waited for it (scripts/bench/HISTORY.md,
// seventeenth and eighteenth sessions). The thread also runs at the lowest
// priority the OS gives without privileges (SCHED_IDLE on Linux), so that
// a request's thread waking on the same core takes the core at once. At
// that priority it starves on a saturated core, and an unprivileged
// thread cannot raise it again: its user hands it work only while the
// core has gaps (usage.Recorder.threadMoment).
//
// One goroutine at a time uses it (Insert, Checkpoint and Close are
// serialized).
type WriterThread struct {
	mu    sync.Mutex
	req   *os.File // Go's end of the requests' pipe
	reply *os.File // Go's end of the answers' pipe
	// TID is the thread's id and Policy its scheduling policy (SCHED_IDLE:
	// 5; SCHED_OTHER with nice 19: 0), as the thread set them.
	TID, Policy int
	broken      error // the pipe failed: the thread is gone
	answer      [replySize]byte
}

// ErrNoWriterThread: this build has no writer thread (not Linux); the
// caller writes through the pool.
var ErrNoWriterThread = errors.New("store: no writer thread on this platform")

// The requests' operations (the C side's OP_ constants).
const (
	opBatch      = 1
	opCheckpoint = 2
)

// replySize is the C side's sbw_reply: rc, extended rc, rows, aux and a
// 240-byte message (under PIPE_BUF, so written at once).
const replySize = 256

// defaultBusyTimeout is how long a connection waits for another writer's
// lock before SQLite reports it locked.
const defaultBusyTimeout = 5 * time.Second

// threadPragmas are the writer thread's connection settings: the pool's
// (connPragmas) and those its DSN carries.
var threadPragmas = connPragmas + "; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"

// StartWriterThread opens a connection to the database on a new thread
// and prepares stmt there; each row of a batch given to Insert is bound to
// it in order. ErrNoWriterThread where the platform has none.
func (s *DB) StartWriterThread(stmt string) (*WriterThread, error) {
	busy := s.BusyTimeout
	if busy <= 0 {
		busy = defaultBusyTimeout
	}
	if s.Path == "" {
		return nil, errors.New("store: writer thread: the database has no path")
	}
	return startWriterThread(s.Path, threadPragmas, stmt, busy)
}

// Insert runs b's rows through the thread's statement in one transaction:
// all of them or none. A lock held past the busy timeout comes back as
// sqlite3.ErrBusy (see Locked).
func (w *WriterThread) Insert(b *Batch) error {
	if b.rows == 0 {
		return nil
	}
	b.seal(opBatch)
	_, _, err := w.call(b.buf)
	return err
}

// Checkpoint runs a PASSIVE WAL checkpoint on the thread.
func (w *WriterThread) Checkpoint() error {
	var req Batch // a header with no rows
	req.Reset()
	req.seal(opCheckpoint)
	_, _, err := w.call(req.buf)
	return err
}

// Broken is the pipe's failure once the thread is gone, else nil.
func (w *WriterThread) Broken() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.broken
}

// Close ends the thread: it finalizes the statement, closes its
// connection and exits; Close returns after that.
func (w *WriterThread) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.req.Close() // the thread reads the end of its requests
	// It closes its end of the answers' pipe when done.
	if _, rerr := io.Copy(io.Discard, w.reply); rerr != nil && err == nil {
		err = rerr
	}
	w.reply.Close()
	if w.broken == nil {
		w.broken = errors.New("store: writer thread closed")
	}
	return err
}

// call sends a request and waits for its answer.
func (w *WriterThread) call(req []byte) (rows, aux int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken != nil {
		return 0, 0, w.broken
	}
	if _, err := w.req.Write(req); err != nil {
		w.broken = fmt.Errorf("store: writer thread: %w", err)
		return 0, 0, w.broken
	}
	if _, err := io.ReadFull(w.reply, w.answer[:]); err != nil {
		w.broken = fmt.Errorf("store: writer thread: %w", err)
		return 0, 0, w.broken
	}
	return decodeReply(w.answer[:])
}

// decodeReply reads an sbw_reply: rows done and aux, or SQLite's error
// with its message.
func decodeReply(a []byte) (rows, aux int, err error) {
	rc := int32(binary.NativeEndian.Uint32(a[0:]))
	xrc := int32(binary.NativeEndian.Uint32(a[4:]))
	rows = int(binary.NativeEndian.Uint32(a[8:]))
	aux = int(binary.NativeEndian.Uint32(a[12:]))
	if rc == 0 {
		return rows, aux, nil
	}
	msg := a[16:]
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	return rows, aux, fmt.Errorf("store: writer thread: %s: %w", msg,
		sqlite3.Error{Code: sqlite3.ErrNo(rc & 0xff), ExtendedCode: sqlite3.ErrNoExtended(xrc)})
}

// A Batch holds rows encoded for the writer thread: a request's header
// (operation, length, row count), then each row's values, each a tag byte
// and its bytes (the C side's TAG_ constants). Reused with Reset, it
// allocates only to grow.
type Batch struct {
	buf  []byte
	rows int
}

// The values' tags.
const (
	tagNull  = 0
	tagInt   = 1
	tagFloat = 2
	tagText  = 3
)

// batchHeader: operation, payload length, rows.
const batchHeader = 12

// Reset empties b.
func (b *Batch) Reset() {
	b.buf = append(b.buf[:0], make([]byte, batchHeader)...)
	b.rows = 0
}

// Cap is the bytes b holds room for.
func (b *Batch) Cap() int { return cap(b.buf) }

// Rows is how many rows b holds.
func (b *Batch) Rows() int { return b.rows }

// Row appends one row: vals in the statement's parameter order, each nil,
// int64, float64, bool (stored 1 or 0, as go-sqlite3 does), string or
// []byte (stored as text). On an error b is as before.
func (b *Batch) Row(vals []any) error {
	if len(b.buf) < batchHeader {
		b.Reset()
	}
	start := len(b.buf)
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			b.buf = append(b.buf, tagNull)
		case int64:
			b.buf = binary.NativeEndian.AppendUint64(append(b.buf, tagInt), uint64(v))
		case bool:
			var n uint64
			if v {
				n = 1
			}
			b.buf = binary.NativeEndian.AppendUint64(append(b.buf, tagInt), n)
		case float64:
			b.buf = binary.NativeEndian.AppendUint64(append(b.buf, tagFloat), math.Float64bits(v))
		case string:
			if !b.text(v) {
				b.buf = b.buf[:start]
				return fmt.Errorf("store: batch: value %d: %d bytes of text", i+1, len(v))
			}
		case []byte:
			if !b.text(string(v)) { // a copy: the log has no []byte column
				b.buf = b.buf[:start]
				return fmt.Errorf("store: batch: value %d: %d bytes of text", i+1, len(v))
			}
		default:
			b.buf = b.buf[:start]
			return fmt.Errorf("store: batch: value %d: %T is not a column type", i+1, v)
		}
	}
	b.rows++
	return nil
}

// text appends a text value, false if SQLite cannot bind its length.
func (b *Batch) text(v string) bool {
	if uint64(len(v)) > math.MaxInt32 {
		return false
	}
	b.buf = binary.NativeEndian.AppendUint32(append(b.buf, tagText), uint32(len(v)))
	b.buf = append(b.buf, v...)
	return true
}

// seal writes the header: op, the length after the first 8 bytes, rows.
func (b *Batch) seal(op uint32) {
	binary.NativeEndian.PutUint32(b.buf[0:], op)
	binary.NativeEndian.PutUint32(b.buf[4:], uint32(len(b.buf)-8))
	binary.NativeEndian.PutUint32(b.buf[8:], uint32(b.rows))
}
