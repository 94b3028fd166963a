package gemini

import (
	"bytes"
	"errors"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// NewStreamDecoder decodes :streamGenerateContent?alt=sse. Every data:
// event is a whole GenerateContentResponse; there is no terminal sentinel,
// so a stream is complete when a finishReason arrived.
func (codec) NewStreamDecoder() dialect.StreamDecoder { return &streamDecoder{} }

var errBadChunk = errors.New("gemini: stream chunk is not a JSON object")

type streamDecoder struct {
	started  bool
	done     bool // MessageStop or Error emitted: the rest is ignored
	finished bool // a finishReason (or a prompt block) was seen
	held     bool // the stop waits for a usage chunk that has not come yet
	stop     ir.StopReason

	hasOpen  bool // a text or thinking block is open…
	open     int  // …at this index,
	openKind ir.BlockType
	openSig  bool // …and already has its signature

	next      int // next block index
	calls     int
	usage     ir.Usage // latest usageMetadata (Gemini repeats it cumulatively)
	haveUsage bool
}

func (d *streamDecoder) Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error) {
	data := bytes.TrimSpace(ev.Data)
	if d.done || len(data) == 0 || ev.IsDone() {
		return dst, nil
	}
	if !jsonscan.Valid(data) {
		return dst, errBadChunk
	}
	root := gjson.Parse(string(data))
	if !root.IsObject() {
		return dst, errBadChunk
	}
	var ch chunk
	ch.read(root)
	if ch.err.Exists() {
		d.done = true
		return append(dst, ir.Event{Type: ir.EvError, Err: classify(0, ch.err)}), nil
	}
	if ch.usage.Exists() {
		d.usage, d.haveUsage = readUsage(ch.usage), true
	}
	if d.held {
		return d.emitStop(dst), nil
	}
	if !d.started {
		d.started = true
		dst = append(dst, ir.Event{Type: ir.EvMessageStart, ID: ch.id, Model: ch.model, Usage: d.inputUsage()})
	}
	ch.parts.ForEach(func(_, p gjson.Result) bool {
		wp := parsePart(nil, p)
		dst = d.part(dst, &wp)
		return true
	})
	if ch.finish != "" || ch.blocked != "" {
		dst = d.closeOpen(dst)
		d.finished = true
		d.stop = stopReason(ch.finish, d.calls > 0)
		if ch.finish == "" {
			d.stop = ir.StopContentFilter
		}
		if !ch.usage.Exists() {
			d.held = true // Gemini sends usage with the finish; wait if it did not
			return dst, nil
		}
		dst = d.emitStop(dst)
	}
	return dst, nil
}

// End flushes a held stop. Gemini has no sentinel: the stream is complete
// iff a finishReason arrived.
func (d *streamDecoder) End(dst []ir.Event) ([]ir.Event, bool) {
	if d.held {
		dst = d.emitStop(dst)
	}
	return dst, d.finished
}

func (d *streamDecoder) emitStop(dst []ir.Event) []ir.Event {
	d.held, d.done = false, true
	if d.haveUsage {
		u := d.usage
		dst = append(dst, ir.Event{Type: ir.EvUsage, Usage: &u})
	}
	return append(dst, ir.Event{Type: ir.EvMessageStop, Stop: d.stop})
}

// inputUsage is the input side of the first chunk's usage, for MessageStart.
func (d *streamDecoder) inputUsage() *ir.Usage {
	if !d.haveUsage {
		return nil
	}
	return &ir.Usage{InputTokens: d.usage.InputTokens, CachedTokens: d.usage.CachedTokens}
}

func (d *streamDecoder) part(dst []ir.Event, p *wirePart) []ir.Event {
	switch p.kind {
	case partText:
		return d.text(dst, p)
	case partInline, partFile:
		dst = d.closeOpen(dst)
		b := p.imageBlock()
		idx := d.nextIndex()
		return append(dst, ir.Event{Type: ir.EvBlockStart, Index: idx, Block: &b},
			ir.Event{Type: ir.EvBlockStop, Index: idx})
	case partCall:
		return d.call(dst, p)
	}
	return dst
}

// text continues the open block while the kind (thought or not) stays the
// same, and opens a new one when it changes. Text and thinking blocks are
// started with Origin gemini because their signature may come later.
func (d *streamDecoder) text(dst []ir.Event, p *wirePart) []ir.Event {
	if p.text == "" {
		if p.sig == "" {
			return dst
		}
		if d.hasOpen && !d.openSig { // a bare signature closes the reasoning so far
			d.openSig = true
			return append(dst, ir.Event{Type: ir.EvSignatureDelta, Index: d.open, Text: p.sig})
		}
	}
	kind, delta := ir.BlockText, ir.EvTextDelta
	if p.thought || p.text == "" {
		kind, delta = ir.BlockThinking, ir.EvThinkingDelta
	}
	if !d.hasOpen || d.openKind != kind || p.sig != "" && d.openSig {
		dst = d.closeOpen(dst)
		d.hasOpen, d.open, d.openKind, d.openSig = true, d.nextIndex(), kind, false
		dst = append(dst, ir.Event{Type: ir.EvBlockStart, Index: d.open,
			Block: &ir.Block{Type: kind, Origin: ir.OriginGemini}})
	}
	if p.text != "" {
		dst = append(dst, ir.Event{Type: delta, Index: d.open, Text: p.text})
	}
	if p.sig != "" {
		d.openSig = true
		dst = append(dst, ir.Event{Type: ir.EvSignatureDelta, Index: d.open, Text: p.sig})
	}
	return dst
}

// call emits a complete functionCall: Gemini never splits one over chunks.
func (d *streamDecoder) call(dst []ir.Event, p *wirePart) []ir.Event {
	dst = d.closeOpen(dst)
	d.calls++
	b := ir.Block{Type: ir.BlockToolUse, ToolCallID: p.id, ToolName: p.name}
	if p.id != "" || p.sig != "" {
		b.Origin = ir.OriginGemini
	}
	if b.ToolCallID == "" {
		b.ToolCallID = newCallID()
	}
	idx := d.nextIndex()
	dst = append(dst, ir.Event{Type: ir.EvBlockStart, Index: idx, Block: &b},
		ir.Event{Type: ir.EvToolArgsDelta, Index: idx, Text: string(p.args())})
	if p.sig != "" {
		dst = append(dst, ir.Event{Type: ir.EvSignatureDelta, Index: idx, Text: p.sig})
	}
	return append(dst, ir.Event{Type: ir.EvBlockStop, Index: idx})
}

func (d *streamDecoder) closeOpen(dst []ir.Event) []ir.Event {
	if !d.hasOpen {
		return dst
	}
	d.hasOpen = false
	return append(dst, ir.Event{Type: ir.EvBlockStop, Index: d.open})
}

func (d *streamDecoder) nextIndex() int {
	i := d.next
	d.next++
	return i
}
