package openai

import (
	"bytes"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// streamDecoder turns chat.completion.chunk frames into hub events.
//
// Text and thinking deltas go to one open block at a time, switching type
// closes it. Each tool call (by its OpenAI index) gets its own block; the
// previous block is closed when a new one starts, since OpenAI streams tool
// calls one after another. The stop is held after finish_reason until the
// trailing usage chunk or [DONE], so usage reaches the client before it.
type streamDecoder struct {
	started  bool
	finished bool // finish_reason seen
	done     bool // [DONE] seen
	stopped  bool // MessageStop emitted
	failed   bool // Error emitted

	next    int          // next hub block index
	open    int          // hub index of the open block, -1 when none
	openTyp ir.BlockType // its type
	tools   []toolSlot   // OpenAI tool call index → hub block
	stop    ir.StopReason
	usage   ir.Usage
}

type toolSlot struct {
	oaIndex int
	id      string
	hub     int
}

func newStreamDecoder() *streamDecoder { return &streamDecoder{open: -1} }

func (d *streamDecoder) Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error) {
	if ev.IsDone() {
		d.done = true
		return d.flush(dst), nil
	}
	if d.stopped || d.failed {
		return dst, nil // nothing follows the terminal event
	}
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return dst, nil
	}
	// One copy per chunk: the delta strings below alias it and must outlive
	// the reader's buffer.
	var c chunk
	if !c.read(string(data)) {
		return dst, badUpstream("upstream sent an invalid stream chunk")
	}
	if c.err.Exists() && c.err.Type != gjson.Null || ev.NameIs("error") {
		return d.fail(dst, c), nil
	}
	if !d.started {
		dst = d.start(dst, c.id.Str, c.model.Str)
	}
	hasChoice := d.choice(&c)
	if hasChoice {
		dst = d.delta(dst, &c)
		if c.finish.Type == gjson.String && c.finish.Str != "" {
			d.finished = true
			d.stop = stopFromFinish(c.finish.Str)
			dst = d.closeOpen(dst)
		}
	}
	if c.usage.IsObject() {
		d.usage = decodeUsage(c.usage)
		if d.finished && !hasChoice { // the trailing usage chunk
			dst = d.flush(dst)
		}
	}
	return dst, nil
}

// chunk holds the fields of one chat.completion.chunk, gathered in single
// passes (gjson's Get rescans an object per call).
type chunk struct {
	root, id, model, choices, usage, err gjson.Result
	finish                               gjson.Result
	think, reasoning, content, refusal   gjson.Result
	calls                                gjson.Result
}

// read validates raw and gathers its members in the same pass; it reports
// whether raw is valid JSON.
func (c *chunk) read(raw string) bool {
	c.root = gjson.Parse(raw)
	return jsonscan.Top(jsonscan.Bytes(raw), c.member)
}

// member is one of the chunk's top-level members (its key as written,
// between the quotes; its value, which shares the chunk's copy).
func (c *chunk) member(key, value []byte) {
	k := jsonscan.View(key)
	if bytes.IndexByte(key, '\\') >= 0 { // an escaped key, as gjson reads it
		k = gjson.Parse(`"` + k + `"`).Str
	}
	switch k {
	case "id":
		c.id = parseMember(value)
	case "model":
		c.model = parseMember(value)
	case "choices":
		c.choices = parseMember(value)
	case "usage":
		c.usage = parseMember(value)
	case "error":
		c.err = parseMember(value)
	case "x_groq": // Groq puts usage here on the last chunk
		if !c.usage.IsObject() {
			c.usage = gjson.Parse(jsonscan.View(value)).Get("usage")
		}
	}
}

// parseMember is a member's value as a result (a repeated key's last
// value wins, as when the members were walked one by one).
func parseMember(value []byte) gjson.Result { return gjson.Parse(jsonscan.View(value)) }

// choice finds the choice with index 0 (the gateway asks for one) and
// reads its fields; it reports whether there was one. The chunk is valid
// (read checked it), so jsonscan walks it.
func (d *streamDecoder) choice(c *chunk) bool {
	found := false
	jsonscan.Each(c.choices, func(_, ch gjson.Result) bool {
		var idx, delta, finish gjson.Result
		jsonscan.Each(ch, func(k, v gjson.Result) bool {
			switch k.Str {
			case "index":
				idx = v
			case "delta":
				delta = v
			case "finish_reason":
				finish = v
			}
			return true
		})
		if idx.Exists() && idx.Int() != 0 {
			return true
		}
		found, c.finish = true, finish
		jsonscan.Each(delta, func(k, v gjson.Result) bool {
			switch k.Str {
			case "reasoning_content":
				c.think = v
			case "reasoning":
				c.reasoning = v
			case "content":
				c.content = v
			case "refusal":
				c.refusal = v
			case "tool_calls":
				c.calls = v
			}
			return true
		})
		return false
	})
	return found
}

func (d *streamDecoder) start(dst []ir.Event, id, model string) []ir.Event {
	d.started = true
	return append(dst, ir.Event{Type: ir.EvMessageStart, ID: id, Model: model})
}

// delta turns one delta into events: reasoning first (reasoning_content,
// or OpenRouter's reasoning), then content, then tool calls.
func (d *streamDecoder) delta(dst []ir.Event, c *chunk) []ir.Event {
	think := c.think
	if think.Type != gjson.String || think.Str == "" {
		think = c.reasoning
	}
	if think.Type == gjson.String && think.Str != "" {
		dst = d.text(dst, ir.BlockThinking, ir.EvThinkingDelta, think.Str)
	}
	if c.content.Type == gjson.String && c.content.Str != "" {
		dst = d.text(dst, ir.BlockText, ir.EvTextDelta, c.content.Str)
	}
	if c.refusal.Type == gjson.String && c.refusal.Str != "" {
		dst = d.text(dst, ir.BlockText, ir.EvTextDelta, c.refusal.Str)
	}
	c.calls.ForEach(func(pos, tc gjson.Result) bool {
		dst = d.toolCall(dst, int(pos.Int()), tc)
		return true
	})
	return dst
}

// text appends a text or thinking delta, opening a block of that type
// when the open block is of another.
func (d *streamDecoder) text(dst []ir.Event, bt ir.BlockType, et ir.EventType, s string) []ir.Event {
	if d.open < 0 || d.openTyp != bt {
		dst = d.closeOpen(dst)
		dst = d.openBlock(dst, &ir.Block{Type: bt})
	}
	return append(dst, ir.Event{Type: et, Index: d.open, Text: s})
}

func (d *streamDecoder) openBlock(dst []ir.Event, b *ir.Block) []ir.Event {
	d.open, d.openTyp = d.next, b.Type
	d.next++
	return append(dst, ir.Event{Type: ir.EvBlockStart, Index: d.open, Block: b})
}

func (d *streamDecoder) closeOpen(dst []ir.Event) []ir.Event {
	if d.open < 0 {
		return dst
	}
	dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: d.open})
	d.open = -1
	return dst
}

// toolCall handles one tool_calls entry: a new index (or, for vendors that
// omit the index, a new id) starts a tool_use block; later entries carry
// argument fragments. Fragments for a call whose block was already closed
// cannot be delivered and are dropped.
func (d *streamDecoder) toolCall(dst []ir.Event, pos int, tc gjson.Result) []ir.Event {
	idx := pos
	if i := tc.Get("index"); i.Type == gjson.Number {
		idx = int(i.Int())
	}
	id := tc.Get("id").Str
	slot := d.findTool(idx, id)
	f := tc.Get("function")
	if slot == nil {
		if id == "" {
			id = newID("call_")
		}
		dst = d.closeOpen(dst)
		d.tools = append(d.tools, toolSlot{oaIndex: idx, id: id, hub: d.next})
		dst = d.openBlock(dst, &ir.Block{Type: ir.BlockToolUse, ToolCallID: id, ToolName: f.Get("name").Str})
		slot = &d.tools[len(d.tools)-1]
	}
	if args := f.Get("arguments"); args.Type == gjson.String && args.Str != "" && slot.hub == d.open {
		dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: slot.hub, Text: args.Str})
	}
	return dst
}

// findTool looks from the latest call back, so vendors that reuse index 0
// for every call (telling them apart by id) still pair fragments right.
func (d *streamDecoder) findTool(idx int, id string) *toolSlot {
	for i := len(d.tools) - 1; i >= 0; i-- {
		t := &d.tools[i]
		if t.oaIndex == idx && (id == "" || t.id == id) {
			return t
		}
	}
	return nil
}

// flush emits the held stop: close the open block, report usage, stop.
func (d *streamDecoder) flush(dst []ir.Event) []ir.Event {
	if d.stopped || d.failed {
		return dst
	}
	if !d.started {
		dst = d.start(dst, "", "")
	}
	dst = d.closeOpen(dst)
	if !d.usage.IsZero() {
		u := d.usage
		dst = append(dst, ir.Event{Type: ir.EvUsage, Usage: &u})
	}
	stop := d.stop
	if (stop == "" || stop == ir.StopEndTurn) && len(d.tools) > 0 {
		stop = ir.StopToolUse
	} else if stop == "" {
		stop = ir.StopEndTurn
	}
	d.stopped = true
	return append(dst, ir.Event{Type: ir.EvMessageStop, Stop: stop})
}

func (d *streamDecoder) fail(dst []ir.Event, c chunk) []ir.Event {
	d.failed = true
	e := c.err
	var err *ir.Error
	if e.IsObject() {
		err = errorFromObject(e, 0)
	} else if e.Type == gjson.String {
		err = newError(0, "", "", e.Str)
	} else {
		err = errorFromObject(c.root, 0) // event: error with a bare object
	}
	return append(dst, ir.Event{Type: ir.EvError, Err: err})
}

// End flushes the held stop. The stream is complete when [DONE] or a
// finish_reason arrived (some vendors end without [DONE]), or when it
// ended with an error event, which already tells the client what happened.
func (d *streamDecoder) End(dst []ir.Event) ([]ir.Event, bool) {
	if d.failed {
		return dst, true
	}
	if d.done || d.finished {
		return d.flush(dst), true
	}
	return dst, false
}
