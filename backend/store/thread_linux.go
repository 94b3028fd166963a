package store

/*
#cgo LDFLAGS: -lpthread
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

// SQLite's API as go-sqlite3 links it into the binary (its amalgamation,
// or the system library with its libsqlite3 tag).
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_open_v2(const char *, sqlite3 **, int, const char *);
int sqlite3_close_v2(sqlite3 *);
int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
int sqlite3_prepare_v2(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
int sqlite3_bind_parameter_count(sqlite3_stmt *);
int sqlite3_bind_int64(sqlite3_stmt *, int, long long);
int sqlite3_bind_double(sqlite3_stmt *, int, double);
int sqlite3_bind_text(sqlite3_stmt *, int, const char *, int, void (*)(void *));
int sqlite3_bind_null(sqlite3_stmt *, int);
int sqlite3_step(sqlite3_stmt *);
int sqlite3_reset(sqlite3_stmt *);
int sqlite3_clear_bindings(sqlite3_stmt *);
int sqlite3_finalize(sqlite3_stmt *);
const char *sqlite3_errmsg(sqlite3 *);
int sqlite3_extended_errcode(sqlite3 *);
int sqlite3_busy_timeout(sqlite3 *, int);
int sqlite3_wal_checkpoint_v2(sqlite3 *, const char *, int, int *, int *);
int sqlite3_get_autocommit(sqlite3 *);

#define SBW_OPEN_READWRITE 0x00000002
#define SBW_OPEN_NOMUTEX 0x00008000
#define SBW_DONE 101
#define SBW_MISUSE 21
#define SBW_NOMEM 7
#define SBW_IOERR 10

// The requests' operations and the values' tags (thread.go).
enum { OP_BATCH = 1, OP_CHECKPOINT = 2 };
enum { TAG_NULL = 0, TAG_INT = 1, TAG_FLOAT = 2, TAG_TEXT = 3 };
// A request longer than this is a broken pipe, not a batch (batches are
// bounded by the log's held bytes, 8 MiB).
#define SBW_MAX_REQUEST (256u << 20)

typedef struct {
	int32_t rc, xrc;
	uint32_t rows, aux;
	char msg[240];
} sbw_reply;

typedef struct {
	int in, out; // the thread reads requests from in, writes answers to out
	int busy_ms;
	char *path, *init, *stmt;
} sbw_args;

static int sbw_read_full(int fd, void *p, size_t n) {
	char *b = p;
	while (n > 0) {
		ssize_t k = read(fd, b, n);
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int sbw_write_full(int fd, const void *p, size_t n) {
	const char *b = p;
	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

// sbw_answer writes one answer: rc and xrc (SQLite's result and extended
// result), rows done, aux, and why (the failure's message, or none).
static int sbw_answer(int fd, int rc, int xrc, uint32_t rows, uint32_t aux, const char *why) {
	sbw_reply r;
	memset(&r, 0, sizeof r);
	r.rc = rc;
	r.xrc = xrc;
	r.rows = rows;
	r.aux = aux;
	if (why != NULL) strncpy(r.msg, why, sizeof r.msg - 1);
	return sbw_write_full(fd, &r, sizeof r);
}

// sbw_failed keeps SQLite's code and message of a failed call (when the
// failure is not one of the batch's own, already in *why) before a later
// call replaces them.
static void sbw_failed(sqlite3 *db, int rc, int *xrc, const char **why) {
	static __thread char kept[240];
	*xrc = rc;
	if (*why != NULL || db == NULL) return;
	*xrc = sqlite3_extended_errcode(db);
	strncpy(kept, sqlite3_errmsg(db), sizeof kept - 1);
	kept[sizeof kept - 1] = 0;
	*why = kept;
}

// sbw_bind binds one row's values from *p (advanced past them).
static int sbw_bind(sqlite3_stmt *st, int n, const char **p, const char *end, const char **why) {
	for (int i = 1; i <= n; i++) {
		if (*p >= end) { *why = "the batch ends inside a row"; return SBW_MISUSE; }
		int tag = (unsigned char)*(*p)++;
		int rc;
		if (tag == TAG_NULL) {
			rc = sqlite3_bind_null(st, i);
		} else if (tag == TAG_INT || tag == TAG_FLOAT) {
			if (end - *p < 8) { *why = "the batch ends inside a value"; return SBW_MISUSE; }
			if (tag == TAG_INT) {
				int64_t v;
				memcpy(&v, *p, 8);
				rc = sqlite3_bind_int64(st, i, v);
			} else {
				double v;
				memcpy(&v, *p, 8);
				rc = sqlite3_bind_double(st, i, v);
			}
			*p += 8;
		} else if (tag == TAG_TEXT) {
			uint32_t len;
			if (end - *p < 4) { *why = "the batch ends inside a value"; return SBW_MISUSE; }
			memcpy(&len, *p, 4);
			*p += 4;
			if ((uint64_t)(end - *p) < len) { *why = "the batch ends inside a text"; return SBW_MISUSE; }
			// Static: the batch outlives the step.
			rc = sqlite3_bind_text(st, i, *p, (int)len, (void (*)(void *))0);
			*p += len;
		} else {
			*why = "a value of an unknown type";
			return SBW_MISUSE;
		}
		if (rc != 0) return rc;
	}
	return 0;
}

// sbw_batch inserts the batch's rows in one transaction: all or none.
static int sbw_batch(sqlite3 *db, sqlite3_stmt *st, const char *p, const char *end, uint32_t *done, int *xrc, const char **why) {
	uint32_t rows;
	*done = 0;
	if (end - p < 4) { *why = "a batch without its row count"; *xrc = SBW_MISUSE; return SBW_MISUSE; }
	memcpy(&rows, p, 4);
	p += 4;
	int n = sqlite3_bind_parameter_count(st);
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != 0) {
		sbw_failed(db, rc, xrc, why);
		return rc;
	}
	for (uint32_t r = 0; r < rows && rc == 0; r++) {
		rc = sbw_bind(st, n, &p, end, why);
		if (rc == 0) {
			rc = sqlite3_step(st);
			rc = rc == SBW_DONE ? 0 : rc;
		}
		if (rc != 0) sbw_failed(db, rc, xrc, why);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (rc == 0 && p != end) {
		*why = "bytes after the batch's last row";
		rc = SBW_MISUSE;
		*xrc = rc;
	}
	if (rc == 0) {
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		if (rc != 0) sbw_failed(db, rc, xrc, why);
	}
	if (rc == 0) {
		*done = rows;
	} else if (!sqlite3_get_autocommit(db)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

// sbw_lower gives the thread the lowest priority an unprivileged process
// can: SCHED_IDLE, else nice 19. It returns the policy set.
static int sbw_lower(void) {
	struct sched_param sp;
	memset(&sp, 0, sizeof sp);
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) == 0) return SCHED_IDLE;
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	return SCHED_OTHER;
}

static void *sbw_main(void *arg) {
	sbw_args *a = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *buf = NULL;
	size_t bufcap = 0;
	int policy = sbw_lower();
	int rc = sqlite3_open_v2(a->path, &db, SBW_OPEN_READWRITE | SBW_OPEN_NOMUTEX, NULL);
	if (rc == 0) rc = sqlite3_busy_timeout(db, a->busy_ms);
	if (rc == 0) rc = sqlite3_exec(db, a->init, NULL, NULL, NULL);
	if (rc == 0) rc = sqlite3_prepare_v2(db, a->stmt, -1, &st, NULL);
	// The first answer: the connection's, with the thread's id and policy.
	int xrc = 0;
	const char *why = NULL;
	if (rc != 0) sbw_failed(db, rc, &xrc, &why);
	int ok = sbw_answer(a->out, rc, xrc, (uint32_t)syscall(SYS_gettid), (uint32_t)policy, why) == 0;
	while (ok && rc == 0) {
		uint32_t head[2];
		if (sbw_read_full(a->in, head, sizeof head) != 0) break; // Go closed its end: done
		if (head[1] > SBW_MAX_REQUEST) break;
		if (head[1] > bufcap || (bufcap > (1u << 20) && head[1] <= (1u << 20))) {
			// Grown for a large batch, given back after it.
			free(buf);
			bufcap = head[1] > 4096 ? head[1] : 4096;
			buf = malloc(bufcap);
			if (buf == NULL) break;
		}
		if (sbw_read_full(a->in, buf, head[1]) != 0) break;
		uint32_t done = 0;
		int r = 0;
		why = NULL;
		xrc = 0;
		if (head[0] == OP_BATCH) {
			r = sbw_batch(db, st, buf, buf + head[1], &done, &xrc, &why);
		} else if (head[0] == OP_CHECKPOINT) {
			int frames = 0, copied = 0;
			r = sqlite3_wal_checkpoint_v2(db, NULL, 0, &frames, &copied);
			if (r != 0) sbw_failed(db, r, &xrc, &why);
			done = (uint32_t)copied;
		} else {
			r = SBW_MISUSE;
			xrc = r;
			why = "an unknown request";
		}
		ok = sbw_answer(a->out, r, xrc, done, 0, why) == 0;
	}
	free(buf);
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	close(a->in);
	close(a->out); // Go's Close reads to this end
	free(a->path);
	free(a->init);
	free(a->stmt);
	free(a);
	return NULL;
}

// sbw_start starts the thread with Go's signals blocked (it runs no Go
// code) and owns in and out from then on. It returns pthread_create's error.
static int sbw_start(int in, int out, int busy_ms, const char *path, const char *init, const char *stmt) {
	sbw_args *a = calloc(1, sizeof *a);
	if (a == NULL) return ENOMEM;
	a->in = in;
	a->out = out;
	a->busy_ms = busy_ms;
	a->path = strdup(path);
	a->init = strdup(init);
	a->stmt = strdup(stmt);
	if (a->path == NULL || a->init == NULL || a->stmt == NULL) {
		free(a->path); free(a->init); free(a->stmt); free(a);
		return ENOMEM;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int err = pthread_create(&t, &attr, sbw_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		free(a->path); free(a->init); free(a->stmt); free(a);
	}
	return err;
}
*/
import "C"

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// startWriterThread makes the two pipes (the thread's ends blocking, Go's
// in the poller) and starts the thread, which answers first with its
// connection's result.
func startWriterThread(path, init, stmt string, busy time.Duration) (*WriterThread, error) {
	var reqP, repP [2]int
	if err := syscall.Pipe2(reqP[:], syscall.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("store: writer thread: %w", err)
	}
	if err := syscall.Pipe2(repP[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(reqP[0])
		syscall.Close(reqP[1])
		return nil, fmt.Errorf("store: writer thread: %w", err)
	}
	// Go's ends, non-blocking: waits park the goroutine, not a thread.
	syscall.SetNonblock(reqP[1], true)
	syscall.SetNonblock(repP[0], true)
	w := &WriterThread{req: os.NewFile(uintptr(reqP[1]), "writer-thread-requests"),
		reply: os.NewFile(uintptr(repP[0]), "writer-thread-answers")}
	cpath, cinit, cstmt := C.CString(path), C.CString(init), C.CString(stmt)
	defer C.free(unsafe.Pointer(cpath))
	defer C.free(unsafe.Pointer(cinit))
	defer C.free(unsafe.Pointer(cstmt))
	if e := C.sbw_start(C.int(reqP[0]), C.int(repP[1]), C.int(busy/time.Millisecond), cpath, cinit, cstmt); e != 0 {
		syscall.Close(reqP[0])
		syscall.Close(repP[1])
		w.req.Close()
		w.reply.Close()
		return nil, fmt.Errorf("store: writer thread: %w", syscall.Errno(e))
	}
	tid, policy, err := w.call(nil)
	if err == nil {
		w.TID, w.Policy = tid, policy
		return w, nil
	}
	w.Close()
	return nil, err
}
