// Package reasoning keeps the vendor-signed reasoning that a client's dialect
// cannot carry, so tool loops with reasoning models work whatever the client
// speaks.
//
// Two vendor rules break tool loops through a translating gateway:
//   - Gemini signs each functionCall part (thoughtSignature) and answers 400
//     when the next turn's history holds the call without that signature.
//     OpenAI Chat, Responses and Anthropic clients have no place for it.
//   - Anthropic with thinking on refuses a final assistant turn that calls
//     tools unless it starts with the signed thinking block the API issued.
//     OpenAI Chat and Gemini clients drop signed thinking.
//
// OpenAI Responses reasoning items (encrypted_content) are the same kind of
// value: Chat, Anthropic and Gemini clients lose them.
//
// The Memo remembers, per tool call id the client sees (and per local key, so
// one key never gets another's reasoning), what the upstream put before and on
// that call; when the client sends the loop back, Restore puts it where the
// upstream expects it. It is bounded in memory (least recently used out) and
// persisted, sealed, in SQLite so a restart between two steps of a loop does
// not break it. The hot path never waits for the disk: writes are queued and
// batched; only a lookup that misses memory for the conversation's current
// turn reads the database (after a restart).
package reasoning

import (
	"container/list"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/ir"
)

// Defaults for what is kept. An agent session resumed days later still finds
// its signatures; older ones fall back to each vendor's documented way of
// continuing without them.
const (
	DefaultTTL      = 7 * 24 * time.Hour
	DefaultMaxRows  = 20000
	DefaultMemBytes = 16 << 20
	// maxQueue bounds rows waiting for the disk; beyond it rows stay in
	// memory only (counted in Dropped).
	maxQueue = 4096
	// pruneEvery: the table is trimmed after this many inserts.
	pruneEvery = 512
)

// Entry is what an upstream issued with one tool call.
type Entry struct {
	Provider  string     `json:"p"`           // the provider that issued it: only it gets it back
	Origin    ir.Origin  `json:"o"`           // whose signatures these are
	Signature string     `json:"s,omitempty"` // the call's own signature (Gemini)
	Lead      []ir.Block `json:"l,omitempty"` // reasoning the upstream put before the call
}

func (e *Entry) size() int {
	if e == nil { // a remembered absence
		return 64
	}
	n := 64 + len(e.Provider) + len(e.Signature)
	for i := range e.Lead {
		b := &e.Lead[i]
		n += 48 + len(b.Text) + len(b.Signature) + len(b.Data) + len(b.ID)
	}
	return n
}

// Sealer encrypts rows at rest (secret.Sealer).
type Sealer interface {
	Seal(plaintext, aad []byte) string
	Open(sealed string, aad []byte) ([]byte, error)
}

// Options configure a Memo. DB nil keeps it in memory only.
type Options struct {
	DB       *sql.DB
	Sealer   Sealer
	Log      *slog.Logger
	TTL      time.Duration
	MaxRows  int
	MemBytes int
	Now      func() time.Time
}

// Memo is safe for concurrent use.
type Memo struct {
	o Options

	mu    sync.Mutex
	items map[memKey]*list.Element // key → *item
	lru   *list.List               // front: most recently used
	bytes int
	queue []row
	wake  chan struct{}
	done  chan struct{}
	// flushed is signalled after each batch reaches the disk (tests, Close).
	flushed  *sync.Cond
	inflight bool
	closed   bool
	inserted int

	dropped atomic.Int64
}

type item struct {
	key memKey
	e   *Entry // nil: the database has nothing for key either
}

type row struct {
	key  string
	at   int64
	data []byte
}

// New starts a Memo (and its writer when it has a database).
func New(o Options) *Memo {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MemBytes <= 0 {
		o.MemBytes = DefaultMemBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	m := &Memo{o: o, items: map[memKey]*list.Element{}, lru: list.New(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	m.flushed = sync.NewCond(&m.mu)
	if o.DB == nil || o.Sealer == nil {
		close(m.done)
		return m
	}
	m.prune()
	go m.writer()
	return m
}

// Dropped counts entries that could not be queued for the disk.
func (m *Memo) Dropped() int64 { return m.dropped.Load() }

// memKey binds a call id to the local key that saw it. A struct, not a
// joined string: looking up every call of a long conversation allocates
// nothing.
type memKey struct{ scope, call string }

// rowKey is a memory key as stored on disk: hashed, so neither key names
// nor call ids are kept in plain text.
func rowKey(k memKey) string {
	h := sha256.Sum256([]byte(k.scope + "\x00" + k.call))
	return hex.EncodeToString(h[:])
}

// put stores entries in memory and queues them for the disk.
func (m *Memo) put(scope string, calls []string, es []*Entry) {
	now := m.o.Now().UnixMilli()
	var rows []row
	if m.o.DB != nil && m.o.Sealer != nil {
		rows = make([]row, 0, len(es))
		for i, e := range es {
			k := rowKey(memKey{scope, calls[i]})
			b, err := json.Marshal(e)
			if err != nil {
				continue
			}
			rows = append(rows, row{key: k, at: now, data: b})
		}
	}
	m.mu.Lock()
	for i, e := range es {
		m.remember(memKey{scope, calls[i]}, e)
	}
	if !m.closed && len(rows) > 0 {
		room := maxQueue - len(m.queue)
		if room < len(rows) {
			m.dropped.Add(int64(len(rows) - max(room, 0)))
			rows = rows[:max(room, 0)]
		}
		m.queue = append(m.queue, rows...)
	}
	m.mu.Unlock()
	if len(rows) > 0 {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// remember puts one entry in the LRU (m.mu held).
func (m *Memo) remember(k memKey, e *Entry) {
	if el, ok := m.items[k]; ok {
		it := el.Value.(*item)
		m.bytes -= it.e.size()
		it.e = e
		m.bytes += e.size()
		m.lru.MoveToFront(el)
	} else {
		// The key's strings may share a request body's memory (decoders
		// alias it): copy them so the cache never pins a body.
		k = memKey{strings.Clone(k.scope), strings.Clone(k.call)}
		m.items[k] = m.lru.PushFront(&item{key: k, e: e})
		m.bytes += e.size()
	}
	for m.bytes > m.o.MemBytes && m.lru.Len() > 1 {
		el := m.lru.Back()
		it := el.Value.(*item)
		m.lru.Remove(el)
		delete(m.items, it.key)
		m.bytes -= it.e.size()
	}
}

// lookup finds the entry of each key (nil where none): memory first, then,
// for keys from index disk on, the database. Entries found on disk are
// brought back into memory.
func (m *Memo) lookup(ctx context.Context, keys []memKey, disk int) []*Entry {
	out := make([]*Entry, len(keys))
	var miss []int
	m.mu.Lock()
	for i, k := range keys {
		if el, ok := m.items[k]; ok {
			m.lru.MoveToFront(el)
			out[i] = el.Value.(*item).e
		} else if i >= disk {
			miss = append(miss, i)
		}
	}
	m.mu.Unlock()
	if len(miss) == 0 || m.o.DB == nil || m.o.Sealer == nil {
		return out
	}
	rows := make([]string, len(miss))
	for n, i := range miss {
		rows[n] = rowKey(keys[i])
	}
	found, ok := m.load(ctx, rows)
	if !ok {
		return out
	}
	m.mu.Lock()
	for n, i := range miss {
		if e := found[rows[n]]; e != nil {
			out[i] = e
			m.remember(keys[i], e)
		} else if _, known := m.items[keys[i]]; !known {
			// Remember the absence too: a loop whose calls came from
			// elsewhere (a pass-through, another gateway) would otherwise
			// query the database on every request. A later put replaces it.
			m.remember(keys[i], nil)
		}
	}
	m.mu.Unlock()
	return out
}

// load reads entries from the database; rows that do not open (another
// install's key, tampering) are skipped. ok is false when the read failed.
func (m *Memo) load(ctx context.Context, keys []string) (found map[string]*Entry, ok bool) {
	args := make([]any, 0, len(keys)+1)
	args = append(args, m.o.Now().Add(-m.o.TTL).UnixMilli())
	for _, k := range keys {
		args = append(args, k)
	}
	q := "SELECT key, data FROM reasoning_memo WHERE created_at >= ? AND key IN (?" + strings.Repeat(",?", len(keys)-1) + ")"
	rows, err := m.o.DB.QueryContext(ctx, q, args...)
	if err != nil {
		m.o.Log.Warn("reasoning memo: read failed", "err", err)
		return nil, false
	}
	defer rows.Close()
	out := map[string]*Entry{}
	for rows.Next() {
		var k, sealed string
		if rows.Scan(&k, &sealed) != nil {
			continue
		}
		plain, err := m.o.Sealer.Open(sealed, []byte(k))
		if err != nil {
			continue
		}
		var e Entry
		if json.Unmarshal(plain, &e) == nil {
			out[k] = &e
		}
	}
	return out, rows.Err() == nil
}

// writer saves queued rows in batches, one transaction each.
func (m *Memo) writer() {
	defer close(m.done)
	for {
		m.mu.Lock()
		for len(m.queue) == 0 && !m.closed {
			m.mu.Unlock()
			<-m.wake
			m.mu.Lock()
		}
		batch := m.queue
		m.queue = nil
		closed := m.closed
		m.inflight = len(batch) > 0
		m.mu.Unlock()
		if len(batch) > 0 {
			m.write(batch)
		}
		m.mu.Lock()
		m.inflight = false
		m.inserted += len(batch)
		prune := m.inserted >= pruneEvery
		if prune {
			m.inserted = 0
		}
		m.flushed.Broadcast()
		m.mu.Unlock()
		if prune {
			m.prune()
		}
		if closed {
			return
		}
	}
}

func (m *Memo) write(batch []row) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := m.o.DB.BeginTx(ctx, nil)
	if err != nil {
		m.o.Log.Warn("reasoning memo: write failed", "err", err)
		return
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO reasoning_memo(key, created_at, data) VALUES (?, ?, ?)")
	if err != nil {
		m.o.Log.Warn("reasoning memo: write failed", "err", err)
		return
	}
	defer st.Close()
	for _, r := range batch {
		if _, err := st.ExecContext(ctx, r.key, r.at, m.o.Sealer.Seal(r.data, []byte(r.key))); err != nil {
			m.o.Log.Warn("reasoning memo: write failed", "err", err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		m.o.Log.Warn("reasoning memo: write failed", "err", err)
	}
}

// prune drops rows past the TTL and the oldest beyond MaxRows.
func (m *Memo) prune() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cut := m.o.Now().Add(-m.o.TTL).UnixMilli()
	if _, err := m.o.DB.ExecContext(ctx, "DELETE FROM reasoning_memo WHERE created_at < ?", cut); err != nil {
		m.o.Log.Warn("reasoning memo: prune failed", "err", err)
		return
	}
	if _, err := m.o.DB.ExecContext(ctx, `DELETE FROM reasoning_memo WHERE key IN
		(SELECT key FROM reasoning_memo ORDER BY created_at DESC LIMIT -1 OFFSET ?)`, m.o.MaxRows); err != nil {
		m.o.Log.Warn("reasoning memo: prune failed", "err", err)
	}
}

// Flush waits until everything queued so far is on disk.
func (m *Memo) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.o.DB == nil || m.o.Sealer == nil {
		return
	}
	for (len(m.queue) > 0 || m.inflight) && !m.writerGone() {
		m.flushed.Wait()
	}
}

func (m *Memo) writerGone() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Close writes what is queued and stops the writer.
func (m *Memo) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		<-m.done
		return
	}
	m.closed = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	<-m.done
}
