// Package usage records one row per gateway request. Rows go into a bounded
// queue and a single writer goroutine inserts them in batches, so the
// request path never waits for the disk; when the queue is full a row is
// dropped and counted rather than blocking a client.
package usage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/store"
)

// Row is one request's record.
type Row struct {
	ID              int64  `json:"id,omitempty"` // set when read back (the Logs page's cursor and detail link)
	ReqID           string `json:"reqId"`
	TS              int64  `json:"ts"` // unix ms
	KeyName         string `json:"keyName"`
	ClientDialect   string `json:"clientDialect"`
	Endpoint        string `json:"endpoint"`
	RequestedModel  string `json:"requestedModel"`
	Provider        string `json:"provider"`
	Account         string `json:"account"`
	UpstreamModel   string `json:"upstreamModel"`
	UpstreamDialect string `json:"upstreamDialect"`
	Stream          bool   `json:"stream"`
	Status          int    `json:"status"`
	ErrorKind       string `json:"errorKind"`
	ErrorMessage    string `json:"errorMessage"`
	LatencyMS       int64  `json:"latencyMs"`
	TTFTMS          int64  `json:"ttftMs"`
	TokensIn        int    `json:"tokensIn"`
	TokensOut       int    `json:"tokensOut"`
	TokensCached    int    `json:"tokensCached"`
	TokensReasoning int    `json:"tokensReasoning"`
	// TokensCacheWrite counts prompt tokens written to the vendor's cache
	// (a subset of TokensIn, like TokensCached; Anthropic bills them apart).
	TokensCacheWrite int `json:"tokensCacheWrite"`
	// Tool is the coding tool that sent the request (ToolOf), "" unknown.
	Tool string `json:"tool"`
	// Combo is the combo the request was routed through ("" direct).
	Combo    string `json:"combo"`
	Attempts int    `json:"attempts"`
	Route    string `json:"route"`
	// Units a media request billed, of UnitKind (images, characters,
	// audio_seconds, search_units, tokens, inputs), costing UnitsCostUSD at
	// the catalog's unit price.
	Units        float64 `json:"units,omitempty"`
	UnitKind     string  `json:"unitKind,omitempty"`
	UnitsCostUSD float64 `json:"unitsCostUsd,omitempty"`
	RequestBody  string  `json:"requestBody,omitempty"`
	ResponseBody string  `json:"responseBody,omitempty"`
	// Headers are the request's and answer's headers that matter (JSON,
	// redacted), kept with the bodies when body logging is on.
	Headers string `json:"headers,omitempty"`
	// HasBody says a listed row has bodies or headers (lists leave them
	// out; Detail has them).
	HasBody bool `json:"hasBody,omitempty"`
	// Set by Record from the prices (price.go): how the provider bills,
	// the cost (CostKnown false: no price for the model, never a guessed
	// 0) and, through a subscription, the API-equivalent value.
	Billing    string  `json:"billing"`
	CostUSD    float64 `json:"costUsd"`
	CostKnown  bool    `json:"costKnown"`
	ValueUSD   float64 `json:"valueUsd"`
	ValueKnown bool    `json:"valueKnown"`

	// pooled: the row came from CopyRow and goes back once written.
	pooled bool
}

// rowPool keeps the rows CopyRow hands out: a request's row is garbage
// the moment it is written, one per request.
var rowPool = sync.Pool{New: func() any { return new(Row) }}

// CopyRow is a copy of src for Record, which then owns it: once written
// (or dropped) it is reused for another request, so the caller must not
// touch it after Record. Rows not made here are never reused.
func CopyRow(src *Row) *Row {
	w := rowPool.Get().(*Row)
	*w = *src
	w.pooled = true
	return w
}

// recycle gives a row from CopyRow back for reuse.
func recycle(w *Row) {
	if w.pooled {
		*w = Row{}
		rowPool.Put(w)
	}
}

// Recorder queues rows and writes them in batches.
type Recorder struct {
	db      *store.DB
	log     *slog.Logger
	q       chan *Row
	dropped atomic.Int64
	written atomic.Int64
	// expected counts rows announced (Expect) and not yet settled: Flush
	// waits for them.
	expected atomic.Int64
	flushed  chan chan struct{}
	done     chan struct{}
	once     sync.Once
	// closing orders Record and Close: a row recorded after Close (a
	// stream logged after its handler returned, see gateway.Wait) is
	// dropped and counted instead of sent on the closed queue.
	closing sync.RWMutex
	closed  bool
	batch   int
	hold    int
	every   time.Duration
	// checkpointRows: see Options.CheckpointRows.
	checkpointRows int
	stored         events.Signal
	// observers see every row as it is recorded (key budgets, metrics).
	observers atomic.Pointer[[]func(*Row)]
	prices    atomic.Pointer[Prices]
	traffic   Traffic
	park      func() // yield's wait (tests count it)
	// thread writes the rows off the Go scheduler (store.WriterThread),
	// started with the first write; noThread: none (not Linux, it failed,
	// or a test writes through the pool). Only the writer goroutine uses
	// them, and enc and args, which it reuses.
	thread   *store.WriterThread
	noThread bool
	enc      store.Batch
	args     []any
}

// Options tune the recorder.
type Options struct {
	QueueSize int // default 8192
	// Rows are written as soon as the gateway is idle (traffic.go). Under
	// load they wait for Batch rows (default 256) while requests run side
	// by side, since a write stalls them all and must be short; for Hold
	// rows (default 2048) while they come one at a time, since a write
	// stalls only the next and must be rare; and never longer than Every
	// (default 250ms: what a crash can lose).
	Batch int
	Hold  int
	Every time.Duration
	// CheckpointRows (default 128) is how many rows written since the last
	// WAL checkpoint make the writer run one, when it writes while the
	// gateway is idle (a checkpoint syncs the database file: see
	// store.WALAutoCheckpoint). 128 single-row commits are about the
	// 1,000 pages at which SQLite would have checkpointed by itself.
	CheckpointRows int
}

// NewRecorder starts the writer goroutine.
func NewRecorder(db *store.DB, log *slog.Logger, o Options) *Recorder {
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Hold <= 0 {
		o.Hold = 2048
	}
	o.Hold = max(o.Hold, o.Batch)
	if o.Every <= 0 {
		o.Every = 250 * time.Millisecond
	}
	if o.CheckpointRows <= 0 {
		o.CheckpointRows = 128
	}
	r := &Recorder{db: db, log: log, q: make(chan *Row, o.QueueSize), flushed: make(chan chan struct{}),
		done: make(chan struct{}), batch: o.Batch, hold: o.Hold, every: o.Every, checkpointRows: o.CheckpointRows,
		park: func() { time.Sleep(time.Microsecond) }}
	go r.run()
	return r
}

// Observe registers f to see every row Record is given, on the
// recording goroutine and before the row is queued (so a budget is debited
// even if the queue drops the row). f must be quick and must not keep row.
func (r *Recorder) Observe(f func(*Row)) {
	for {
		old := r.observers.Load()
		var next []func(*Row)
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, f)
		if r.observers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// SetPrices makes p the prices new rows are costed at (the catalog's
// until called).
func (r *Recorder) SetPrices(p *Prices) { r.prices.Store(p) }

// Prices are the prices rows are costed at now.
func (r *Recorder) Prices() *Prices {
	if p := r.prices.Load(); p != nil {
		return p
	}
	return catalogTable
}

// Record prices the row, shows it to the observers (key budgets, metrics:
// after pricing, so they see its cost) and queues it without blocking.
func (r *Recorder) Record(row *Row) {
	r.Prices().priceRow(row)
	if obs := r.observers.Load(); obs != nil {
		for _, f := range *obs {
			f(row)
		}
	}
	r.closing.RLock()
	defer r.closing.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		recycle(row)
		return
	}
	select {
	case r.q <- row:
	default:
		r.dropped.Add(1)
		recycle(row)
	}
}

// Traffic is where the gateway marks its requests, so that rows are
// written while it is idle (traffic.go).
func (r *Recorder) Traffic() *Traffic { return &r.traffic }

// Dropped counts rows lost to a full queue.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Stored wakes its waiters after rows were written: live views (the
// tray, the window's status) re-read then instead of polling.
func (r *Recorder) Stored() *events.Signal { return &r.stored }

// Written counts rows stored.
func (r *Recorder) Written() int64 { return r.written.Load() }

// Expect announces a row Record will be given shortly: the gateway sends
// a JSON answer before its row, so a client can have the answer before
// the row is queued. Every Expect is followed by one Settle, after that
// Record or when no row comes.
func (r *Recorder) Expect() { r.expected.Add(1) }

// Settle ends an Expect.
func (r *Recorder) Settle() { r.expected.Add(-1) }

// Flush waits until every row queued before the call, or expected then,
// is written.
func (r *Recorder) Flush() {
	for r.expected.Load() > 0 { // settled within microseconds of the answer
		time.Sleep(100 * time.Microsecond)
	}
	ack := make(chan struct{})
	select {
	case r.flushed <- ack:
		<-ack
	case <-r.done:
	}
}

// Close writes what is queued and stops the writer.
func (r *Recorder) Close() {
	r.once.Do(func() {
		r.closing.Lock()
		r.closed = true
		close(r.q)
		r.closing.Unlock()
		<-r.done
	})
}

func (r *Recorder) run() {
	defer close(r.done)
	defer r.stopThread()
	buf := make([]*Row, 0, r.batch)
	var (
		first time.Time // when buf's first row came
		seen  uint64    // requests begun, at the last look (traffic.go)
		held  int       // text buf holds (bodies, when logged, are large)
		fresh int       // rows written since the last WAL checkpoint
	)
	// The tick runs only while rows wait: an idle app has no reason to wake.
	tick := time.NewTimer(idleTick)
	tick.Stop()
	defer tick.Stop()
	// rest ends the writer thread once no row was written for threadRest
	// (the next write on it starts it again), as the pool closes idle
	// connections.
	rest := time.NewTimer(threadRest)
	rest.Stop()
	defer rest.Stop()
	// write writes what buf holds; every row written counts toward the
	// next checkpoint, whatever made the write (traffic, Every, Flush).
	// paced: the write steps aside for requests (yield); Flush's does not,
	// nor the last one, at Close.
	write := func(paced bool) {
		tick.Stop()
		n := len(buf)
		fresh += n
		buf, held = r.write(buf, paced), 0
		if n > 0 && r.thread != nil {
			rest.Reset(threadRest)
		}
	}
	for {
		select {
		case row, ok := <-r.q:
			if !ok {
				r.write(buf, false)
				return
			}
			buf = append(buf, row)
			held += row.heldBytes()
			if n := len(buf); n >= r.hold || held >= maxHeldBytes || n >= r.batch && r.traffic.concurrent() {
				write(true)
			} else if len(buf) == 1 {
				first = time.Now()
				seen = r.traffic.started.Load()
				tick.Reset(idleTick)
			}
		case <-tick.C:
			idle, s := r.traffic.Idle(seen)
			seen = s
			if idle || time.Since(first) >= r.every {
				write(true)
				// Idle still (the write took a while): the moment to
				// checkpoint, which commits under load would otherwise do.
				if idle && fresh >= r.checkpointRows && r.traffic.InFlight() == 0 && r.checkpoint() {
					fresh = 0
				}
			} else {
				tick.Reset(idleTick)
			}
		case <-rest.C:
			r.stopThread()
		case ack := <-r.flushed:
			for drained := false; !drained; {
				select {
				case row, ok := <-r.q:
					if !ok {
						drained = true
						break
					}
					buf = append(buf, row)
				default:
					drained = true
				}
			}
			write(false)
			close(ack)
		}
	}
}

const (
	// idleTick is how often waiting rows look for the gateway to be idle:
	// no request in flight and none begun since the last look.
	idleTick = 2 * time.Millisecond
	// maxHeldBytes writes the rows waiting once their text reaches it
	// (with body logging on, each row can carry 128 KiB of bodies).
	maxHeldBytes = 8 << 20
)

// heldBytes is the text w holds beyond its fixed fields.
func (w *Row) heldBytes() int {
	return len(w.ReqID) + len(w.Route) + len(w.ErrorMessage) + len(w.RequestBody) + len(w.ResponseBody) + len(w.Headers)
}

const insertSQL = `INSERT INTO request_logs(req_id, ts, key_name, client_dialect, endpoint, requested_model,
	provider, account, upstream_model, upstream_dialect, stream, status, error_kind, error_message,
	latency_ms, ttft_ms, tokens_in, tokens_out, tokens_cached, tokens_reasoning, attempts, route,
	request_body, response_body, units, unit_kind, units_cost_usd, headers,
	tokens_cache_write, tool, combo, billing, cost_usd, value_usd)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// insertColumns is how many values insertSQL takes.
const insertColumns = 34

// appendInsertArgs appends w's values in insertSQL's order (one list for
// the writer and the seeds of the scale tests, so a new column cannot be
// missed by either). The values are the driver's own types (int64, not
// int): the writer hands them to the driver unconverted.
func (w *Row) appendInsertArgs(dst []any) []any {
	return append(dst, w.ReqID, w.TS, w.KeyName, w.ClientDialect, w.Endpoint, w.RequestedModel,
		w.Provider, w.Account, w.UpstreamModel, w.UpstreamDialect, w.Stream, int64(w.Status), w.ErrorKind,
		w.ErrorMessage, w.LatencyMS, w.TTFTMS, int64(w.TokensIn), int64(w.TokensOut), int64(w.TokensCached),
		int64(w.TokensReasoning), int64(w.Attempts), w.Route, w.RequestBody, w.ResponseBody, w.Units, w.UnitKind, w.UnitsCostUSD, w.Headers,
		int64(w.TokensCacheWrite), w.Tool, w.Combo, w.Billing, nullable(w.CostUSD, w.CostKnown), nullable(w.ValueUSD, w.ValueKnown))
}

// checkpoint runs a PASSIVE WAL checkpoint (on the writer thread, if
// any: its fsyncs are the longest of the writer's calls) and reports
// whether it ran.
func (r *Recorder) checkpoint() bool {
	var err error
	if t := r.writerThread(); t != nil {
		err = t.Checkpoint()
	} else {
		_, _, err = r.db.Checkpoint(context.Background())
	}
	if err != nil {
		r.log.Warn("request log: WAL checkpoint failed; trying again when idle", "err", err)
		return false
	}
	return true
}

// write inserts rows in one transaction and returns buf emptied; paced, it
// steps aside for requests between its inserts (yield).
func (r *Recorder) write(rows []*Row, paced bool) []*Row {
	if len(rows) == 0 {
		return rows
	}
	// A locked database is waited out (store.RetryLocked); the queue holds
	// new rows meanwhile.
	var between func()
	if paced {
		between = r.yield
	}
	onThread := r.threadMoment()
	err := store.RetryLocked(func() error { return r.insert(rows, between, onThread) }, func(d time.Duration) {
		r.log.Warn("request log: database locked; writing again shortly", "rows", len(rows), "in", d)
	})
	if err != nil {
		r.dropped.Add(int64(len(rows)))
		r.log.Error("request log write failed; rows dropped", "rows", len(rows), "err", err)
	} else {
		r.written.Add(int64(len(rows)))
		r.stored.Notify()
	}
	for _, w := range rows {
		recycle(w)
	}
	clear(rows)
	return rows[:0]
}

// threadMoment says whether a write now goes to the writer thread: while
// requests do not run side by side and the queue is short. Then the core
// has gaps, and the thread, at the lowest priority, writes in them. With
// requests side by side the core may be saturated, where a thread at that
// priority starves (rig, one core at c=32: it wrote half the rows, the
// rest dropped with the queue full), and the pool writes, paced (yield).
// A write already on the thread when a burst begins still ends within the
// queue's bound: starved on that core the thread wrote 5,000 rows a
// second, so the 250 ms of one-at-a-time rows a write holds at most
// (about 1,250 on the rig) take about 250 ms more, while the burst queues
// some 4,000 of the queue's 8,192.
func (r *Recorder) threadMoment() bool {
	return !r.traffic.concurrent() && len(r.q) < cap(r.q)/8
}

// insert writes rows in one transaction, on the writer thread if onThread
// and there is one, else through the pool, calling between (when set)
// after every threadYieldRows or yieldRows rows.
func (r *Recorder) insert(rows []*Row, between func(), onThread bool) error {
	if onThread { // the thread is started only when a write goes to it
		if t := r.writerThread(); t != nil {
			err := r.insertOnThread(t, rows, between)
			broken := t.Broken()
			if broken == nil {
				return err
			}
			r.dropThread(broken) // the pool writes these rows and the next
		}
	}
	ctx := context.Background()
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error { return insertRaw(ctx, dc, rows, between) })
}

// writerThread is the request log's writer thread, started by the first
// write; nil where there is none, or once it failed (the pool writes then).
func (r *Recorder) writerThread() *store.WriterThread {
	if r.noThread {
		return nil
	}
	if r.thread != nil {
		if err := r.thread.Broken(); err != nil {
			r.dropThread(err)
			return nil
		}
		return r.thread
	}
	t, err := r.db.StartWriterThread(insertSQL)
	if err != nil {
		r.noThread = true
		if !errors.Is(err, store.ErrNoWriterThread) {
			r.log.Warn("request log: no writer thread; writing from Go", "err", err)
		}
		return nil
	}
	r.thread = t
	return t
}

// dropThread lets a failed writer thread go for good: the pool writes
// from then on.
func (r *Recorder) dropThread(err error) {
	r.log.Warn("request log: the writer thread failed; writing from Go", "err", err)
	r.stopThread()
	r.noThread = true
}

// stopThread ends the writer thread, if started.
func (r *Recorder) stopThread() {
	if r.thread != nil {
		r.thread.Close()
		r.thread = nil
	}
}

// threadRest is how long the writer thread outlives the last write (its
// connection's page cache and stack are the app's while it runs).
const threadRest = 5 * time.Minute

// threadYieldRows is how many rows a write encodes for the writer thread
// between two yields (encoding is about a microsecond a row; SQLite's work
// is the thread's).
const threadYieldRows = 8

// insertOnThread encodes rows and has the writer thread insert them in
// one transaction.
func (r *Recorder) insertOnThread(t *store.WriterThread, rows []*Row, between func()) error {
	b := &r.enc
	b.Reset()
	defer func() {
		clear(r.args) // the rows' text goes back to the pool with them
		if b.Cap() > maxKeptBatch {
			*b = store.Batch{}
		}
	}()
	for i, w := range rows {
		if between != nil && i > 0 && i%threadYieldRows == 0 {
			between()
		}
		r.args = w.appendInsertArgs(r.args[:0])
		if err := b.Row(r.args); err != nil {
			return err
		}
	}
	return t.Insert(b)
}

// maxKeptBatch: a batch grown past this is not kept for the next write
// (kept, it held 0.7 MiB of live heap at rest after the bench's load).
const maxKeptBatch = 64 << 10

// yieldRows is how many rows a write inserts between two yields: about
// 20 µs of SQLite's work (BenchmarkWriteRows), the longest a request that
// arrives in the middle waits for it.
const yieldRows = 2

// maxStepAside bounds how long a write waits for a lone request between
// two groups of rows, so that a long stream does not hold the log back.
const maxStepAside = 2 * time.Millisecond

// yield steps aside for the gateway's requests between a write's inserts.
// An insert is a cgo call that keeps the writer's P, and while the writer
// is runnable a one-P process (one core, or a gateway pinned to one) never
// polls the network: a request arriving during a write waited for all of
// it (250 rows every 250 ms at c=1, a millisecond tail at the p99). Parked
// on a timer, the writer lets the scheduler poll the network and run what
// is runnable; while one request is in flight it stays parked until that
// request is done (at most maxStepAside a group), so its rows go in the
// gaps between requests. With requests side by side there are no gaps:
// it goes on after one park. A writer that falls behind (its queue half
// full) writes straight through: pacing must not drop rows.
func (r *Recorder) yield() {
	deadline := time.Now().Add(maxStepAside)
	for len(r.q) <= cap(r.q)/2 {
		r.park()
		if n := r.traffic.InFlight(); n != 1 || time.Now().After(deadline) {
			return
		}
	}
}

// insertRaw writes rows through the driver's own connection: database/sql
// would copy the 34 values of every insert into a new slice (1.4 KB a row,
// most of what the log writer gave the garbage collector).
func insertRaw(ctx context.Context, dc any, rows []*Row, between func()) (err error) {
	c, ok := dc.(interface {
		driver.ConnBeginTx
		driver.ConnPrepareContext
	})
	if !ok {
		return fmt.Errorf("usage: the %T driver cannot insert", dc)
	}
	tx, err := c.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	st, err := c.PrepareContext(ctx, insertSQL)
	if err != nil {
		return err
	}
	defer st.Close()
	// Through the statement's Query, go-sqlite3 binds and steps in one call
	// into C; its Exec crosses once per value, 36 times a row
	// (BenchmarkWriteRows: 5.6 µs a row instead of 6.5).
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("usage: the %T statement cannot insert", st)
	}
	args := make([]any, 0, insertColumns)
	vals := make([]driver.NamedValue, insertColumns)
	for j := range vals {
		vals[j].Ordinal = j + 1
	}
	for i, w := range rows {
		if between != nil && i > 0 && i%yieldRows == 0 {
			between()
		}
		args = w.appendInsertArgs(args[:0])
		for j, a := range args {
			vals[j].Value = a
		}
		if err = execRow(ctx, q, vals); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// execRow runs the insert through Query. Next steps it if the driver did
// not at Query (go-sqlite3 does, and answers Next without calling C), so
// the row is inserted either way.
func execRow(ctx context.Context, q driver.StmtQueryContext, vals []driver.NamedValue) error {
	rs, err := q.QueryContext(ctx, vals)
	if err != nil {
		return err
	}
	if err := rs.Next(nil); err != io.EOF {
		rs.Close()
		if err == nil {
			err = errors.New("usage: the insert returned a row")
		}
		return err
	}
	return rs.Close()
}

// Filter selects log rows. Every field left empty matches everything.
type Filter struct {
	Provider  string `json:"provider"`
	Model     string `json:"model"` // requested or upstream model
	KeyName   string `json:"keyName"`
	Account   string `json:"account"`
	Dialect   string `json:"dialect"` // the client's dialect
	Status    string `json:"status"`  // "", "ok", "error", "4xx", "5xx" or a code such as "429"
	ErrorKind string `json:"errorKind"`
	Stream    string `json:"stream"` // "", "yes", "no"
	// Q is a substring searched in the request id, models, provider,
	// account, key, endpoint, error message and routing record.
	Q      string `json:"q"`
	Since  int64  `json:"since"` // unix ms, inclusive
	Before int64  `json:"before"`
	// CursorTS and CursorID page on: only rows older than that row (the
	// last one of the previous page) are returned.
	CursorTS int64 `json:"cursorTs"`
	CursorID int64 `json:"cursorId"`
	Limit    int   `json:"limit"`
}

// listColumns are what a list of rows carries: no bodies (they can be
// 64 KiB each), only whether there are any.
const listColumns = `id, req_id, ts, key_name, client_dialect, endpoint, requested_model, provider, account,
	upstream_model, upstream_dialect, stream, status, error_kind, error_message, latency_ms, ttft_ms,
	tokens_in, tokens_out, tokens_cached, tokens_reasoning, attempts, route, units, unit_kind, units_cost_usd,
	tokens_cache_write, tool, combo, billing, cost_usd, value_usd,
	length(request_body) + length(response_body) + length(headers) > 0`

// where is the SQL condition and arguments of f.
func (f Filter) where() (string, []any) {
	var where []string
	var args []any
	add := func(cond string, vs ...any) { where = append(where, cond); args = append(args, vs...) }
	eq := func(col, v string) {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	eq("provider", f.Provider)
	eq("key_name", f.KeyName)
	eq("account", f.Account)
	eq("client_dialect", f.Dialect)
	eq("error_kind", f.ErrorKind)
	if f.Model != "" {
		add("(requested_model = ? OR upstream_model = ?)", f.Model, f.Model)
	}
	switch s := f.Status; {
	case s == "ok":
		add("status < 400")
	case s == "error":
		add("status >= 400")
	case len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '5':
		lo := int(s[0]-'0') * 100
		add("status >= ? AND status < ?", lo, lo+100)
	case s != "":
		if code, err := strconv.Atoi(s); err == nil {
			add("status = ?", code)
		}
	}
	switch f.Stream {
	case "yes":
		add("stream = 1")
	case "no":
		add("stream = 0")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + likeEscaper.Replace(q) + "%"
		cols := []string{"req_id", "requested_model", "upstream_model", "provider", "account", "key_name", "endpoint", "error_message", "route"}
		conds := make([]string, len(cols))
		for i, c := range cols {
			conds[i] = c + ` LIKE ? ESCAPE '\'`
			args = append(args, like)
		}
		where = append(where, "("+strings.Join(conds, " OR ")+")")
	}
	if f.Since > 0 {
		add("ts >= ?", f.Since)
	}
	if f.Before > 0 {
		add("ts < ?", f.Before)
	}
	if f.CursorTS > 0 {
		add("(ts < ? OR (ts = ? AND id < ?))", f.CursorTS, f.CursorTS, f.CursorID)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listSQL is the query of one page of f (its Limit set), newest first.
func (f Filter) listSQL() (string, []any) {
	where, args := f.where()
	return `SELECT ` + listColumns + ` FROM request_logs` + where + fmt.Sprintf(" ORDER BY ts DESC, id DESC LIMIT %d", f.Limit), args
}

// MaxPage bounds one page of Query.
const MaxPage = 1000

// Query returns rows newest first, without their bodies (see Detail).
func Query(ctx context.Context, db *store.DB, f Filter) ([]Row, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 200
	}
	q, args := f.listSQL()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("usage: query: %w", err)
	}
	defer rows.Close()
	return scanRows(rows)
}

func scanRows(rows *sql.Rows) ([]Row, error) {
	out := []Row{}
	for rows.Next() {
		var w Row
		var cost, value sql.NullFloat64
		if err := rows.Scan(&w.ID, &w.ReqID, &w.TS, &w.KeyName, &w.ClientDialect, &w.Endpoint, &w.RequestedModel,
			&w.Provider, &w.Account, &w.UpstreamModel, &w.UpstreamDialect, &w.Stream, &w.Status, &w.ErrorKind,
			&w.ErrorMessage, &w.LatencyMS, &w.TTFTMS, &w.TokensIn, &w.TokensOut, &w.TokensCached,
			&w.TokensReasoning, &w.Attempts, &w.Route, &w.Units, &w.UnitKind, &w.UnitsCostUSD,
			&w.TokensCacheWrite, &w.Tool, &w.Combo, &w.Billing, &cost, &value, &w.HasBody); err != nil {
			return nil, fmt.Errorf("usage: scan: %w", err)
		}
		w.CostUSD, w.CostKnown = cost.Float64, cost.Valid
		w.ValueUSD, w.ValueKnown = value.Float64, value.Valid
		out = append(out, w)
	}
	return out, rows.Err()
}

// nullable stores v, or NULL when it is not known.
func nullable(v float64, known bool) any {
	if !known {
		return nil
	}
	return v
}
