package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DefaultBodyBudget bounds the request bodies held in memory at once, all
// requests together (config max_inflight_body_mib): without it, two dozen
// concurrent 31 MiB agent requests took the process past 1.3 GiB.
const DefaultBodyBudget = 256 << 20

// bodyBudgetRetryAfter is the back-off suggested to a client refused for
// the budget: the bodies in flight are read, forwarded and released within
// seconds.
const bodyBudgetRetryAfter = 2 * time.Second

// bodyBudget counts the body bytes of requests in flight. A request reserves
// its declared Content-Length before anything is read (or, chunked, each
// chunk as it is read) and releases it when it ends.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
	// held adds up the bytes released since quiet last ran; once it passes
	// restAfterBytes, or request buffers are kept (bodyShelf), and nothing
	// is held, quiet runs after quietFor.
	held  atomic.Int64
	quiet func() // nil: nobody to tell
	// shelf keeps request buffers between requests (bodypool.go); quiet
	// empties it.
	shelf bodyShelf
	// prefixes remembers the last agent-sized bodies' validation, so the
	// next turn of a conversation resumes where it parts from the last;
	// quiet empties it too.
	prefixes jsonscan.Prefixes
	mu       sync.Mutex
	timer    *time.Timer
}

func (b *bodyBudget) reserve(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *bodyBudget) release(n int64) {
	held := b.held.Add(n)
	if b.used.Add(-n) == 0 && b.quiet != nil && (held >= restAfterBytes || b.shelf.keeps() || b.prefixes.Len() > 0) {
		b.armQuiet()
	}
}

// restAfterBytes: the request bodies an agent session sends (hundreds of KB
// each) add up to this before the heap that held them is worth handing
// back; a stream of small requests never arms the timer.
var restAfterBytes int64 = 32 << 20

// quietFor is how long no body may be held before Options.Quiet runs.
var quietFor = 30 * time.Second

// armQuiet (re)starts the wait for quiet.
func (b *bodyBudget) armQuiet() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer == nil {
		b.timer = time.AfterFunc(quietFor, b.fireQuiet)
		return
	}
	b.timer.Reset(quietFor)
}

// fireQuiet runs quiet unless a body is held again (its release re-arms).
func (b *bodyBudget) fireQuiet() {
	if b.used.Load() != 0 {
		return
	}
	b.held.Store(0)
	b.prefixes.Drain() // the spans it keeps
	b.shelf.drain()    // and the kept request buffers go back with the rest of the heap
	b.quiet()
}

// errBodyBudget ends the read of a chunked body the budget cannot hold.
var errBodyBudget = errors.New("in-flight body budget exhausted")

func errBudgetFull() *ir.Error {
	return &ir.Error{Kind: ir.KindRateLimited, Status: http.StatusTooManyRequests, RetryAfter: bodyBudgetRetryAfter,
		Message: "Switchboard is holding as many request bodies as its memory budget allows; retry in a moment"}
}

// meteredBody reserves a body of unknown length (chunked) as it is read.
type meteredBody struct {
	io.ReadCloser
	b    *bodyBudget
	held int64
	err  error
}

func (m *meteredBody) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.ReadCloser.Read(p)
	if n > 0 {
		if !m.b.reserve(int64(n)) {
			m.err = errBodyBudget
			return 0, m.err
		}
		m.held += int64(n)
	}
	return n, err
}

// admitBody reserves r's body in the budget, or refuses the request (413
// when the body could never fit, 429 when it does not fit now) and returns
// false. The caller releases what admitBody held when the request ends
// (see bodyHold.release).
func (g *Gateway) admitBody(w http.ResponseWriter, r *http.Request, d dialect.Name) (bodyHold, bool) {
	switch n := r.ContentLength; {
	case n > maxRequestBody:
		refuse(w, r, d, errBodyTooLarge())
	case n > g.bodies.limit:
		refuse(w, r, d, &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request body is larger than this Switchboard's in-flight body budget (%d MiB, max_inflight_body_mib)", g.bodies.limit>>20)})
	case n > 0:
		if g.bodies.reserve(n) {
			return bodyHold{b: &g.bodies, n: n}, true
		}
		refuse(w, r, d, errBudgetFull())
	case n < 0:
		m := &meteredBody{ReadCloser: r.Body, b: &g.bodies}
		r.Body = m
		return bodyHold{b: &g.bodies, m: m}, true
	default:
		return bodyHold{}, true
	}
	return bodyHold{}, false
}

// bodyHold is what one request holds of the budget.
type bodyHold struct {
	b *bodyBudget
	n int64
	m *meteredBody
}

func (h bodyHold) release() {
	if h.m != nil {
		h.n = h.m.held
	}
	if h.n > 0 {
		h.b.release(h.n)
	}
}

// BodyBytesInFlight is how many request body bytes the budget holds now.
func (g *Gateway) BodyBytesInFlight() int64 { return g.bodies.used.Load() }
