package ir

import "strings"

// Inline reasoning tags (DeepSeek-R1 distills, Qwen3, MiniMax, QwQ…): some
// upstreams put the model's reasoning in the answer text as
// "<think>…</think>answer" instead of a separate field.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// SplitThinkTags splits a complete text that starts (after optional
// whitespace) with <think>. thinking is the tag's content without
// surrounding whitespace; rest is what follows </think>, without leading
// whitespace. A text without a leading tag is returned unchanged as rest; an
// unclosed tag makes everything after it thinking. ThinkTagSplitter yields
// the same split from a stream.
func SplitThinkTags(text string) (thinking, rest string) {
	t := trimLeftWS(text)
	if !strings.HasPrefix(t, thinkOpen) {
		return "", text
	}
	body := t[len(thinkOpen):]
	i := strings.Index(body, thinkClose)
	if i < 0 {
		return trimWS(body), ""
	}
	return trimWS(body[:i]), trimLeftWS(body[i+len(thinkClose):])
}

// ThinkTagSplitter rewrites a decoder's event stream so text inside a
// leading <think>…</think> of a text block becomes a thinking block of its
// own, followed by a text block with the rest. Everything else passes
// through unchanged except block indices: the splitter numbers blocks
// itself, in the order it emits their starts, so the extra block keeps the
// indices increasing and unique. Tags split across deltas are buffered
// (only the undecided bytes are held), and a block whose text does not
// start with the tag is passed on as soon as that is known.
//
// The zero value is ready to use; use one splitter per stream.
type ThinkTagSplitter struct {
	next  int       // next output block index
	remap []idxPair // input block index → output index

	state    tagState
	src      int    // input index of the text block being examined
	srcBlock *Block // its BlockStart block, re-emitted when it stays text
	out      int    // output index of the thinking (stThink) or text (stAfter, stPass) block, -1 before it starts
	pend     []byte // held bytes: an undecided start, or whitespace and a partial </think>
}

type idxPair struct{ in, out int }

type tagState uint8

const (
	stNone   tagState = iota // no text block under examination
	stDetect                 // start of a text block, undecided
	stThink                  // inside <think>
	stAfter                  // after </think>: the rest of the text
	stPass                   // an ordinary text block
)

// Process consumes one event and appends 0..n events to dst.
func (s *ThinkTagSplitter) Process(dst []Event, ev Event) []Event {
	switch ev.Type {
	case EvMessageStart:
		dst = s.finish(dst)
		s.next, s.remap = 0, s.remap[:0]
		return append(dst, ev)
	case EvMessageStop, EvError:
		return append(s.finish(dst), ev)
	case EvBlockStart:
		dst = s.finish(dst)
		if ev.Block != nil && ev.Block.Type == BlockText {
			s.state, s.src, s.srcBlock, s.out = stDetect, ev.Index, ev.Block, -1
			s.pend = s.pend[:0]
			if ev.Block.Text != "" { // a start that already carries text
				return s.text(dst, ev.Block.Text)
			}
			return dst
		}
		ev.Index = s.alloc(ev.Index)
		return append(dst, ev)
	}
	if s.state != stNone && ev.Index == s.src {
		switch ev.Type {
		case EvTextDelta:
			return s.text(dst, ev.Text)
		case EvBlockStop:
			return s.finish(dst)
		}
	}
	if ev.Type >= EvBlockStart && ev.Type <= EvBlockStop {
		ev.Index = s.lookup(ev.Index)
	}
	return append(dst, ev)
}

func (s *ThinkTagSplitter) alloc(in int) int {
	out := s.next
	s.next++
	s.remap = append(s.remap, idxPair{in, out})
	return out
}

// lookup maps an input index; a delta without a start (lenient upstreams)
// gets a fresh index.
func (s *ThinkTagSplitter) lookup(in int) int {
	for i := len(s.remap) - 1; i >= 0; i-- {
		if s.remap[i].in == in {
			return s.remap[i].out
		}
	}
	return s.alloc(in)
}

// text routes a text delta of the examined block by state.
func (s *ThinkTagSplitter) text(dst []Event, t string) []Event {
	if t == "" {
		return dst
	}
	switch s.state {
	case stDetect:
		return s.detect(dst, t)
	case stThink:
		return s.think(dst, t)
	case stAfter:
		return s.after(dst, t)
	}
	return append(dst, Event{Type: EvTextDelta, Index: s.out, Text: t})
}

// detect decides whether the block starts with <think>, holding bytes only
// while the answer is unknown. The common case (plain text in one delta)
// passes the delta through without copying.
func (s *ThinkTagSplitter) detect(dst []Event, t string) []Event {
	whole := t
	if len(s.pend) > 0 {
		whole = string(s.pend) + t
		s.pend = s.pend[:0]
	}
	lead := trimLeftWS(whole)
	switch {
	case strings.HasPrefix(lead, thinkOpen):
		s.state, s.out = stThink, -1
		return s.think(dst, lead[len(thinkOpen):])
	case len(lead) < len(thinkOpen) && thinkOpen[:len(lead)] == lead:
		s.pend = append(s.pend, whole...) // still undecided
		return dst
	}
	s.state = stPass
	s.out = s.alloc(s.src)
	dst = append(dst, Event{Type: EvBlockStart, Index: s.out, Block: s.srcBlock})
	return append(dst, Event{Type: EvTextDelta, Index: s.out, Text: whole})
}

// think emits reasoning text up to </think>. Whitespace at its start is
// dropped; whitespace and a possible partial closing tag at the end of a
// delta are held until the next delta shows what they are.
func (s *ThinkTagSplitter) think(dst []Event, t string) []Event {
	if len(s.pend) > 0 {
		t = string(s.pend) + t
		s.pend = s.pend[:0]
	}
	if s.out < 0 {
		t = trimLeftWS(t)
	}
	if i := strings.Index(t, thinkClose); i >= 0 {
		dst = s.thinkDelta(dst, trimRightWS(t[:i]))
		if s.out >= 0 {
			dst = append(dst, Event{Type: EvBlockStop, Index: s.out})
		}
		s.state, s.out = stAfter, -1
		return s.after(dst, t[i+len(thinkClose):])
	}
	keep := holdLen(t)
	s.pend = append(s.pend, t[len(t)-keep:]...)
	return s.thinkDelta(dst, t[:len(t)-keep])
}

// thinkDelta emits reasoning text, starting the thinking block on the
// first non-empty piece (an empty <think></think> yields no block).
func (s *ThinkTagSplitter) thinkDelta(dst []Event, t string) []Event {
	if t == "" {
		return dst
	}
	if s.out < 0 {
		s.out = s.next
		s.next++
		dst = append(dst, Event{Type: EvBlockStart, Index: s.out, Block: &Block{Type: BlockThinking}})
	}
	return append(dst, Event{Type: EvThinkingDelta, Index: s.out, Text: t})
}

// after emits the answer following </think>, dropping its leading
// whitespace; the text block starts with the first visible character.
func (s *ThinkTagSplitter) after(dst []Event, t string) []Event {
	if s.out < 0 {
		t = trimLeftWS(t)
		if t == "" {
			return dst
		}
		s.out = s.alloc(s.src)
		dst = append(dst, Event{Type: EvBlockStart, Index: s.out, Block: &Block{Type: BlockText}})
	}
	return append(dst, Event{Type: EvTextDelta, Index: s.out, Text: t})
}

// finish ends the examined block: undecided bytes go out as text, held
// bytes of an unclosed <think> (whitespace, a partial tag) as thinking.
func (s *ThinkTagSplitter) finish(dst []Event) []Event {
	switch s.state {
	case stNone:
		return dst
	case stDetect:
		s.out = s.alloc(s.src)
		dst = append(dst, Event{Type: EvBlockStart, Index: s.out, Block: s.srcBlock})
		if len(s.pend) > 0 {
			dst = append(dst, Event{Type: EvTextDelta, Index: s.out, Text: string(s.pend)})
		}
	case stThink:
		if len(s.pend) > 0 {
			dst = s.thinkDelta(dst, trimRightWS(string(s.pend)))
		}
	}
	if s.out >= 0 {
		dst = append(dst, Event{Type: EvBlockStop, Index: s.out})
	}
	s.state, s.out, s.srcBlock = stNone, -1, nil
	s.pend = s.pend[:0]
	return dst
}

// holdLen is how many trailing bytes of t to hold: the longest suffix that
// could begin </think>, plus the whitespace before it.
func holdLen(t string) int {
	p := 0
	for k := min(len(thinkClose)-1, len(t)); k > 0; k-- {
		if strings.HasSuffix(t, thinkClose[:k]) {
			p = k
			break
		}
	}
	j := len(t) - p
	for j > 0 && isWS(t[j-1]) {
		j--
	}
	return len(t) - j
}

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func trimLeftWS(s string) string {
	i := 0
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return s[i:]
}

func trimRightWS(s string) string {
	j := len(s)
	for j > 0 && isWS(s[j-1]) {
		j--
	}
	return s[:j]
}

func trimWS(s string) string { return trimRightWS(trimLeftWS(s)) }
