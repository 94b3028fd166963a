package jsonscan

import (
	"crypto/rand"
	"encoding/binary"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// Prefixes remembers the scans of recent large bodies, so that a body
// beginning with the same bytes as one of them resumes its scan where the
// two part instead of scanning the shared bytes again. A coding agent
// sends its whole conversation every turn: turn n+1 repeats turn n up to
// its last message, and agents of one kind share their tools and system
// prompt.
//
// A scan's state is kept at points about pointEvery bytes apart, each
// with a 128-bit hash of the bytes since the point before (XXH3, seeded
// at random per process; it reads 25-60 GB/s here, six times maphash): a
// body resumes at the last point up to which every segment hashes the
// same. What a resumed scan skips is then what an earlier scan passed, so
// its result (valid or not, the top-level members, the spans, the notes)
// is what a whole scan would give. A forged collision would only let a
// client's own request skip its own validation: the upstream still judges
// it. Only the hashes and the scan states are kept, not the bodies (at
// most prefixEntries; Drain forgets them).
//
// What follows the conversation (Claude Code, Codex, Gemini CLI and
// OpenCode send their tools after it) is the same every turn too: a body
// that ends as the one it resumed from, from a top-level member on, stops
// scanning when it reaches that member in the state the other reached it
// in, and takes the rest of that body's scan (tailIn, splice).
type Prefixes struct {
	mu      sync.Mutex
	entries []*prefixEntry // oldest first
	// free holds span tables of forgotten bodies nobody reads any more,
	// for the next scans' Walkers: a table is a tenth of its body, and
	// allocating one per request was most of a pass-through's garbage.
	free    [][]span
	skipped atomic.Int64 // bytes resumed scans did not scan
}

// maxFree is how many span tables free keeps.
const maxFree = 4

// prefixSeed keys the segment hashes, a process's own.
var prefixSeed = func() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return binary.LittleEndian.Uint64(b[:])
}()

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
	// prefixEntries bounds what is kept: a few agents' conversations,
	// each its last turn (about a tenth of a body each: spans and points).
	prefixEntries = 16
	// MaxPrefixed is the largest body remembered (offsets are int32).
	MaxPrefixed = 1 << 30
	// pointEvery is about how many bytes lie between two resume points:
	// where a turn differs from the last, up to this many bytes before it
	// are scanned again.
	pointEvery = 8 << 10
	// maxPointDepth: resume points are taken between array elements at
	// most this deep (a conversation's messages and their blocks).
	maxPointDepth = 16
)

// prefixEntry is one remembered body's scan: its state along the way.
// Only spans is ever reused, once the entry is gone and has no readers
// (both under Prefixes.mu).
type prefixEntry struct {
	points  []resumePoint // in body order
	tops    []topMember   // the top-level members, in order
	spans   []span        // the Walker's spans after the whole scan
	base    uintptr       // the body's address then, for spans
	readers int           // scans restoring from it now
	gone    bool          // forgotten: spans go to free after the last reader
	drained bool          // forgotten by Drain: spans go to the collector
	// tails mark where the body's last top-level members begin: after its
	// largest member (the conversation), what follows (tools, settings)
	// is what the next turn repeats at its end.
	tails    []tailMark
	size     int32  // the body's length
	endNotes uint64 // the Notes state at the end of the body
}

// tailMark is a top-level boundary near the end of a body: a member's
// value ended at at, the next member (or the closing brace) follows.
type tailMark struct {
	at    int32
	notes uint64       // the Notes state there
	sum   xxh3.Uint128 // hash of the body from at to the next mark (or the end)
}

// maxTails bounds the tail marks kept per body.
const maxTails = 16

// tailMatch is where a body being scanned ends as a remembered one does:
// from at on, it is e's body from its j-th tail mark on.
type tailMatch struct {
	e  *prefixEntry
	j  int
	at int
}

// resumePoint is the scan's state between two elements of an array.
type resumePoint struct {
	at            int32 // the next element starts here
	vstart        int32 // the top-level member being scanned starts here
	keyAt, keyEnd int32 // its key
	depth         uint8
	stack         [maxPointDepth]byte
	notes         uint64
	sum           xxh3.Uint128 // hash of the body from the point before (or 0) to at, set once the scan ends
}

// resumeAt is a resume point with the span indices of the containers
// open there (restore finds them in the new body's spans).
type resumeAt struct {
	resumePoint
	open [maxPointDepth]int32
}

// topMember is a top-level member as offsets in its body, with the Notes
// state after its value.
type topMember struct {
	keyAt, keyEnd, vAt, vEnd int32
	notes                    uint64
}

// recorder collects a scan's resume points and top-level members.
type recorder struct {
	notes  Notes
	last   int // the last resume point (or 0)
	points []resumePoint
	tops   []topMember
	// tail, when tail.e is set, is where the scan may stop: the rest is a
	// remembered body's end (splice). spliced says it did.
	tail    tailMatch
	spliced bool
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
	r.tops = append(r.tops, topMember{keyAt, keyAt + int32(len(key)), int32(vstart), int32(end), r.notes.State()})
}

// offset is where s (a slice of b, maybe empty) starts in b.
func offset(b, s []byte) int32 {
	if s == nil {
		return 0
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// ScanPrefixed is Scan (notes.Note as str) that resumes after the longest
// prefix b shares with a body p remembers, and remembers b when it is
// valid. With p nil, or a body smaller than MinPrefixed, it is Scan.
func (w *Walker) ScanPrefixed(p *Prefixes, b []byte, f func(key, value []byte), notes Notes) bool {
	if w == nil || p == nil || len(b) < MinPrefixed || len(b) > MaxPrefixed {
		return w.Scan(b, f, notes.Note)
	}
	w.Reset() // the last body's spans may be an entry's
	if want := len(b)/spanEvery + 16; cap(w.spans) < want {
		w.spans = p.take(want) // a forgotten body's table, else prepare makes one
	}
	rec := recorder{notes: notes, points: make([]resumePoint, 0, len(b)/pointEvery+4)}
	var from *resumeAt
	e, k := p.find(b)
	if e != nil {
		if from = w.restore(b, e, k, f, &rec); from != nil {
			p.skipped.Add(int64(from.at))
			rec.tail = e.tailIn(b, int(from.at))
		}
	}
	inherited := len(rec.points) // the resumed-from body's, hashed already
	ok := w.scan(b, f, notes.Note, from, &rec)
	if rec.spliced {
		p.skipped.Add(int64(len(b) - rec.tail.at))
	}
	if ok && len(rec.points) > 0 { // a body with no point to resume at is not worth keeping
		for n := inherited; n < len(rec.points); n++ {
			lo := 0
			if n > 0 {
				lo = int(rec.points[n-1].at)
			}
			rec.points[n].sum = segmentSum(b[lo:rec.points[n].at])
		}
		var continues *prefixEntry
		if from != nil && k >= (len(e.points)-1)*3/4 {
			continues = e // the same conversation, a turn on: it takes e's place
		}
		// w reads its spans until its next Reset: it is the entry's first reader.
		mine := &prefixEntry{points: rec.points, tops: rec.tops, spans: w.spans,
			base: uintptr(unsafe.Pointer(unsafe.SliceData(b))), readers: 1,
			tails: tailMarks(b, &rec), size: int32(len(b)), endNotes: notes.State()}
		p.store(mine, continues)
		w.lentTo, w.lentAs = p, mine
	}
	if e != nil {
		p.release(e) // after the scan: a splice reads e
	}
	return ok
}

// tailIn finds the longest end of b that is e's body from one of its tail
// marks on, beginning after the offset after: a scan of b that reaches
// that boundary in the state e's reached it in may take the rest from e
// (splice). It returns the zero tailMatch when there is none. Each
// segment of b compared is hashed once.
func (e *prefixEntry) tailIn(b []byte, after int) tailMatch {
	delta := len(b) - int(e.size)
	best := -1
	for j := len(e.tails) - 1; j >= 0; j-- {
		at := int(e.tails[j].at) + delta
		if at <= after {
			break
		}
		hi := len(b)
		if j+1 < len(e.tails) {
			hi = int(e.tails[j+1].at) + delta
		}
		if segmentSum(b[at:hi]) != e.tails[j].sum {
			break
		}
		best = j
	}
	if best < 0 {
		return tailMatch{}
	}
	return tailMatch{e: e, j: best, at: int(e.tails[best].at) + delta}
}

// tailMarks marks the top-level boundaries of a scanned body b from the
// end of its largest member on (the last maxTails). A mark that a splice
// brought from the remembered body keeps its hash: the bytes are the
// same.
func tailMarks(b []byte, rec *recorder) []tailMark {
	tops := rec.tops
	if len(tops) == 0 {
		return nil
	}
	largest := 0
	for n, t := range tops {
		if t.vEnd-t.vAt > tops[largest].vEnd-tops[largest].vAt {
			largest = n
		}
	}
	tops = tops[max(largest, len(tops)-maxTails):]
	marks := make([]tailMark, len(tops))
	var old []tailMark // the spliced body's marks from the splice on
	var delta int32
	if rec.spliced {
		old, delta = rec.tail.e.tails[rec.tail.j:], int32(len(b))-rec.tail.e.size
	}
	for n, t := range tops {
		hi := int32(len(b))
		if n+1 < len(tops) {
			hi = tops[n+1].vEnd
		}
		marks[n] = tailMark{at: t.vEnd, notes: t.notes}
		for len(old) > 0 && old[0].at+delta < t.vEnd {
			old = old[1:]
		}
		if len(old) > 0 && old[0].at+delta == t.vEnd { // past the splice: the same bytes to the same next boundary
			marks[n].sum = old[0].sum
			continue
		}
		marks[n].sum = segmentSum(b[t.vEnd:hi])
	}
	return marks
}

// splice ends a scan of b at rec.tail, where the rest of b is the rest of
// the remembered body: the members, spans and notes of that rest are the
// remembered ones, moved to b. What a scan would find there is what it
// found then, since it starts in the same state (the root object's top
// level, after a member, with the same notes) on the same bytes. root is
// the root object's span; it closes where the remembered one did (the
// root is a scan's first span).
func (w *Walker) splice(b []byte, f func(key, value []byte), rec *recorder, root int32) {
	t := &rec.tail
	e := t.e
	oldAt := e.tails[t.j].at
	delta := int32(len(b)) - e.size
	for _, m := range e.tops {
		if m.vEnd <= oldAt {
			continue
		}
		m.keyAt, m.keyEnd, m.vAt, m.vEnd = m.keyAt+delta, m.keyEnd+delta, m.vAt+delta, m.vEnd+delta
		if f != nil {
			f(b[m.keyAt:m.keyEnd], b[m.vAt:m.vEnd])
		}
		rec.tops = append(rec.tops, m)
	}
	from := e.base + uintptr(oldAt)
	n := sort.Search(len(e.spans), func(i int) bool { return e.spans[i].start >= from })
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	move := base + uintptr(int(delta)) - e.base // wraps when b sits lower: sums wrap back
	first := len(w.spans)
	w.spans = append(w.spans, e.spans[n:]...)
	for i := first; i < len(w.spans); i++ {
		w.spans[i].start += move
		w.spans[i].end += move
	}
	w.spans[root].end = e.spans[0].end + move
	rec.notes.SetState(e.endNotes)
	rec.spliced = true
}

// segmentSum is a resume point's hash.
func segmentSum(seg []byte) xxh3.Uint128 { return xxh3.Hash128Seed(seg, prefixSeed) }

// find picks the remembered body sharing the longest prefix with b: the
// one with the most resume points whose segments hash as b's do. It
// returns that body's entry and the index of its last such point (nil
// when none has one). A segment of b is hashed once, whichever bodies it
// is compared with (bodies that share a prefix have the same points in
// it).
func (p *Prefixes) find(b []byte) (*prefixEntry, int) {
	p.mu.Lock()
	entries := slices.Clone(p.entries)
	p.mu.Unlock()
	type segment struct{ lo, hi int32 }
	sums := make(map[segment]xxh3.Uint128, 64)
	var best *prefixEntry
	bestK := -1
	for n := len(entries) - 1; n >= 0; n-- { // the newest first: the likeliest
		e := entries[n]
		lo := int32(0)
		k := -1
		for ; k+1 < len(e.points); k++ {
			pt := &e.points[k+1]
			if int(pt.at) > len(b) {
				break
			}
			seg := segment{lo, pt.at}
			sum, ok := sums[seg]
			if !ok {
				sum = segmentSum(b[lo:pt.at])
				sums[seg] = sum
			}
			if sum != pt.sum {
				break
			}
			lo = pt.at
		}
		if k >= 0 && (best == nil || e.points[k].at > best.points[bestK].at) {
			best, bestK = e, k
		}
	}
	if best != nil {
		p.mu.Lock()
		if best.gone { // forgotten meanwhile: its spans may be another's now
			best = nil
		} else {
			best.readers++
		}
		p.mu.Unlock()
	}
	if best == nil {
		return nil, -1
	}
	return best, bestK
}

// release ends a read of e that find began.
func (p *Prefixes) release(e *prefixEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.readers--; e.gone && e.readers == 0 {
		p.recycle(e)
	}
}

// forget marks e gone, its spans free once nobody reads them (p.mu held).
func (p *Prefixes) forget(e *prefixEntry) {
	if e.gone = true; e.readers == 0 {
		p.recycle(e)
	}
}

func (p *Prefixes) recycle(e *prefixEntry) {
	if len(p.free) < maxFree && e.spans != nil && !e.drained {
		p.free = append(p.free, e.spans[:0])
	}
	e.spans = nil
}

// take is a free span table of at least n spans, or nil.
func (p *Prefixes) take(n int) []span {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, t := range p.free {
		if cap(t) >= n {
			p.free = slices.Delete(p.free, i, i+1)
			return t
		}
	}
	return nil
}

// restore readies w to scan b from e's k-th resume point: the spans
// before it (moved to b's address; the containers still open there
// reopened), the top-level members before it (reported to f and rec) and
// the notes. It returns nil, having reported nothing, when e's spans do
// not fit the point.
func (w *Walker) restore(b []byte, e *prefixEntry, k int, f func(key, value []byte), rec *recorder) *resumeAt {
	from := resumeAt{resumePoint: e.points[k]}
	w.prepare(b)
	at := e.base + uintptr(from.at)
	n := sort.Search(len(e.spans), func(i int) bool { return e.spans[i].start >= at })
	delta := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - e.base
	depth := 0
	w.spans = append(w.spans, e.spans[:n]...) // one copy, then moved in place
	for i := range w.spans {
		s := &w.spans[i]
		if s.end > at { // a container open at the point
			if depth >= int(from.depth) {
				w.Reset()
				return nil
			}
			from.open[depth] = int32(i)
			depth++
			s.start, s.end = s.start+delta, 0
			continue
		}
		s.start, s.end = s.start+delta, s.end+delta
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
	rec.points = append(rec.points, e.points[:k+1]...)
	rec.last = int(from.at)
	rec.notes.SetState(from.notes)
	return &from
}

// store remembers e, in place of continues when that is still
// remembered, forgetting the oldest beyond prefixEntries.
func (p *Prefixes) store(e *prefixEntry, continues *prefixEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if continues != nil {
		if n := slices.Index(p.entries, continues); n >= 0 {
			p.forget(continues)
			p.entries = slices.Delete(p.entries, n, n+1)
		}
	}
	for len(p.entries) >= prefixEntries {
		p.forget(p.entries[0])
		p.entries = slices.Delete(p.entries, 0, 1)
	}
	p.entries = append(p.entries, e)
}

// Skipped is how many body bytes scans have not had to scan, resuming.
func (p *Prefixes) Skipped() int64 { return p.skipped.Load() }

// Len is how many bodies p remembers.
func (p *Prefixes) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Drain forgets every remembered body and lets go of the free tables.
func (p *Prefixes) Drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.entries {
		e.gone, e.drained = true, true // a reader's spans are left to the collector
	}
	p.entries, p.free = nil, nil
}
