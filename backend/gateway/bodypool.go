package gateway

import (
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Request body buffers are lent, not allocated, for agent-sized bodies: a
// coding agent sends its whole conversation (hundreds of KB to MBs) every
// turn, and a fresh buffer per request costs a clear of every byte, page
// faults and the scavenger handing pages back (scripts/bench.sh --agent
// --profile: about a tenth of a pass-through's CPU). Only pass-through
// exchanges give their buffer back: a decoded request's hub strings point
// into its body, so that buffer is left to the collector.
const (
	// minLentBody: smaller bodies are cheap to allocate.
	minLentBody = 64 << 10
	// bodyClasses: one pool per power of two from minLentBody up to
	// maxRequestBody, so a buffer is never more than twice its body.
	bodyClasses = 10 // 64 KiB … 32 MiB
)

var bodyPools [bodyClasses]sync.Pool

// bodyClass is the pool of a body of n bytes (minLentBody ≤ n ≤ maxRequestBody).
func bodyClass(n int) int { return bits.Len(uint(n-1)) - bits.Len(uint(minLentBody-1)) }

// lentBody is a request body in a pooled buffer. The exchange holds it
// while it runs and each upstream request reading it holds it until the
// transport closes that request's body (provider.Call.BodyHold); the last
// release gives the buffer back unless keep was set.
type lentBody struct {
	buf  []byte // whole capacity of the class
	refs atomic.Int32
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
		bodyPools[bodyClass(cap(l.buf))].Put(l)
	}
}

// lendBody returns a buffer for a body of n bytes (held once by the
// caller), or nil for a body too small or too large to lend.
func lendBody(n int64) *lentBody {
	if n < minLentBody || n > maxRequestBody {
		return nil
	}
	c := bodyClass(int(n))
	l, _ := bodyPools[c].Get().(*lentBody)
	if l == nil {
		lentBodiesMade.Add(1)
		l = &lentBody{buf: make([]byte, minLentBody<<c)}
	}
	l.refs.Store(1)
	l.keep.Store(false)
	if lentHook != nil {
		lentHook(l)
	}
	return l
}

// lentHook, when set (tests only), sees every buffer lendBody lends.
var lentHook func(*lentBody)

// lentBodiesMade counts the buffers lendBody had to allocate (tests).
var lentBodiesMade atomic.Int64

// read reads a body of exactly length bytes (what lendBody was asked
// for) into the buffer: the bytes are buf[:length:length], so nothing
// appends into the rest.
func (l *lentBody) read(r io.Reader, length int64) ([]byte, error) {
	b := l.buf[:length:length]
	n, err := io.ReadFull(r, b)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b[:n], err
}
