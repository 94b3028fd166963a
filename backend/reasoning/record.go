package reasoning

import (
	"strings"

	"switchboard/backend/ir"
)

// OriginOf is whose signatures an upstream of a dialect issues. OpenAI Chat
// issues none.
func OriginOf(dialect string) ir.Origin {
	switch dialect {
	case "anthropic":
		return ir.OriginAnthropic
	case "responses":
		return ir.OriginOpenAI
	case "gemini":
		return ir.OriginGemini
	}
	return ir.OriginNone
}

// Remember records, for each tool call of an assistant answer, the signed
// reasoning before it and its own signature, when origin's upstream (the
// provider named) issued any. scope is the local key the answer went to.
func (m *Memo) Remember(scope, provider string, origin ir.Origin, content []ir.Block) {
	if m == nil || origin == ir.OriginNone {
		return
	}
	var calls []string
	var es []*Entry
	var lead []ir.Block
	for i := range content {
		b := &content[i]
		switch b.Type {
		case ir.BlockThinking, ir.BlockRedactedThinking:
			if b.Origin == origin && (b.Signature != "" || b.Data != "") {
				lead = append(lead, cloneBlock(b))
			}
		case ir.BlockToolUse:
			e := &Entry{Provider: provider, Origin: origin, Lead: lead}
			if b.Origin == origin {
				e.Signature = b.Signature
			}
			lead = nil
			if b.ToolCallID != "" && (e.Signature != "" || len(e.Lead) > 0) {
				calls = append(calls, b.ToolCallID)
				es = append(es, e)
			}
		}
	}
	if len(es) > 0 {
		m.put(scope, calls, es)
	}
}

// cloneBlock copies the fields a reasoning block needs; the strings may
// alias a decoder's buffer.
func cloneBlock(b *ir.Block) ir.Block {
	return ir.Block{Type: b.Type, Text: strings.Clone(b.Text), Signature: strings.Clone(b.Signature),
		Data: strings.Clone(b.Data), ID: strings.Clone(b.ID), Origin: b.Origin}
}

// Tracker follows an answer's stream and collects what Remember needs:
// reasoning blocks and tool calls, never the text. One per stream.
type Tracker struct {
	blocks map[int]*tracked
	order  []int
}

type tracked struct {
	b    ir.Block
	text strings.Builder
	sig  strings.Builder
}

// Observe folds one event in. A tool call that starts without an id gets
// one here (the event is changed), so the id the client sees is the id
// remembered.
func (t *Tracker) Observe(ev *ir.Event) {
	switch ev.Type {
	case ir.EvBlockStart:
		if ev.Block == nil {
			return
		}
		switch ev.Block.Type {
		case ir.BlockThinking, ir.BlockRedactedThinking, ir.BlockToolUse:
		default:
			return
		}
		if ev.Block.Type == ir.BlockToolUse && ev.Block.ToolCallID == "" {
			cp := *ev.Block
			cp.ToolCallID = NewCallID()
			ev.Block = &cp
		}
		if t.blocks == nil {
			t.blocks = map[int]*tracked{}
		}
		tb := &tracked{b: cloneBlock(ev.Block)}
		tb.b.ToolCallID = strings.Clone(ev.Block.ToolCallID)
		tb.text.WriteString(ev.Block.Text)
		tb.sig.WriteString(ev.Block.Signature)
		t.blocks[ev.Index] = tb
		t.order = append(t.order, ev.Index)
	case ir.EvThinkingDelta:
		if tb := t.blocks[ev.Index]; tb != nil {
			tb.text.WriteString(ev.Text)
		}
	case ir.EvSignatureDelta:
		if tb := t.blocks[ev.Index]; tb != nil {
			tb.sig.WriteString(ev.Text)
		}
	}
}

// Content is the reasoning and tool-call blocks seen, in stream order.
func (t *Tracker) Content() []ir.Block {
	out := make([]ir.Block, 0, len(t.order))
	for _, idx := range t.order {
		tb := t.blocks[idx]
		b := tb.b
		if b.Type == ir.BlockThinking {
			b.Text = tb.text.String()
		}
		if s := tb.sig.String(); s != "" {
			b.Signature = s
		}
		out = append(out, b)
	}
	return out
}

// HasCalls reports whether a tool call was seen (only then is there
// anything to remember).
func (t *Tracker) HasCalls() bool {
	for _, tb := range t.blocks {
		if tb.b.Type == ir.BlockToolUse {
			return true
		}
	}
	return false
}
