package anthropic

import (
	"strconv"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// streamEncoder renders hub events as the Messages API's SSE stream:
//
//	message_start, ping, (content_block_start, content_block_delta*,
//	content_block_stop)*, message_delta, message_stop
//
// or, on error, the open blocks closed, then the error event, which ends
// the stream as the Messages API ends it (no message_stop follows: the
// SDKs raise the error when they read it; a close without any terminal
// event is what Claude Code reports as "Connection closed mid-response").
//
// The API streams one block at a time, and clients are written for that.
// The IR may interleave blocks (parallel tool calls from other dialects), so
// a block that starts while another is streaming is held, with its deltas,
// until the current one stops. Output indices are assigned when a block is
// actually sent, so they are contiguous and in order.
type streamEncoder struct {
	model   string
	started bool
	done    bool
	blocks  []encBlock // by IR index
	cur     int        // IR index of the block being sent, -1 for none
	queue   []int      // held blocks, in start order
	nextOut int
	usage   ir.Usage
	sawTool bool
	scratch []byte
}

type encBlock struct {
	state   uint8 // blockUnseen, blockOpen, blockHeld, blockClosed, blockDropped
	typ     ir.BlockType
	origin  ir.Origin
	out     int
	signed  bool       // a signature delta was sent (foreign ones are tagged once)
	start   ir.Block   // held: the block to start
	held    []ir.Event // held: its deltas
	stopped bool       // held: its BlockStop already arrived
}

const (
	blockUnseen uint8 = iota
	blockOpen
	blockHeld
	blockClosed
	blockDropped
)

// maxBlocks bounds the index table against a hostile upstream index.
const maxBlocks = 1 << 16

func newStreamEncoder(req *ir.Request) *streamEncoder {
	e := &streamEncoder{cur: -1, scratch: make([]byte, 0, 512)}
	if req != nil {
		e.model = req.Model
	}
	return e
}

// Encode appends the frames for one hub event to dst.
func (e *streamEncoder) Encode(dst []byte, ev *ir.Event) []byte {
	if e.done || ev == nil {
		return dst
	}
	switch ev.Type {
	case ir.EvMessageStart:
		if e.started {
			return dst
		}
		return e.start(dst, ev)
	case ir.EvBlockStart:
		return e.blockStart(e.ensureStarted(dst), ev.Index, ev.Block)
	case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvSignatureDelta, ir.EvToolArgsDelta:
		return e.delta(e.ensureStarted(dst), ev)
	case ir.EvBlockStop:
		return e.blockStop(dst, ev.Index)
	case ir.EvUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
	case ir.EvMessageStop:
		return e.stop(e.ensureStarted(dst), ev)
	case ir.EvError:
		return e.fail(dst, ev.Err)
	}
	return dst
}

func (e *streamEncoder) ensureStarted(dst []byte) []byte {
	if e.started {
		return dst
	}
	return e.start(dst, &ir.Event{Type: ir.EvMessageStart})
}

func (e *streamEncoder) start(dst []byte, ev *ir.Event) []byte {
	e.started = true
	id := ev.ID
	if id == "" {
		id = newID("msg_")
	}
	model := ev.Model
	if model == "" {
		model = e.model
	}
	if ev.Usage != nil {
		e.usage = *ev.Usage
	}
	b := append(e.scratch[:0], `{"type":"message_start","message":{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, e.usage)
	b = append(b, "}}"...)
	e.scratch = b
	dst = sse.AppendEvent(dst, "message_start", b)
	return sse.AppendEvent(dst, "ping", []byte(`{"type":"ping"}`))
}

// block returns the slot of an IR index, or nil when out of range.
func (e *streamEncoder) block(idx int) *encBlock {
	if idx < 0 || idx >= maxBlocks {
		return nil
	}
	for len(e.blocks) <= idx {
		e.blocks = append(e.blocks, encBlock{})
	}
	return &e.blocks[idx]
}

func (e *streamEncoder) blockStart(dst []byte, idx int, blk *ir.Block) []byte {
	s := e.block(idx)
	if s == nil || s.state != blockUnseen || blk == nil {
		return dst
	}
	switch blk.Type {
	case ir.BlockText, ir.BlockThinking, ir.BlockRedactedThinking, ir.BlockToolUse:
	default: // an Anthropic message cannot hold generated images
		s.state = blockDropped
		return dst
	}
	*s = encBlock{typ: blk.Type, origin: blk.Origin}
	if e.cur >= 0 {
		s.state, s.start = blockHeld, *blk
		e.queue = append(e.queue, idx)
		return dst
	}
	return e.send(dst, idx, blk)
}

// send opens block idx on the wire.
func (e *streamEncoder) send(dst []byte, idx int, blk *ir.Block) []byte {
	s := &e.blocks[idx]
	s.state, s.out = blockOpen, e.nextOut
	e.nextOut++
	e.cur = idx
	b := append(e.scratch[:0], `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(s.out), 10)
	b = append(b, `,"content_block":`...)
	switch blk.Type {
	case ir.BlockText:
		b = append(b, `{"type":"text","text":""}`...)
	case ir.BlockThinking:
		b = append(b, `{"type":"thinking","thinking":"","signature":""}`...)
	case ir.BlockRedactedThinking:
		b = append(b, `{"type":"redacted_thinking","data":`...)
		b = appendString(b, blk.Data)
		b = append(b, '}')
	case ir.BlockToolUse:
		e.sawTool = true
		id := blk.ToolCallID
		if id == "" {
			id = newID("toolu_")
		}
		b = append(b, `{"type":"tool_use","id":`...)
		b = appendString(b, id)
		b = append(b, `,"name":`...)
		b = appendString(b, blk.ToolName)
		b = append(b, `,"input":{}}`...)
	}
	b = append(b, '}')
	e.scratch = b
	return sse.AppendEvent(dst, "content_block_start", b)
}

// promote sends the oldest held block with its buffered deltas.
func (e *streamEncoder) promote(dst []byte) []byte {
	idx := e.queue[0]
	e.queue = e.queue[1:]
	s := &e.blocks[idx]
	blk, held, stopped := s.start, s.held, s.stopped
	s.start, s.held = ir.Block{}, nil
	dst = e.send(dst, idx, &blk)
	for i := range held {
		dst = e.delta(dst, &held[i])
	}
	if stopped {
		dst = e.blockStop(dst, idx)
	}
	return dst
}

// deltaBlock is the block type each delta belongs to.
func deltaBlock(t ir.EventType) ir.BlockType {
	switch t {
	case ir.EvTextDelta:
		return ir.BlockText
	case ir.EvToolArgsDelta:
		return ir.BlockToolUse
	}
	return ir.BlockThinking
}

func (e *streamEncoder) delta(dst []byte, ev *ir.Event) []byte {
	s := e.block(ev.Index)
	if s == nil || ev.Text == "" {
		return dst
	}
	want := deltaBlock(ev.Type)
	if s.state == blockUnseen { // lenient: a delta without its start
		if ev.Type == ir.EvSignatureDelta {
			return dst
		}
		dst = e.blockStart(dst, ev.Index, &ir.Block{Type: want})
	}
	if s.state == blockHeld && s.typ == want {
		s.held = append(s.held, *ev)
		return dst
	}
	if s.state != blockOpen || s.typ != want {
		return dst // e.g. a Gemini signature on a tool call: no place for it here
	}
	b := append(e.scratch[:0], `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(s.out), 10)
	switch ev.Type {
	case ir.EvTextDelta:
		b = append(b, `,"delta":{"type":"text_delta","text":`...)
		b = appendString(b, ev.Text)
	case ir.EvThinkingDelta:
		b = append(b, `,"delta":{"type":"thinking_delta","thinking":`...)
		b = appendString(b, ev.Text)
	case ir.EvSignatureDelta:
		sig := ev.Text
		if !s.signed {
			sig = wrapSignature(sig, s.origin)
			s.signed = true
		}
		b = append(b, `,"delta":{"type":"signature_delta","signature":`...)
		b = appendString(b, sig)
	case ir.EvToolArgsDelta:
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
		b = appendString(b, ev.Text)
	}
	b = append(b, "}}"...)
	e.scratch = b
	return sse.AppendEvent(dst, "content_block_delta", b)
}

func (e *streamEncoder) blockStop(dst []byte, idx int) []byte {
	s := e.block(idx)
	if s == nil {
		return dst
	}
	switch s.state {
	case blockHeld:
		s.stopped = true
		return dst
	case blockOpen:
	default:
		return dst
	}
	s.state = blockClosed
	e.cur = -1
	b := append(e.scratch[:0], `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(s.out), 10)
	b = append(b, '}')
	e.scratch = b
	dst = sse.AppendEvent(dst, "content_block_stop", b)
	if len(e.queue) > 0 {
		dst = e.promote(dst)
	}
	return dst
}

// closeAll stops the current block and sends and stops every held one.
func (e *streamEncoder) closeAll(dst []byte) []byte {
	for e.cur >= 0 || len(e.queue) > 0 {
		if e.cur >= 0 {
			dst = e.blockStop(dst, e.cur)
		} else {
			dst = e.promote(dst)
		}
	}
	return dst
}

func (e *streamEncoder) stop(dst []byte, ev *ir.Event) []byte {
	dst = e.closeAll(dst)
	e.done = true
	b := append(e.scratch[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
	b = appendString(b, encodeStop(ev.Stop, e.sawTool))
	b = append(b, `,"stop_sequence":`...)
	if ev.StopSequence != "" {
		b = appendString(b, ev.StopSequence)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `},"usage":`...)
	b = appendUsage(b, e.usage)
	b = append(b, '}')
	e.scratch = b
	dst = sse.AppendEvent(dst, "message_delta", b)
	return sse.AppendEvent(dst, "message_stop", []byte(`{"type":"message_stop"}`))
}

func (e *streamEncoder) fail(dst []byte, err *ir.Error) []byte {
	dst = e.closeAll(dst)
	e.done = true
	b := appendErrorJSON(e.scratch[:0], err)
	e.scratch = b
	return sse.AppendEvent(dst, "error", b)
}

// appendUsage writes Anthropic's usage object (input_tokens without the
// cached part, which goes to the cache fields).
func appendUsage(b []byte, u ir.Usage) []byte {
	w := usageFromIR(u)
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(w.InputTokens), 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, int64(w.CacheCreationInputTokens), 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, int64(w.CacheReadInputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(w.OutputTokens), 10)
	if w.OutputTokensDetails != nil {
		b = append(b, `,"output_tokens_details":{"thinking_tokens":`...)
		b = strconv.AppendInt(b, int64(w.OutputTokensDetails.ThinkingTokens), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}
