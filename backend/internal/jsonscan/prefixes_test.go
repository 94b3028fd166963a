package jsonscan

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// hashNotes notes every string into a running hash: equal states mean the
// same strings were noted in the same order.
type hashNotes struct{ h uint64 }

func (n *hashNotes) Note(s []byte) {
	f := fnv.New64a()
	var seed [8]byte
	for i := range seed {
		seed[i] = byte(n.h >> (8 * i))
	}
	f.Write(seed[:])
	f.Write(s)
	n.h = f.Sum64() + 1 // an empty string changes the state too
}
func (n *hashNotes) State() uint64     { return n.h }
func (n *hashNotes) SetState(s uint64) { n.h = s }

// flagNotes notes as the gateway's marks do: a flag per kind of string,
// once set kept, and a flag that only says what the last string was.
// States repeat between bodies, so remembered ends are taken (splice).
type flagNotes struct{ s uint64 }

const lastWasSignature = 1 << 63

func (n *flagNotes) Note(s []byte) {
	n.s &^= lastWasSignature
	switch {
	case string(s) == "signature":
		n.s |= lastWasSignature
	case string(s) == "image": // none before: a turn with one notes something new
		n.s |= 1 << 50
	case len(s) < 40:
		n.s |= 1 << (fnv64(s) % 48)
	}
}
func (n *flagNotes) State() uint64     { return n.s }
func (n *flagNotes) SetState(s uint64) { n.s = s }

// convo writes an agent-like conversation: a top-level object whose
// members come before and after a messages array of turns with blocks
// (text with escapes, tool results, nested objects). seed picks the
// texts; turns is how many.
func convo(seed uint64, turns int, tail string) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var sb strings.Builder
	text := func(n int) string {
		var t strings.Builder
		for t.Len() < n {
			switch r.IntN(12) {
			case 0:
				t.WriteString(`\n`)
			case 1:
				t.WriteString(`\"q\"`)
			case 2:
				t.WriteString(`\u00e9`)
			case 3:
				t.WriteString("é 漢")
			default:
				t.WriteString(fmt.Sprintf("word%d ", r.IntN(1000)))
			}
		}
		return t.String()
	}
	sb.WriteString(`{"model":"claude-x","max_tokens":8000,"system":[{"type":"text","text":"` + text(3000) + `"}],"messages":[`)
	for i := range turns {
		if i > 0 {
			sb.WriteString(",\n  ")
		}
		fmt.Fprintf(&sb, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"t%d","content":"%s"},{"type":"text","text":"%s"}]},`,
			i, text(1000+r.IntN(6000)), text(50))
		fmt.Fprintf(&sb, `{"role":"assistant","content":[{"type":"thinking","thinking":"%s","signature":"%s"},{"type":"tool_use","id":"t%d","name":"Read","input":{"path":"/a/b","n":[1,2.5e3,true,null,{}]}}]}`,
			text(200), text(40), i+1)
	}
	sb.WriteString(tail)
	sb.WriteString(`],"tools":[`)
	r = rand.New(rand.NewPCG(seed, 9)) // the same tools whatever the turn
	for i := range 12 {                // the tools an agent repeats at the end of every turn
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"name":"Tool%d","description":"%s","input_schema":{"type":"object","properties":{"path":{"type":"string"},"n":{"type":"array","items":{"type":"number"}}}}}`,
			i, text(1200))
	}
	sb.WriteString(`],"metadata":{"user_id":"u1"},"stream":true}`)
	return []byte(sb.String())
}

// scanResult is all a scan tells: valid, the top-level members, the
// notes, and the spans as offsets.
type scanResult struct {
	ok    bool
	tops  string
	notes uint64
	spans []span
}

func scanOf(w *Walker, b []byte, p *Prefixes) scanResult { return scanWith(w, b, p, &hashNotes{}) }

// scanFlags is scanOf noting with flagNotes.
func scanFlags(w *Walker, b []byte, p *Prefixes) scanResult { return scanWith(w, b, p, &flagNotes{}) }

func scanWith(w *Walker, b []byte, p *Prefixes, n Notes) scanResult {
	var tops strings.Builder
	f := func(k, v []byte) { fmt.Fprintf(&tops, "%s=%d:%x\n", k, len(v), fnv64(v)) }
	var res scanResult
	if p == nil {
		res.ok = w.Scan(b, f, n.Note)
	} else {
		res.ok = w.ScanPrefixed(p, b, f, n)
	}
	res.tops, res.notes = tops.String(), n.State()
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for _, s := range w.spans {
		o := span{start: s.start - base}
		if s.end != 0 {
			o.end = s.end - base
		}
		res.spans = append(res.spans, o)
	}
	return res
}

func fnv64(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}

func sameScan(t *testing.T, name string, got, want scanResult) {
	t.Helper()
	if got.ok != want.ok || got.tops != want.tops || got.notes != want.notes {
		t.Fatalf("%s: resumed scan ok=%v notes=%x tops:\n%s\nwhole scan ok=%v notes=%x tops:\n%s",
			name, got.ok, got.notes, got.tops, want.ok, want.notes, want.tops)
	}
	if want.ok && fmt.Sprint(got.spans) != fmt.Sprint(want.spans) {
		t.Fatalf("%s: spans differ (%d resumed, %d whole)", name, len(got.spans), len(want.spans))
	}
}

// Each turn of a conversation resumes where it parts from the last, and
// tells exactly what a whole scan of it tells; so does every body that
// shares only part of a remembered one, or that turns invalid after it.
func TestPrefixedScanEqualsWholeScan(t *testing.T) {
	var p Prefixes
	scan := func(name string, b []byte) int {
		t.Helper()
		var w Walker
		before := resumedAt(&p, b)
		got := scanOf(&w, b, &p)
		want := scanOf(&Walker{}, bytes.Clone(b), nil)
		sameScan(t, name, got, want)
		return before
	}
	turn1 := convo(1, 30, "")
	if at := scan("first turn", turn1); at != 0 {
		t.Fatalf("first turn resumed at %d with nothing remembered", at)
	}
	// The next turn: the same conversation and one more exchange.
	turn2 := convo(1, 31, "")
	skipped := p.Skipped()
	at := scan("second turn", turn2)
	if p.Skipped()-skipped != int64(at) {
		t.Fatalf("second turn skipped %d bytes, resumed at %d", p.Skipped()-skipped, at)
	}
	if at < len(turn1)*3/4 {
		t.Fatalf("second turn resumed at %d of %d shared bytes", at, len(turn1))
	}
	// Another conversation with the same system prompt: it shares a prefix.
	other := convo(1, 31, "")
	copy(other[len(other)/3:], "DIFFERENT")
	if at := scan("other conversation", other); at == 0 || at > len(other)/3 {
		t.Fatalf("a body parting at %d resumed at %d", len(other)/3, at)
	}
	// Invalid after the shared part, in every way a scan can fail there.
	for _, bad := range []string{`,{"role":}`, `,{"role":"user","content":"\x"}`, `,{]`, `,"open`, `,{"a":1}}`} {
		body := convo(1, 31, bad)
		scan("invalid tail "+bad, body)
	}
	// Invalid in the middle of the shared part: no resume past it.
	broken := bytes.Clone(turn2)
	copy(broken[len(broken)/2:], `"}}]`)
	scan("broken middle", broken)
	// Truncated.
	scan("truncated", turn2[:len(turn2)-20])
	if n := p.Len(); n == 0 || n > prefixEntries {
		t.Fatalf("%d bodies remembered", n)
	}
}

// The next turn also takes what follows the conversation (tools,
// settings) from the last turn instead of scanning it, when the scan
// reaches it as the last turn did; it still tells what a whole scan tells.
func TestNextTurnTakesTheRememberedEnd(t *testing.T) {
	var p Prefixes
	end := func(b []byte) int { return len(b) - bytes.Index(b, []byte(`],"tools":`)) - 1 }
	scan := func(name string, b []byte) (resumed, skipped int) {
		t.Helper()
		resumed, before := resumedAt(&p, b), p.Skipped()
		sameScan(t, name, scanFlags(&Walker{}, b, &p), scanFlags(&Walker{}, bytes.Clone(b), nil))
		return resumed, int(p.Skipped() - before)
	}
	scan("first turn", convo(1, 30, ""))
	for turn := 31; turn < 34; turn++ { // the second turn's end came from the first: the marks carry on
		b := convo(1, turn, "")
		at, skipped := scan(fmt.Sprint("turn ", turn), b)
		if at == 0 || skipped != at+end(b) {
			t.Fatalf("turn %d skipped %d bytes, want %d resumed + %d at the end", turn, skipped, at, end(b))
		}
	}
	// A tool changed: only what follows the tools is taken.
	b := convo(1, 34, "")
	tools := bytes.Index(b, []byte(`"Tool5"`))
	copy(b[tools+1:], "Lool5")
	at, skipped := scan("a tool renamed", b)
	if want := at + len(b) - bytes.Index(b, []byte(`,"metadata":`)); skipped != want {
		t.Fatalf("a body with a tool renamed skipped %d bytes, want %d", skipped, want)
	}
	// Ends the same but goes wrong before: nothing is taken that a whole
	// scan would refuse.
	for _, bad := range []string{`,{"role":}`, `,{"a":1}}`, `,"x"],"y":[`} {
		scan("invalid before the end "+bad, convo(1, 35, bad))
	}
	// The notes differ where the end begins (an image, the first one):
	// scanned, not taken.
	next := convo(1, 36, `,{"role":"user","content":[{"type":"image"}]}`)
	at, before := resumedAt(&p, next), p.Skipped()
	sameScan(t, "new notes", scanFlags(&Walker{}, next, &p), scanFlags(&Walker{}, bytes.Clone(next), nil))
	if skipped := int(p.Skipped() - before); at == 0 || skipped != at {
		t.Fatalf("a body noted differently skipped %d bytes, resumed at %d", skipped, at)
	}
}

// resumedAt is where a scan of b would resume (0: from the start).
func resumedAt(p *Prefixes, b []byte) int {
	e, k := p.find(b)
	if e == nil {
		return 0
	}
	return int(e.points[k].at)
}

// Random edits of a remembered body: wherever it changes, a resumed scan
// tells what a whole scan tells.
func TestPrefixedScanRandomEdits(t *testing.T) {
	base := convo(2, 20, "")
	r := rand.New(rand.NewPCG(3, 4))
	var p, pf Prefixes // noted by hashNotes, by flagNotes (which splices)
	for i := range 300 {
		b := bytes.Clone(base)
		switch at := r.IntN(len(b)); r.IntN(4) {
		case 0: // one byte changed
			b[at] = "{}[]\",:\\ax0 "[r.IntN(12)]
		case 1: // cut
			b = b[:at]
		case 2: // bytes inserted
			b = append(b[:at:at], append([]byte(`"x",`), base[at:]...)...)
		case 3: // unchanged
		}
		if len(b) < MinPrefixed {
			continue
		}
		var w Walker
		got := scanOf(&w, b, &p)
		want := scanOf(&Walker{}, bytes.Clone(b), nil)
		sameScan(t, fmt.Sprintf("edit %d", i), got, want)
		sameScan(t, fmt.Sprintf("edit %d, flags", i), scanFlags(&Walker{}, b, &pf), scanFlags(&Walker{}, bytes.Clone(b), nil))
	}
}

// Bodies scanned at once by several goroutines, each a turn of one of a
// few conversations: each gets a whole scan's result (run with -race).
func TestPrefixedScanConcurrent(t *testing.T) {
	var p Prefixes
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w Walker
			for turn := range 12 {
				b := convo(uint64(10+g%2), 20+turn, "")
				got := scanFlags(&w, b, &p) // resumed and spliced
				want := scanFlags(&Walker{}, bytes.Clone(b), nil)
				if got.ok != want.ok || got.tops != want.tops || got.notes != want.notes || fmt.Sprint(got.spans) != fmt.Sprint(want.spans) {
					t.Errorf("goroutine %d turn %d: resumed scan differs", g, turn)
					return
				}
				w.Reset() // the next body's spans must not overwrite a remembered body's
			}
		}()
	}
	wg.Wait()
	p.Drain()
}

// At most prefixEntries bodies are remembered, the oldest forgotten
// first; a conversation's next turn takes its last turn's place; small
// bodies are not remembered; Drain forgets them all.
func TestPrefixesBounded(t *testing.T) {
	var p Prefixes
	var w Walker
	first := convo(100, 24, "")
	for i := range prefixEntries + 5 {
		if !w.ScanPrefixed(&p, convo(uint64(100+i), 24, ""), nil, &hashNotes{}) {
			t.Fatal("valid body refused")
		}
	}
	if p.Len() != prefixEntries {
		t.Fatalf("%d bodies remembered, want %d", p.Len(), prefixEntries)
	}
	if resumedAt(&p, first) != 0 {
		t.Fatal("the oldest body is still remembered")
	}
	last := convo(uint64(100+prefixEntries+4), 24, "")
	if resumedAt(&p, last) == 0 {
		t.Fatal("the newest body is not remembered")
	}
	// The next turn of the newest conversation takes its place.
	if !w.ScanPrefixed(&p, convo(uint64(100+prefixEntries+4), 25, ""), nil, &hashNotes{}) {
		t.Fatal("valid body refused")
	}
	if p.Len() != prefixEntries || resumedAt(&p, convo(105, 24, "")) == 0 {
		t.Fatalf("the next turn did not take its conversation's place (%d remembered)", p.Len())
	}
	if !w.ScanPrefixed(&p, []byte(`{"a":1}`), nil, &hashNotes{}) || p.Len() != prefixEntries {
		t.Fatal("a small body was remembered")
	}
	p.Drain()
	if p.Len() != 0 || resumedAt(&p, last) != 0 {
		t.Fatal("Drain kept a body")
	}
}

// Conversations that part in their first bytes (agents side by side, the
// same tools and prompt) each resume from their own last turn.
func TestPrefixesPickTheirConversation(t *testing.T) {
	var p Prefixes
	var w Walker
	turn := func(agent, n int) []byte {
		b := convo(30, n, "")
		copy(b[len(`{"model":"claude-`):], fmt.Sprint(agent)) // the bodies part at byte 17
		return b
	}
	for agent := range 8 {
		if !w.ScanPrefixed(&p, turn(agent, 20), nil, &hashNotes{}) {
			t.Fatal("valid body refused")
		}
	}
	for agent := range 8 {
		b := turn(agent, 21)
		if at := resumedAt(&p, b); at < len(turn(agent, 20))*3/4 {
			t.Fatalf("agent %d resumed at %d of %d", agent, at, len(b))
		}
		sameScan(t, fmt.Sprint("agent ", agent), scanOf(&w, b, &p), scanOf(&Walker{}, bytes.Clone(b), nil))
	}
}

func BenchmarkScanPrefixed(b *testing.B) {
	turn1, turn2 := convo(5, 120, ""), convo(5, 121, "")
	b.Run("whole", func(b *testing.B) {
		var w Walker
		var n hashNotes
		b.SetBytes(int64(len(turn2)))
		for b.Loop() {
			w.Scan(turn2, nil, n.Note)
		}
	})
	b.Run("resumed", func(b *testing.B) {
		var p Prefixes
		var w Walker
		b.SetBytes(int64(len(turn2)))
		for b.Loop() {
			b.StopTimer()
			p.Drain()
			w.ScanPrefixed(&p, turn1, nil, &flagNotes{})
			b.StartTimer()
			w.ScanPrefixed(&p, turn2, nil, &flagNotes{})
		}
	})
}

// A remembered body's spans stay as they were when its Walker goes on to
// scan other bodies.
func TestRememberedSpansStayPut(t *testing.T) {
	var p Prefixes
	var w Walker
	scanOf(&w, convo(20, 24, ""), &p)
	scanOf(&w, convo(21, 22, ""), &p) // another conversation, same Walker (and span table)
	next := convo(20, 25, "")
	at, skipped := resumedAt(&p, next), p.Skipped()
	if at == 0 {
		t.Fatal("the next turn did not resume")
	}
	sameScan(t, "next turn", scanOf(&Walker{}, next, &p), scanOf(&Walker{}, bytes.Clone(next), nil))
	if got := p.Skipped() - skipped; got != int64(at) {
		t.Fatalf("the next turn skipped %d bytes, want %d", got, at)
	}
}

// A Walker's spans stay its own while it reads them, even after their
// body is forgotten and other Walkers scan with the tables freed then.
func TestSpansLentUntilReset(t *testing.T) {
	var p Prefixes
	var a, b Walker
	scanOf(&a, convo(40, 24, ""), &p)
	kept := slices.Clone(a.spans)
	for i := range prefixEntries + 8 { // forgets a's body, frees tables, reuses them
		scanOf(&b, convo(uint64(41+i), 20, ""), &p)
	}
	if !slices.Equal(a.spans, kept) {
		t.Fatal("another Walker wrote into the spans a Walker still reads")
	}
	if len(p.free) == 0 {
		t.Fatal("no span table was freed for reuse")
	}
	a.Reset()
	if len(p.free) > maxFree {
		t.Fatalf("%d free tables kept", len(p.free))
	}
}

// What Drain forgot is not kept for reuse, even when a Walker was still
// reading it; a body without a point to resume at is not remembered.
func TestDrainKeepsNoTables(t *testing.T) {
	var p Prefixes
	var w Walker
	scanOf(&w, convo(50, 24, ""), &p)
	p.Drain()
	w.Reset() // the last reader of a drained body
	if len(p.free) != 0 {
		t.Fatalf("%d span tables kept after Drain", len(p.free))
	}
	long := []byte(`{"text":"` + strings.Repeat("no arrays here ", MinPrefixed/10) + `"}`)
	if !w.ScanPrefixed(&p, long, nil, &hashNotes{}) || p.Len() != 0 {
		t.Fatalf("a body without resume points: %d remembered", p.Len())
	}
}

// FuzzPrefixedScan edits a remembered body anywhere (bytes replaced,
// inserted or cut at an offset) and holds the resumed (and, with
// flagNotes, spliced) scan of the result equal to a whole scan of it.
func FuzzPrefixedScan(f *testing.F) {
	base := convo(6, 16, "")
	f.Add(uint32(len(base)-100), uint8(0), []byte(`"x"`))
	f.Add(uint32(len(base)/2), uint8(1), []byte(`,{"role":"user","content":"more"}`))
	f.Add(uint32(len(base)-5000), uint8(2), []byte{})
	f.Add(uint32(9000), uint8(0), []byte(`\u00zz`))
	f.Fuzz(func(t *testing.T, at uint32, op uint8, data []byte) {
		pos := int(at) % len(base)
		var b []byte
		switch op % 3 {
		case 0: // replaced
			b = append(bytes.Clone(base[:pos]), data...)
			if pos+len(data) < len(base) {
				b = append(b, base[pos+len(data):]...)
			}
		case 1: // inserted
			b = append(append(bytes.Clone(base[:pos]), data...), base[pos:]...)
		default: // cut
			b = bytes.Clone(base[:pos])
		}
		var p, pf Prefixes
		scanOf(&Walker{}, base, &p)
		got := scanOf(&Walker{}, b, &p)
		want := scanOf(&Walker{}, bytes.Clone(b), nil)
		sameScan(t, "edit", got, want)
		scanFlags(&Walker{}, base, &pf)
		sameScan(t, "edit, flags", scanFlags(&Walker{}, b, &pf), scanFlags(&Walker{}, bytes.Clone(b), nil))
	})
}
