package ir

import (
	"encoding/json"
	"strings"
)

// Accumulator folds a stream of events into a Response. It is how a
// non-streaming client is answered from a streaming upstream (some upstreams
// ignore stream:false, some are only reached streamed).
type Accumulator struct {
	resp   Response
	blocks map[int]*accBlock
	order  []int
	err    *Error
	done   bool
}

type accBlock struct {
	b    Block
	text strings.Builder
	args strings.Builder
	sig  strings.Builder
}

// Add folds one event in.
func (a *Accumulator) Add(ev *Event) {
	switch ev.Type {
	case EvMessageStart:
		if ev.ID != "" {
			a.resp.ID = ev.ID
		}
		if ev.Model != "" {
			a.resp.Model = ev.Model
		}
		if ev.Usage != nil {
			a.resp.Usage = *ev.Usage
		}
	case EvBlockStart:
		if a.blocks == nil {
			a.blocks = map[int]*accBlock{}
		}
		nb := &accBlock{}
		if ev.Block != nil {
			nb.b = *ev.Block
			nb.text.WriteString(ev.Block.Text)
			nb.sig.WriteString(ev.Block.Signature)
		}
		if _, seen := a.blocks[ev.Index]; !seen {
			a.order = append(a.order, ev.Index)
		}
		a.blocks[ev.Index] = nb
	case EvTextDelta, EvThinkingDelta:
		if b := a.block(ev.Index, ev.Type); b != nil {
			b.text.WriteString(ev.Text)
		}
	case EvSignatureDelta:
		if b := a.block(ev.Index, ev.Type); b != nil {
			b.sig.WriteString(ev.Text)
		}
	case EvToolArgsDelta:
		if b := a.block(ev.Index, ev.Type); b != nil {
			b.args.WriteString(ev.Text)
		}
	case EvUsage:
		if ev.Usage != nil {
			a.resp.Usage = *ev.Usage
		}
	case EvMessageStop:
		a.resp.StopReason = ev.Stop
		a.resp.StopSequence = ev.StopSequence
		a.done = true
	case EvError:
		a.err = ev.Err
	}
}

// block returns the block at idx, creating an implicit one when a delta
// arrives without a start (lenient upstreams).
func (a *Accumulator) block(idx int, t EventType) *accBlock {
	if b, ok := a.blocks[idx]; ok {
		return b
	}
	if a.blocks == nil {
		a.blocks = map[int]*accBlock{}
	}
	bt := BlockText
	switch t {
	case EvThinkingDelta, EvSignatureDelta:
		bt = BlockThinking
	case EvToolArgsDelta:
		bt = BlockToolUse
	}
	nb := &accBlock{b: Block{Type: bt}}
	a.blocks[idx] = nb
	a.order = append(a.order, idx)
	return nb
}

// Err is the stream's error event, if one arrived.
func (a *Accumulator) Err() *Error { return a.err }

// Done reports whether EvMessageStop arrived.
func (a *Accumulator) Done() bool { return a.done }

// Response builds the folded response.
func (a *Accumulator) Response() *Response {
	r := a.resp
	r.Content = make([]Block, 0, len(a.order))
	for _, idx := range a.order {
		ab := a.blocks[idx]
		b := ab.b
		switch b.Type {
		case BlockText, BlockThinking:
			b.Text = ab.text.String()
			// Thinking signatures, and Gemini's signatures on text parts.
			if s := ab.sig.String(); s != "" || b.Type == BlockThinking {
				b.Signature = s
			}
		case BlockToolUse:
			args := strings.TrimSpace(ab.args.String())
			if args == "" {
				if len(b.Input) == 0 {
					b.Input = json.RawMessage("{}")
				}
			} else {
				b.Input = json.RawMessage(args)
			}
			if s := ab.sig.String(); s != "" {
				b.Signature = s
			}
		}
		r.Content = append(r.Content, b)
	}
	if r.StopReason == "" {
		r.StopReason = StopEndTurn
		for _, b := range r.Content {
			if b.Type == BlockToolUse {
				r.StopReason = StopToolUse
			}
		}
	}
	return &r
}

// Replay turns a complete response into the event sequence a streaming
// upstream would have produced, for clients that asked to stream from an
// upstream that answered with one JSON body.
func Replay(r *Response, dst []Event) []Event {
	dst = append(dst, Event{Type: EvMessageStart, ID: r.ID, Model: r.Model})
	for i := range r.Content {
		b := &r.Content[i]
		start := Block{Type: b.Type, ToolCallID: b.ToolCallID, ToolName: b.ToolName, ID: b.ID, Origin: b.Origin}
		if b.Type == BlockRedactedThinking {
			start.Data = b.Data
		}
		if b.Type == BlockImage {
			start = *b
		}
		dst = append(dst, Event{Type: EvBlockStart, Index: i, Block: &start})
		switch b.Type {
		case BlockText:
			if b.Text != "" {
				dst = append(dst, Event{Type: EvTextDelta, Index: i, Text: b.Text})
			}
		case BlockThinking:
			if b.Text != "" {
				dst = append(dst, Event{Type: EvThinkingDelta, Index: i, Text: b.Text})
			}
			if b.Signature != "" {
				dst = append(dst, Event{Type: EvSignatureDelta, Index: i, Text: b.Signature})
			}
		case BlockToolUse:
			in := string(b.Input)
			if in == "" {
				in = "{}"
			}
			dst = append(dst, Event{Type: EvToolArgsDelta, Index: i, Text: in})
			if b.Signature != "" {
				dst = append(dst, Event{Type: EvSignatureDelta, Index: i, Text: b.Signature})
			}
		}
		dst = append(dst, Event{Type: EvBlockStop, Index: i})
	}
	u := r.Usage
	dst = append(dst, Event{Type: EvUsage, Usage: &u})
	return append(dst, Event{Type: EvMessageStop, Stop: r.StopReason, StopSequence: r.StopSequence})
}
