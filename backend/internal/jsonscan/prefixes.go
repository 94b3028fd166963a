package jsonscan

import (
	"bytes"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Prefixes remembers the scans of recent large bodies, so that a body
// beginning with the same bytes as one of them resumes its scan where the
// two part instead of scanning the shared bytes again. A coding agent
// sends its whole conversation every turn: turn n+1 repeats turn n up to
// its last message, and agents of one kind share their tools and system
// prompt. The bytes are compared, never hashed: what a resumed scan skips
// is byte for byte what an earlier scan passed, so its result (valid or
// not, the top-level members, the spans, the notes) is what a whole scan
// would give.
//
// A remembered body is held (Holder) until it leaves, so its bytes cannot
// change while they are compared; at most prefixEntries bodies and
// prefixBytes bytes are held, and Drain lets go of all of them.
type Prefixes struct {
	mu      sync.Mutex
	entries []*prefixEntry // oldest first
	bytes   int
	skipped atomic.Int64 // bytes resumed scans did not scan
}

// Holder keeps a body's memory from being reused while Prefixes reads it.
type Holder interface {
	Hold()
	Release()
}

// Notes is what a scan with Prefixes tells of the strings it passes
// (Scan's str), with a state that describes all it has noted so far: a
// resumed scan starts from the state noted at its resume point.
type Notes interface {
	Note(s []byte)
	State() uint64
	SetState(uint64)
}

const (
	// MinPrefixed is the smallest body worth remembering: below it a scan
	// costs less than the comparison and the bookkeeping.
	MinPrefixed = 64 << 10
	// prefixEntries and prefixBytes bound what is held: a few agents'
	// conversations, each its last turn.
	prefixEntries = 16
	prefixBytes   = 16 << 20
	// pointEvery is about how many bytes lie between two resume points:
	// where a turn differs from the last, up to this many bytes before it
	// are scanned again.
	pointEvery = 8 << 10
	// maxPointDepth: resume points are taken between array elements at
	// most this deep (a conversation's messages and their blocks).
	maxPointDepth = 16
	// probeLen bytes from the middle of the part before a resume point
	// pick the remembered body most likely to share it.
	probeLen = 32
)

// prefixEntry is one remembered body and the scan's state along it.
type prefixEntry struct {
	body   []byte
	owner  Holder
	points []resumePoint // in body order
	tops   []topMember   // the top-level members, in order
	spans  []span        // the Walker's spans after the whole scan
	base   uintptr       // body's address, for spans
}

// resumePoint is the scan's state between two elements of an array.
type resumePoint struct {
	at            int32 // the next element starts here
	vstart        int32 // the top-level member being scanned starts here
	keyAt, keyEnd int32 // its key
	depth         uint8
	stack         [maxPointDepth]byte
	open          [maxPointDepth]int32 // filled by restore (span indices)
	notes         uint64
}

// topMember is a top-level member as offsets in its body.
type topMember struct{ keyAt, keyEnd, vAt, vEnd int32 }

// recorder collects a scan's resume points and top-level members.
type recorder struct {
	notes  Notes
	last   int // the last resume point (or 0)
	points []resumePoint
	tops   []topMember
}

func (r *recorder) point(b []byte, i int, stack, key []byte, vstart int) {
	if len(stack) > maxPointDepth || i >= len(b) {
		return
	}
	r.last = i
	keyAt := offset(b, key)
	p := resumePoint{at: int32(i), vstart: int32(vstart), keyAt: keyAt, keyEnd: keyAt + int32(len(key)),
		depth: uint8(len(stack)), notes: r.notes.State()}
	copy(p.stack[:], stack)
	r.points = append(r.points, p)
}

func (r *recorder) top(b, key []byte, vstart, end int) {
	keyAt := offset(b, key)
	r.tops = append(r.tops, topMember{keyAt, keyAt + int32(len(key)), int32(vstart), int32(end)})
}

// offset is where s (a slice of b, maybe empty) starts in b.
func offset(b, s []byte) int32 {
	if s == nil {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// ScanPrefixed is Scan (notes.Note as str) that resumes after the longest
// prefix b shares with a body p remembers, and remembers b (held through
// owner) when it is valid. b must not change while owner is held. With p
// or owner nil, or a small body, it is Scan.
func (w *Walker) ScanPrefixed(p *Prefixes, b []byte, owner Holder, f func(key, value []byte), notes Notes) bool {
	if w == nil || p == nil || owner == nil || len(b) < MinPrefixed || len(b) > prefixBytes || len(b) >= 1<<31 {
		return w.Scan(b, f, notes.Note)
	}
	rec := recorder{notes: notes}
	var from *resumePoint
	e, k := p.find(b)
	if e != nil {
		if from = w.restore(b, e, k, f, &rec); from == nil {
			rec = recorder{notes: notes}
		}
		defer e.owner.Release()
	}
	if from == nil {
		w.prepare(b)
	} else {
		p.skipped.Add(int64(from.at))
	}
	ok := w.scan(b, f, notes.Note, from, &rec)
	if ok {
		var continues *prefixEntry
		if from != nil && int(from.at) >= len(e.body)*3/4 {
			continues = e // the same conversation, a turn on: it takes e's place
		}
		p.store(&prefixEntry{body: b, owner: owner, points: rec.points, tops: rec.tops, spans: w.spans,
			base: uintptr(unsafe.Pointer(unsafe.SliceData(b)))}, continues)
		w.lent = true
	}
	return ok
}

// find picks the remembered body sharing the longest prefix with b and
// returns it held, with the index of the last of its resume points before
// which it equals b (nil when none does).
func (p *Prefixes) find(b []byte) (*prefixEntry, int) {
	var best *prefixEntry
	bestK := -1
	p.mu.Lock()
	for n := len(p.entries) - 1; n >= 0; n-- {
		e := p.entries[n]
		for k := len(e.points) - 1; k >= 0; k-- {
			at := int(e.points[k].at)
			if best != nil && at <= int(best.points[bestK].at) {
				break
			}
			if at > len(b) {
				continue
			}
			lo := 0
			if k > 0 {
				lo = int(e.points[k-1].at)
			}
			mid := (lo + at) / 2
			hi := min(mid+probeLen, at)
			if bytes.Equal(b[mid:hi], e.body[mid:hi]) {
				best, bestK = e, k
				break
			}
		}
	}
	if best != nil {
		best.owner.Hold()
	}
	p.mu.Unlock()
	if best == nil {
		return nil, -1
	}
	// The probe only chose; the bytes up to the resume point must all be
	// equal. Segment by segment, so a body that parts earlier resumes at
	// the last point before it.
	good, lo := -1, 0
	for k := 0; k <= bestK; k++ {
		at := int(best.points[k].at)
		if !bytes.Equal(b[lo:at], best.body[lo:at]) {
			break
		}
		good, lo = k, at
	}
	if good < 0 {
		best.owner.Release()
		return nil, -1
	}
	return best, good
}

// restore readies w to scan b from e's k-th resume point: the spans
// before it (moved to b's address; the containers still open there
// reopened), the top-level members before it (reported to f and rec) and
// the notes. It returns nil, having reported nothing, when e's spans do
// not fit the point.
func (w *Walker) restore(b []byte, e *prefixEntry, k int, f func(key, value []byte), rec *recorder) *resumePoint {
	from := e.points[k]
	w.prepare(b)
	at := e.base + uintptr(from.at)
	n := sort.Search(len(e.spans), func(i int) bool { return e.spans[i].start >= at })
	delta := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - e.base
	depth := 0
	for _, s := range e.spans[:n] {
		if s.end > at { // a container open at the point
			if depth >= int(from.depth) {
				w.Reset()
				return nil
			}
			from.open[depth] = int32(len(w.spans))
			depth++
			w.spans = append(w.spans, span{start: s.start + delta})
			continue
		}
		w.spans = append(w.spans, span{s.start + delta, s.end + delta})
	}
	if depth != int(from.depth) {
		w.Reset()
		return nil
	}
	for _, t := range e.tops {
		if int(t.vEnd) > int(from.at) {
			break
		}
		if f != nil {
			f(b[t.keyAt:t.keyEnd], b[t.vAt:t.vEnd])
		}
		rec.tops = append(rec.tops, t)
	}
	rec.points = append(rec.points[:0:0], e.points[:k+1]...)
	rec.last = int(from.at)
	rec.notes.SetState(from.notes)
	return &from
}

// store remembers e (holding its body), in place of continues when that
// is still remembered, letting go of the oldest bodies beyond the bounds.
func (p *Prefixes) store(e *prefixEntry, continues *prefixEntry) {
	e.owner.Hold()
	var out []*prefixEntry
	p.mu.Lock()
	if continues != nil {
		for n, old := range p.entries {
			if old == continues {
				p.entries = append(p.entries[:n], p.entries[n+1:]...)
				p.bytes -= len(old.body)
				out = append(out, old)
				break
			}
		}
	}
	for len(p.entries) > 0 && (len(p.entries) >= prefixEntries || p.bytes+len(e.body) > prefixBytes) {
		old := p.entries[0]
		p.entries = p.entries[1:]
		p.bytes -= len(old.body)
		out = append(out, old)
	}
	p.entries = append(p.entries, e)
	p.bytes += len(e.body)
	p.mu.Unlock()
	for _, old := range out {
		old.owner.Release()
	}
}

// Skipped is how many body bytes scans have not had to scan, resuming.
func (p *Prefixes) Skipped() int64 { return p.skipped.Load() }

// Len is how many bodies p holds.
func (p *Prefixes) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Drain lets go of every remembered body.
func (p *Prefixes) Drain() {
	p.mu.Lock()
	out := p.entries
	p.entries, p.bytes = nil, 0
	p.mu.Unlock()
	for _, e := range out {
		e.owner.Release()
	}
}
