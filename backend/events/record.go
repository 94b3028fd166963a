package events

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/store"
)

// Row is a stored event.
type Row struct {
	TS       int64  `json:"ts"` // unix ms
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Account  string `json:"account"`
	Model    string `json:"model"`
	Until    int64  `json:"until"` // unix ms, 0 = none
	Message  string `json:"message"`
}

// Recorder writes events to the database from a bounded queue; a full
// queue drops (and counts) rather than blocking the request that caused
// the event.
type Recorder struct {
	db      *sql.DB
	log     *slog.Logger
	q       chan Row
	done    chan struct{}
	once    sync.Once
	dropped atomic.Int64
}

// NewRecorder starts the writer.
func NewRecorder(db *sql.DB, log *slog.Logger) *Recorder {
	r := &Recorder{db: db, log: log, q: make(chan Row, 1024), done: make(chan struct{})}
	go r.run()
	return r
}

// Record queues an event.
func (r *Recorder) Record(row Row) {
	select {
	case r.q <- row:
	default:
		r.dropped.Add(1)
	}
}

// Close writes what is queued and stops.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.q); <-r.done })
}

func (r *Recorder) run() {
	defer close(r.done)
	for row := range r.q {
		err := store.RetryLocked(func() error {
			_, err := r.db.Exec(`INSERT INTO events(ts, kind, provider, account, model, until_ts, message) VALUES (?,?,?,?,?,?,?)`,
				row.TS, row.Kind, row.Provider, row.Account, row.Model, row.Until, row.Message)
			return err
		}, func(d time.Duration) { r.log.Warn("event log: database locked; writing again shortly", "in", d) })
		if err != nil {
			r.log.Warn("event not stored", "kind", row.Kind, "err", err)
		}
	}
}

// Recent returns the newest events first.
func Recent(ctx context.Context, db *sql.DB, limit int) ([]Row, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.QueryContext(ctx, `SELECT ts, kind, provider, account, model, until_ts, message FROM events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var e Row
		if err := rows.Scan(&e.TS, &e.Kind, &e.Provider, &e.Account, &e.Model, &e.Until, &e.Message); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Prune deletes events older than keep.
func Prune(ctx context.Context, db *sql.DB, keep time.Duration) error {
	_, err := db.ExecContext(ctx, `DELETE FROM events WHERE ts < ?`, time.Now().Add(-keep).UnixMilli())
	return err
}
