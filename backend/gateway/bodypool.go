package gateway

import (
	"sync"
	"sync/atomic"
)

// Request body buffers are lent, not allocated, for agent-sized bodies: a
// coding agent sends its whole conversation (hundreds of KB to MBs) every
// turn, and a fresh buffer per request costs a clear of every byte, page
// faults and the scavenger handing pages back (scripts/bench.sh --agent
// --profile: about a tenth of a pass-through's CPU). A translation's
// encoding is written into one too. A pass-through gives its body's
// buffer back; a decoded request's hub strings point into its body, so
// that buffer is left to the collector.
const (
	// minLentBody: smaller bodies are cheap to allocate.
	minLentBody = 64 << 10
	// maxShelvedBytes bounds the buffers kept between requests: eight
	// agents' 1 MB turns fit twice.
	maxShelvedBytes = 16 << 20
)

// lentSize is the capacity of a new buffer for n bytes: an eighth more, so
// that it serves the next turns of a conversation, which grow by a few KB
// each, without the memory of a power-of-two class.
func lentSize(n int64) int64 { return min(n+n/8+4095, maxRequestBody) &^ 4095 }

// bodyShelf keeps released buffers for the next requests, up to
// maxShelvedBytes. Each gateway has one (bodyBudget.shelf), emptied when
// the gateway goes quiet. It is a plain list, not a sync.Pool, so that
// quiet can empty it: buffers a pool keeps survive a collection, and an
// idle app would hold them for good.
type bodyShelf struct {
	mu    sync.Mutex
	free  []*lentBody
	bytes atomic.Int64 // changed under mu; keeps reads it without
	// onLend, when set (tests only), sees every buffer lent.
	onLend func(*lentBody)
}

// lend returns a buffer for a body of n bytes, held once by the caller,
// or nil for a body too small or too large to lend: the smallest kept
// buffer that holds n bytes and is not twice as large (a small body does
// not pin a large buffer), else a new one.
func (s *bodyShelf) lend(n int64) *lentBody {
	if n < minLentBody || n > maxRequestBody {
		return nil
	}
	l := s.take(n)
	if l == nil {
		l = &lentBody{buf: make([]byte, lentSize(n)), shelf: s}
	}
	l.refs.Store(1)
	l.keep.Store(false)
	if s.onLend != nil {
		s.onLend(l)
	}
	return l
}

func (s *bodyShelf) take(n int64) *lentBody {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := -1
	for i, l := range s.free {
		if c := int64(cap(l.buf)); c >= n && c < 2*n && (best < 0 || c < int64(cap(s.free[best].buf))) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	l := s.free[best]
	last := len(s.free) - 1
	s.free[best], s.free[last] = s.free[last], nil
	s.free = s.free[:last]
	s.bytes.Add(-int64(cap(l.buf)))
	return l
}

func (s *bodyShelf) put(l *lentBody) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes.Load()+int64(cap(l.buf)) > maxShelvedBytes {
		return // the collector takes it
	}
	s.free = append(s.free, l)
	s.bytes.Add(int64(cap(l.buf)))
}

// keeps reports whether buffers are kept (quiet will let go of them).
func (s *bodyShelf) keeps() bool { return s.bytes.Load() > 0 }

// drain lets go of every kept buffer (quiet: the heap goes back to the OS).
func (s *bodyShelf) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free = nil
	s.bytes.Store(0)
}

// lentBody is a buffer lent from a shelf: a request body, or the encoding
// of a translated one. The exchange holds it while it needs it and each
// upstream request reading it holds it until the transport closes that
// request's body (provider.Call.BodyHold); the last release puts it back
// on its shelf unless keep was set.
type lentBody struct {
	buf   []byte // lentSize of the body it was made for
	shelf *bodyShelf
	refs  atomic.Int32
	// keep: something that may outlive the exchange points into the
	// buffer (the decoded hub request); it is never lent again. Set by the
	// exchange before its own release.
	keep atomic.Bool
}

func (l *lentBody) Hold() { l.refs.Add(1) }

func (l *lentBody) Release() {
	switch n := l.refs.Add(-1); {
	case n < 0:
		panic("gateway: lent body released more often than held")
	case n == 0 && !l.keep.Load():
		l.shelf.put(l)
	}
}
