package anthropic

import (
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// streamDecoder turns an Anthropic upstream's SSE events into hub events.
//
// Block indices are remapped: blocks the IR cannot carry (server_tool_use,
// web_search_tool_result…) are skipped, so the IR indices stay contiguous.
type streamDecoder struct {
	blocks  []blockSlot // by upstream index
	next    int         // next IR index
	usage   wireUsage   // cumulative, message_start then message_delta
	stop    ir.StopReason
	stopSeq string
	gotStop bool // message_delta carried a stop_reason
	sawTool bool
	done    bool // message_stop or error seen
}

type blockSlot struct {
	irIndex int // or skipped, or unseen
	open    bool
}

const (
	skipped = -1 // a block type the IR does not carry
	unseen  = -2 // no content_block_start yet
)

// Decode consumes one upstream event. The event's type comes from its JSON
// (the "event:" line is only a fallback: some relays drop it).
func (d *streamDecoder) Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error) {
	if d.done || len(ev.Data) == 0 {
		return dst, nil
	}
	if firstByte(ev.Data) != '{' {
		return dst, &ir.Error{Kind: ir.KindUpstream5xx, Message: "anthropic: malformed stream event"}
	}
	s := unsafeString(ev.Data)
	typ := name(field(s, "type"))
	if typ == "" {
		typ = unsafeString(ev.Name)
	}
	switch typ {
	case "message_start":
		return d.messageStart(dst, gjson.Get(s, "message")), nil
	case "content_block_start":
		return d.blockStart(dst, int(gjson.Get(s, "index").Int()), gjson.Get(s, "content_block")), nil
	case "content_block_delta":
		return d.blockDelta(dst, fieldInt(s, "index"), field(s, "delta")), nil
	case "content_block_stop":
		return d.blockStop(dst, int(gjson.Get(s, "index").Int())), nil
	case "message_delta":
		return d.messageDelta(dst, s), nil
	case "message_stop":
		return d.finish(dst), nil
	case "error":
		e := gjson.Get(s, "error")
		d.done = true
		err := errorFromWire(&wireError{Type: own(e.Get("type")), Message: own(e.Get("message"))}, 0)
		return append(dst, ir.Event{Type: ir.EvError, Err: err}), nil
	}
	return dst, nil // ping and future event types
}

// End flushes a stop that arrived without its message_stop (the answer is
// complete once message_delta named a stop reason) and reports completeness.
// A stream that ended in an error event is complete: the error says why.
func (d *streamDecoder) End(dst []ir.Event) ([]ir.Event, bool) {
	if d.done {
		return dst, true
	}
	if d.gotStop {
		return d.finish(dst), true
	}
	return dst, false
}

func (d *streamDecoder) messageStart(dst []ir.Event, m gjson.Result) []ir.Event {
	*d = streamDecoder{blocks: d.blocks[:0]}
	d.mergeUsage(m.Get("usage"))
	u := d.usage.toIR()
	return append(dst, ir.Event{Type: ir.EvMessageStart, ID: own(m.Get("id")), Model: own(m.Get("model")), Usage: &u})
}

func (d *streamDecoder) blockStart(dst []ir.Event, idx int, cb gjson.Result) []ir.Event {
	if idx < 0 || idx > 1<<16 {
		return dst
	}
	var b *ir.Block
	var text, sig, args string
	switch cb.Get("type").Str {
	case "text":
		b, text = &ir.Block{Type: ir.BlockText}, cb.Get("text").Str
	case "thinking":
		b = &ir.Block{Type: ir.BlockThinking, Origin: ir.OriginAnthropic}
		text, sig = cb.Get("thinking").Str, cb.Get("signature").Str
	case "redacted_thinking":
		b = &ir.Block{Type: ir.BlockRedactedThinking, Data: own(cb.Get("data")), Origin: ir.OriginAnthropic}
	case "tool_use":
		b = &ir.Block{Type: ir.BlockToolUse, ToolCallID: own(cb.Get("id")), ToolName: own(cb.Get("name"))}
		if in := cb.Get("input"); in.IsObject() && strings.TrimSpace(in.Raw) != "{}" {
			args = in.Raw
		}
		d.sawTool = true
	default:
		d.slot(idx).irIndex = skipped
		return dst
	}
	slot := d.slot(idx)
	*slot = blockSlot{irIndex: d.next, open: true}
	d.next++
	dst = append(dst, ir.Event{Type: ir.EvBlockStart, Index: slot.irIndex, Block: b})
	if text != "" {
		t := ir.EvTextDelta
		if b.Type == ir.BlockThinking {
			t = ir.EvThinkingDelta
		}
		dst = append(dst, ir.Event{Type: t, Index: slot.irIndex, Text: strings.Clone(text)})
	}
	if sig != "" {
		dst = append(dst, ir.Event{Type: ir.EvSignatureDelta, Index: slot.irIndex, Text: strings.Clone(sig)})
	}
	if args != "" {
		dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: slot.irIndex, Text: strings.Clone(args)})
	}
	return dst
}

// deltaKinds maps a delta type to the hub event and the field holding it.
var deltaKinds = map[string]struct {
	ev    ir.EventType
	field string
	block ir.BlockType
}{
	"text_delta":       {ir.EvTextDelta, "text", ir.BlockText},
	"thinking_delta":   {ir.EvThinkingDelta, "thinking", ir.BlockThinking},
	"signature_delta":  {ir.EvSignatureDelta, "signature", ir.BlockThinking},
	"input_json_delta": {ir.EvToolArgsDelta, "partial_json", ir.BlockToolUse},
}

// blockDelta is the hot path: it reads the delta with the minimal scanner
// (jsonscan.go), so the only allocation is the delta's own text.
func (d *streamDecoder) blockDelta(dst []ir.Event, idx int, delta string) []ir.Event {
	k, ok := deltaKinds[name(field(delta, "type"))]
	if !ok || idx < 0 || idx > 1<<16 { // citations_delta and unknown deltas
		return dst
	}
	text := unquote(field(delta, k.field))
	if text == "" {
		return dst
	}
	if idx >= len(d.blocks) || d.blocks[idx].irIndex == unseen {
		// A delta without its content_block_start: open the block it implies.
		dst = d.implicitStart(dst, idx, k.block)
	}
	slot := d.blocks[idx]
	if slot.irIndex < 0 {
		return dst
	}
	return append(dst, ir.Event{Type: k.ev, Index: slot.irIndex, Text: text})
}

func (d *streamDecoder) implicitStart(dst []ir.Event, idx int, t ir.BlockType) []ir.Event {
	b := &ir.Block{Type: t}
	if t == ir.BlockThinking {
		b.Origin = ir.OriginAnthropic
	}
	slot := d.slot(idx)
	*slot = blockSlot{irIndex: d.next, open: true}
	d.next++
	return append(dst, ir.Event{Type: ir.EvBlockStart, Index: slot.irIndex, Block: b})
}

func (d *streamDecoder) blockStop(dst []ir.Event, idx int) []ir.Event {
	if idx < 0 || idx >= len(d.blocks) || !d.blocks[idx].open {
		return dst
	}
	d.blocks[idx].open = false
	return append(dst, ir.Event{Type: ir.EvBlockStop, Index: d.blocks[idx].irIndex})
}

// messageDelta records the stop reason (emitted with message_stop) and
// reports the cumulative usage.
func (d *streamDecoder) messageDelta(dst []ir.Event, s string) []ir.Event {
	delta := gjson.Get(s, "delta")
	if r := delta.Get("stop_reason"); r.Str != "" {
		d.stop, d.gotStop = decodeStop(r.Str), true
	}
	if q := delta.Get("stop_sequence"); q.Str != "" {
		d.stopSeq = own(q)
	}
	usage := gjson.Get(s, "usage")
	if !usage.Exists() {
		return dst
	}
	d.mergeUsage(usage)
	u := d.usage.toIR()
	return append(dst, ir.Event{Type: ir.EvUsage, Usage: &u})
}

// finish closes blocks left open and emits the stop.
func (d *streamDecoder) finish(dst []ir.Event) []ir.Event {
	for i := range d.blocks {
		if s := &d.blocks[i]; s.open {
			s.open = false
			dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: s.irIndex})
		}
	}
	stop := d.stop
	if stop == "" {
		stop = ir.StopEndTurn
		if d.sawTool {
			stop = ir.StopToolUse
		}
	}
	d.done = true
	return append(dst, ir.Event{Type: ir.EvMessageStop, Stop: stop, StopSequence: d.stopSeq})
}

// mergeUsage overlays the usage fields present in u (message_delta repeats
// only some of them).
func (d *streamDecoder) mergeUsage(u gjson.Result) {
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			d.usage.InputTokens = int(v.Int())
		case "output_tokens":
			d.usage.OutputTokens = int(v.Int())
		case "cache_read_input_tokens":
			d.usage.CacheReadInputTokens = int(v.Int())
		case "cache_creation_input_tokens":
			d.usage.CacheCreationInputTokens = int(v.Int())
		case "output_tokens_details":
			if t := v.Get("thinking_tokens"); t.Exists() {
				d.usage.OutputTokensDetails = &wireOutputTokensDet{ThinkingTokens: int(t.Int())}
			}
		}
		return true
	})
}

// slot returns the slot of an upstream index, growing the table.
func (d *streamDecoder) slot(idx int) *blockSlot {
	for len(d.blocks) <= idx {
		d.blocks = append(d.blocks, blockSlot{irIndex: unseen})
	}
	return &d.blocks[idx]
}

// own returns a string result that does not alias the event buffer: gjson
// already copied strings it had to unescape.
func own(r gjson.Result) string {
	if r.Type != gjson.String || strings.IndexByte(r.Raw, '\\') >= 0 {
		return r.Str
	}
	return strings.Clone(r.Str)
}
