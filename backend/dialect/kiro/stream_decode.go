package kiro

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// Kiro's events, as the re-framed stream names them (see sse.go):
//
//	assistantResponseEvent {"content":"…"}             a text delta
//	toolUseEvent {"toolUseId","name","input":"…","stop"} a tool call: the first
//	    event names it, later ones carry more of its input (a fragment of the
//	    arguments' JSON text), the last has stop:true; a call may be sent
//	    again whole after it stopped, which is ignored
//	contextUsageEvent {"contextUsagePercentage":n}     how full the context is
//	meteringEvent {"unit":"credit","usage":n}          credits spent
//	exception:<type>, error:<code>                     the answer failed
//	swb:end, swb:broken                                 the re-framer's end
//
// followupPromptEvent, codeReferenceEvent, supplementaryWebLinksEvent and
// unknown events carry nothing the hub has; they are skipped.
type streamDecoder struct {
	started bool
	textIdx int // IR index of the open text block, -1 when none
	next    int // next IR block index
	tools   map[string]*toolSlot
	order   []*toolSlot // the tools in the order they opened
	last    string      // the tool the last toolUseEvent was about
	sawTool bool
	out     int     // bytes of text and arguments, for the usage estimate
	ctxPct  float64 // contextUsagePercentage, 0 when not sent
	done    bool    // ended (swb:end) or failed
}

type toolSlot struct {
	idx  int
	open bool
	args bool // input already sent
}

// maxTools bounds the calls one answer may open (each keeps a slot).
const maxTools = 1024

// contextWindow is what contextUsagePercentage is a percentage of: the
// 200k tokens of the Claude models Kiro serves (Opus's larger window would
// make the estimate low, not wrong in kind).
const contextWindow = 200_000

func newStreamDecoder() *streamDecoder { return &streamDecoder{textIdx: -1} }

// Decode consumes one re-framed event.
func (d *streamDecoder) Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error) {
	if d.done {
		return dst, nil
	}
	name := unsafeString(ev.Name)
	switch name {
	case evEnd:
		return d.finish(dst), nil
	case evBroken:
		d.done = true
		kind := ir.KindUpstream5xx
		if gjson.GetBytes(ev.Data, "kind").String() == ir.KindStreamInterrupted.String() {
			kind = ir.KindStreamInterrupted
		}
		return append(dst, ir.Event{Type: ir.EvError, Err: &ir.Error{Kind: kind,
			Message: "kiro: " + gjson.GetBytes(ev.Data, "message").String()}}), nil
	}
	if typ, ok := strings.CutPrefix(name, "exception:"); ok {
		d.done = true
		return append(dst, ir.Event{Type: ir.EvError, Err: exceptionError(strings.Clone(typ), ev.Data)}), nil
	}
	if code, ok := strings.CutPrefix(name, "error:"); ok {
		code = strings.Clone(code)
		d.done = true
		return append(dst, ir.Event{Type: ir.EvError, Err: &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway,
			Type: code, Message: "kiro: " + code + ": " + clip(gjson.GetBytes(ev.Data, "message").String())}}), nil
	}
	if len(ev.Data) == 0 {
		return dst, nil
	}
	if !jsonscan.Valid(ev.Data) {
		return dst, &ir.Error{Kind: ir.KindUpstream5xx, Message: "kiro: malformed " + eventName(strings.Clone(name)) + " payload"}
	}
	switch name {
	case "assistantResponseEvent", "codeEvent":
		return d.text(dst, ev.Data), nil
	case "toolUseEvent":
		return d.tool(dst, ev.Data), nil
	case "contextUsageEvent":
		d.ctxPct = gjson.GetBytes(ev.Data, "contextUsagePercentage").Float()
	case "invalidStateEvent":
		d.done = true
		return append(dst, ir.Event{Type: ir.EvError, Err: &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusBadRequest,
			Type: "invalidStateEvent", Message: "kiro: " + clip(gjson.GetBytes(ev.Data, "message").String())}}), nil
	}
	return dst, nil
}

// End reports whether the answer ended: the re-framer's end or an error.
// Kiro sends no terminal event, so anything else is a cut stream.
func (d *streamDecoder) End(dst []ir.Event) ([]ir.Event, bool) { return dst, d.done }

// start opens the message before its first content.
func (d *streamDecoder) start(dst []ir.Event) []ir.Event {
	if d.started {
		return dst
	}
	d.started = true
	return append(dst, ir.Event{Type: ir.EvMessageStart, ID: newMessageID()})
}

func (d *streamDecoder) text(dst []ir.Event, data []byte) []ir.Event {
	ev := gjson.ParseBytes(data)
	if ev.Get("followupPrompt").Exists() {
		return dst
	}
	content := ev.Get("content")
	if !content.Exists() {
		content = ev.Get("assistantResponseEvent.content")
	}
	if content.Type != gjson.String || content.Str == "" {
		return dst
	}
	dst = d.start(dst)
	if d.textIdx < 0 {
		d.textIdx = d.next
		d.next++
		dst = append(dst, ir.Event{Type: ir.EvBlockStart, Index: d.textIdx, Block: &ir.Block{Type: ir.BlockText}})
	}
	d.out += len(content.Str)
	return append(dst, ir.Event{Type: ir.EvTextDelta, Index: d.textIdx, Text: strings.Clone(content.Str)})
}

func (d *streamDecoder) tool(dst []ir.Event, data []byte) []ir.Event {
	ev := gjson.ParseBytes(data)
	id := ev.Get("toolUseId").String()
	if id == "" {
		id = d.last // a continuation that does not repeat the id
	}
	if id == "" {
		return dst
	}
	slot := d.tools[id]
	if slot == nil {
		if len(d.tools) >= maxTools {
			return dst
		}
		dst = d.closeText(d.start(dst))
		slot = &toolSlot{idx: d.next, open: true}
		d.next++
		if d.tools == nil {
			d.tools = map[string]*toolSlot{}
		}
		d.tools[id] = slot
		d.order = append(d.order, slot)
		d.sawTool = true
		dst = append(dst, ir.Event{Type: ir.EvBlockStart, Index: slot.idx, Block: &ir.Block{Type: ir.BlockToolUse,
			ToolCallID: strings.Clone(id), ToolName: ev.Get("name").String()}})
	}
	d.last = id
	if !slot.open {
		return dst // sent again after it stopped
	}
	switch in := ev.Get("input"); {
	case in.Type == gjson.String && in.Str != "":
		slot.args = true
		d.out += len(in.Str)
		dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: slot.idx, Text: strings.Clone(in.Str)})
	case (in.IsObject() || in.IsArray()) && !slot.args:
		// The whole input at once, as an object: only when no fragment came
		// first, or the two would not make one JSON text.
		slot.args = true
		d.out += len(in.Raw)
		dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: slot.idx, Text: strings.Clone(in.Raw)})
	}
	if ev.Get("stop").Bool() {
		slot.open = false
		dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: slot.idx})
	}
	return dst
}

func (d *streamDecoder) closeText(dst []ir.Event) []ir.Event {
	if d.textIdx < 0 {
		return dst
	}
	dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: d.textIdx})
	d.textIdx = -1
	return dst
}

// finish closes what is open, reports the usage estimate and stops.
func (d *streamDecoder) finish(dst []ir.Event) []ir.Event {
	dst = d.closeText(d.start(dst))
	for _, s := range d.order {
		if s.open { // never stopped: its arguments are what came
			s.open = false
			dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: s.idx})
		}
	}
	u := d.usage()
	dst = append(dst, ir.Event{Type: ir.EvUsage, Usage: &u})
	stop := ir.StopEndTurn
	if d.sawTool {
		stop = ir.StopToolUse
	}
	d.done = true
	return append(dst, ir.Event{Type: ir.EvMessageStop, Stop: stop})
}

// usage estimates the tokens: Kiro reports credits and how full the
// context is, not token counts. Output is about four bytes a token; input
// is the context in use minus the output. Clients that watch usage (Claude
// Code compacts by it) get a sensible number rather than zero.
func (d *streamDecoder) usage() ir.Usage {
	out := (d.out + 3) / 4
	in := int(d.ctxPct*contextWindow/100) - out
	return ir.Usage{InputTokens: max(in, 0), OutputTokens: out}
}

func newMessageID() string { return randid.Hex("msg_kiro_", 24) }
