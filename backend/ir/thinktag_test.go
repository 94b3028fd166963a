package ir

import (
	"fmt"
	"strings"
	"testing"
)

func TestSplitThinkTags(t *testing.T) {
	cases := []struct{ in, thinking, rest string }{
		{"plain answer", "", "plain answer"},
		{"  plain with space", "", "  plain with space"},
		{"<think>reason</think>answer", "reason", "answer"},
		{"\n<think>\nstep 1\nstep 2\n</think>\n\nThe answer.", "step 1\nstep 2", "The answer."},
		{"<think></think>answer", "", "answer"},
		{"<think>unclosed reasoning ", "unclosed reasoning", ""},
		{"<think>a</think>", "a", ""},
		{"<thinking>not our tag</thinking>", "", "<thinking>not our tag</thinking>"},
		{"answer <think>late</think>", "", "answer <think>late</think>"},
		{"<think>x</think> y </think> z", "x", "y </think> z"},
		{"<think>a </th b</think>c", "a </th b", "c"},
		{"", "", ""},
		{"<thi", "", "<thi"},
	}
	for _, c := range cases {
		th, rest := SplitThinkTags(c.in)
		if th != c.thinking || rest != c.rest {
			t.Errorf("SplitThinkTags(%q) = %q, %q; want %q, %q", c.in, th, rest, c.thinking, c.rest)
		}
	}
}

// streamTexts are split at every byte position (and byte by byte) and must
// give the same result as SplitThinkTags.
var streamTexts = []string{
	"plain answer",
	"<think>reason</think>answer",
	"\n<think>\nstep 1\n\nstep 2 </th not yet\n</think>\n\nThe answer.",
	"<think></think>answer",
	"<think>  </think>  ",
	"<think>unclosed reasoning \n",
	"<think>ends in partial </thi",
	"<thi",
	"  <think>x</think>",
	"<thinking>not ours</thinking>",
	"a<think>b</think>",
	"",
	"日本語<think>",
	"<think>日本語の推論</think>答え",
}

func TestThinkTagSplitterEveryPosition(t *testing.T) {
	for _, text := range streamTexts {
		for cut := 0; cut <= len(text); cut++ {
			checkSplit(t, text, []string{text[:cut], text[cut:]})
		}
		for cut := 1; cut < len(text); cut++ { // two cuts: a tag can straddle three deltas
			for cut2 := cut; cut2 <= len(text); cut2 += 3 {
				checkSplit(t, text, []string{text[:cut], text[cut:cut2], text[cut2:]})
			}
		}
		bytes := make([]string, len(text))
		for i := 0; i < len(text); i++ {
			bytes[i] = text[i : i+1]
		}
		checkSplit(t, text, bytes)
	}
}

// checkSplit streams deltas (followed by a tool block) through a splitter
// and checks the stream is well formed and matches SplitThinkTags.
func checkSplit(t *testing.T, text string, deltas []string) {
	t.Helper()
	in := []Event{{Type: EvMessageStart, ID: "m"}, {Type: EvBlockStart, Index: 0, Block: &Block{Type: BlockText}}}
	for _, d := range deltas {
		in = append(in, Event{Type: EvTextDelta, Index: 0, Text: d})
	}
	in = append(in, Event{Type: EvBlockStop, Index: 0},
		Event{Type: EvBlockStart, Index: 1, Block: &Block{Type: BlockToolUse, ToolCallID: "c1", ToolName: "f"}},
		Event{Type: EvToolArgsDelta, Index: 1, Text: `{"a":1}`},
		Event{Type: EvBlockStop, Index: 1},
		Event{Type: EvMessageStop, Stop: StopToolUse})
	var s ThinkTagSplitter
	var out []Event
	for _, ev := range in {
		out = s.Process(out, ev)
	}
	where := fmt.Sprintf("text %q deltas %q", text, deltas)
	if err := wellFormed(out); err != nil {
		t.Fatalf("%s: %v\n%s", where, err, dump(out))
	}
	var acc Accumulator
	for i := range out {
		acc.Add(&out[i])
	}
	var thinking, rest strings.Builder
	var last BlockType
	for _, b := range acc.Response().Content {
		switch b.Type {
		case BlockThinking:
			thinking.WriteString(b.Text)
		case BlockText:
			rest.WriteString(b.Text)
		}
		last = b.Type
	}
	if last != BlockToolUse {
		t.Fatalf("%s: tool block lost\n%s", where, dump(out))
	}
	wantThink, wantRest := SplitThinkTags(text)
	if thinking.String() != wantThink || rest.String() != wantRest {
		t.Fatalf("%s: got thinking %q rest %q, want %q %q\n%s", where, thinking.String(), rest.String(), wantThink, wantRest, dump(out))
	}
}

// wellFormed checks the hub's stream rules: indices start once, increase,
// deltas only inside an open block, every block stopped.
func wellFormed(evs []Event) error {
	open := map[int]bool{}
	started := map[int]bool{}
	last := -1
	for i, ev := range evs {
		switch ev.Type {
		case EvBlockStart:
			if started[ev.Index] || ev.Index <= last {
				return fmt.Errorf("event %d: block %d started twice or out of order", i, ev.Index)
			}
			started[ev.Index], open[ev.Index], last = true, true, ev.Index
		case EvTextDelta, EvThinkingDelta, EvToolArgsDelta:
			if !open[ev.Index] {
				return fmt.Errorf("event %d: delta for block %d that is not open", i, ev.Index)
			}
			if ev.Text == "" {
				return fmt.Errorf("event %d: empty delta", i)
			}
		case EvBlockStop:
			if !open[ev.Index] {
				return fmt.Errorf("event %d: stop for block %d that is not open", i, ev.Index)
			}
			delete(open, ev.Index)
		case EvMessageStop:
			if len(open) > 0 {
				return fmt.Errorf("event %d: message stop with open blocks %v", i, open)
			}
		}
	}
	return nil
}

func dump(evs []Event) string {
	var sb strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&sb, "  %s %d %q\n", ev.Type, ev.Index, ev.Text)
	}
	return sb.String()
}

func TestThinkTagSplitterTwoMessages(t *testing.T) {
	var s ThinkTagSplitter
	var out []Event
	for round := 0; round < 2; round++ {
		for _, ev := range []Event{
			{Type: EvMessageStart},
			{Type: EvBlockStart, Index: 0, Block: &Block{Type: BlockText}},
			{Type: EvTextDelta, Index: 0, Text: "<think>r</think>a"},
			{Type: EvBlockStop, Index: 0},
			{Type: EvMessageStop},
		} {
			out = s.Process(out, ev)
		}
	}
	// Each message numbers its blocks from 0 again.
	var idx []int
	for _, ev := range out {
		if ev.Type == EvBlockStart {
			idx = append(idx, ev.Index)
		}
	}
	if fmt.Sprint(idx) != "[0 1 0 1]" {
		t.Fatalf("block indices %v, want [0 1 0 1]", idx)
	}
}

func TestThinkTagSplitterErrorFlushes(t *testing.T) {
	var s ThinkTagSplitter
	var out []Event
	for _, ev := range []Event{
		{Type: EvMessageStart},
		{Type: EvBlockStart, Index: 0, Block: &Block{Type: BlockText}},
		{Type: EvTextDelta, Index: 0, Text: "<thi"},
		{Type: EvError, Err: Errorf(KindStreamInterrupted, "cut")},
	} {
		out = s.Process(out, ev)
	}
	var acc Accumulator
	for i := range out {
		acc.Add(&out[i])
	}
	if got := acc.Response().Content; len(got) != 1 || got[0].Text != "<thi" || out[len(out)-1].Type != EvError {
		t.Fatalf("held text lost before the error: %s", dump(out))
	}
}

func TestThinkTagSplitterPassThroughAllocs(t *testing.T) {
	var s ThinkTagSplitter
	start := &Block{Type: BlockText}
	dst := make([]Event, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		dst = dst[:0]
		dst = s.Process(dst, Event{Type: EvMessageStart})
		dst = s.Process(dst, Event{Type: EvBlockStart, Index: 0, Block: start})
		for i := 0; i < 8; i++ {
			dst = s.Process(dst, Event{Type: EvTextDelta, Index: 0, Text: "plain text "})
		}
		dst = s.Process(dst, Event{Type: EvBlockStop, Index: 0})
		dst = s.Process(dst, Event{Type: EvMessageStop})
	})
	if allocs != 0 {
		t.Fatalf("pass-through allocates %v times per message, want 0", allocs)
	}
}

func BenchmarkThinkTagSplitter(b *testing.B) {
	in := []Event{{Type: EvMessageStart}, {Type: EvBlockStart, Index: 0, Block: &Block{Type: BlockText}},
		{Type: EvTextDelta, Index: 0, Text: "<thi"}, {Type: EvTextDelta, Index: 0, Text: "nk>\nLet me think"}}
	for i := 0; i < 40; i++ {
		in = append(in, Event{Type: EvTextDelta, Index: 0, Text: " about it"})
	}
	in = append(in, Event{Type: EvTextDelta, Index: 0, Text: ".</th"}, Event{Type: EvTextDelta, Index: 0, Text: "ink>\n\nAnswer"},
		Event{Type: EvBlockStop, Index: 0}, Event{Type: EvMessageStop})
	var s ThinkTagSplitter
	dst := make([]Event, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = dst[:0]
		for _, ev := range in {
			dst = s.Process(dst, ev)
		}
	}
}

// FuzzThinkTagSplitter: any text cut anywhere streams to the same split as
// SplitThinkTags, in a well-formed event stream.
func FuzzThinkTagSplitter(f *testing.F) {
	for _, s := range streamTexts {
		f.Add(s, uint16(1), uint16(5))
	}
	f.Fuzz(func(t *testing.T, text string, a, b uint16) {
		i, j := int(a)%(len(text)+1), int(b)%(len(text)+1)
		if i > j {
			i, j = j, i
		}
		checkSplit(t, text, []string{text[:i], text[i:j], text[j:]})
	})
}
