package gemini

import (
	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// NewStreamEncoder writes :streamGenerateContent?alt=sse frames for a
// Gemini client: one `data: {GenerateContentResponse}` per event that
// carries content. Function calls are buffered until their block stops and
// sent whole, as Gemini does. The last frame carries finishReason and
// usageMetadata; Gemini has no [DONE]. An error becomes a
// `data: {"error":{…}}` frame.
func (codec) NewStreamEncoder(req *ir.Request) dialect.StreamEncoder {
	e := &streamEncoder{}
	if req != nil {
		e.model = req.Model
	}
	return e
}

// maxBlocks bounds the per-stream block table against a runaway index.
const maxBlocks = 4096

type streamEncoder struct {
	id, model string
	usage     ir.Usage
	blocks    []encBlock
	buf       []byte // the JSON of the frame being built, reused
	done      bool
}

type encBlock struct {
	typ      ir.BlockType
	origin   ir.Origin
	open     bool
	id, name string
	args     []byte
	sig      string // tool_use: its signature; text/thinking: one waiting for the next part
}

func (e *streamEncoder) Encode(dst []byte, ev *ir.Event) []byte {
	if e.done {
		return dst
	}
	switch ev.Type {
	case ir.EvMessageStart:
		e.start(ev)
	case ir.EvBlockStart:
		return e.blockStart(dst, ev)
	case ir.EvTextDelta, ir.EvThinkingDelta:
		return e.delta(dst, ev)
	case ir.EvSignatureDelta:
		if b := e.block(ev.Index); b != nil && b.open && b.origin == ir.OriginGemini {
			b.sig += ev.Text
		}
	case ir.EvToolArgsDelta:
		if b := e.block(ev.Index); b != nil && b.open {
			b.args = append(b.args, ev.Text...)
		}
	case ir.EvBlockStop:
		if b := e.block(ev.Index); b != nil && b.open {
			return e.blockStop(dst, b)
		}
	case ir.EvUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
	case ir.EvMessageStop:
		return e.finish(dst, ev.Stop)
	case ir.EvError:
		return e.fail(dst, ev.Err)
	}
	return dst
}

func (e *streamEncoder) start(ev *ir.Event) {
	if ev.ID != "" {
		e.id = ev.ID
	}
	if ev.Model != "" {
		e.model = ev.Model
	}
	if ev.Usage != nil {
		e.usage = *ev.Usage
	}
}

// block returns the state of block idx, growing the table as needed.
func (e *streamEncoder) block(idx int) *encBlock {
	if idx < 0 || idx >= maxBlocks {
		return nil
	}
	for len(e.blocks) <= idx {
		e.blocks = append(e.blocks, encBlock{})
	}
	return &e.blocks[idx]
}

func (e *streamEncoder) blockStart(dst []byte, ev *ir.Event) []byte {
	b := e.block(ev.Index)
	if b == nil || ev.Block == nil {
		return dst
	}
	*b = encBlock{typ: ev.Block.Type, origin: ev.Block.Origin, open: true,
		id: ev.Block.ToolCallID, name: ev.Block.ToolName, args: b.args[:0]}
	if ev.Block.Type == ir.BlockImage && imageOK(ev.Block) {
		e.buf = appendImage(e.head(), ev.Block)
		return e.frame(dst, "")
	}
	return dst
}

// delta sends a text or thought part, with a signature that arrived
// earlier in the block attached to it (where Gemini puts signatures).
func (e *streamEncoder) delta(dst []byte, ev *ir.Event) []byte {
	if ev.Text == "" {
		return dst
	}
	sig := ""
	if b := e.block(ev.Index); b != nil && b.typ != ir.BlockToolUse {
		sig, b.sig = b.sig, ""
	}
	e.buf = appendTextPart(e.head(), ev.Text, ev.Type == ir.EvThinkingDelta, sig)
	return e.frame(dst, "")
}

func (e *streamEncoder) blockStop(dst []byte, b *encBlock) []byte {
	b.open = false
	switch {
	case b.typ == ir.BlockToolUse:
		blk := ir.Block{Type: ir.BlockToolUse, ToolCallID: b.id, ToolName: b.name, Origin: b.origin, Signature: b.sig}
		e.buf = appendOutPart(e.head(), &blk, b.args)
	case b.sig != "": // a signature no later part could carry
		e.buf = appendTextPart(e.head(), "", false, b.sig)
	default:
		return dst
	}
	b.sig = ""
	return e.frame(dst, "")
}

// finish closes what is still open (a tool call whose stop never came is
// sent as it stands) and writes the final frame.
func (e *streamEncoder) finish(dst []byte, stop ir.StopReason) []byte {
	for i := range e.blocks {
		if e.blocks[i].open {
			dst = e.blockStop(dst, &e.blocks[i])
		}
	}
	e.done = true
	e.buf = append(e.head(), `{"text":""}`...)
	return e.frame(dst, finishReason(stop))
}

// fail writes the error frame. Unfinished tool calls are not sent: their
// arguments may be cut.
func (e *streamEncoder) fail(dst []byte, err *ir.Error) []byte {
	e.done = true
	return sse.AppendData(dst, Codec.EncodeError(err))
}

func (e *streamEncoder) head() []byte {
	return append(e.buf[:0], `{"candidates":[{"content":{"role":"model","parts":[`...)
}

// frame closes the JSON in e.buf and appends it as one SSE data frame.
func (e *streamEncoder) frame(dst []byte, finish string) []byte {
	b := append(e.buf, "]}"...)
	if finish != "" {
		b = append(b, `,"finishReason":"`...)
		b = append(b, finish...)
		b = append(b, '"')
	}
	b = append(b, `,"index":0}]`...)
	if finish != "" {
		b = appendUsage(append(b, ','), &e.usage)
	}
	if e.model != "" {
		b = appendStringField(b, "modelVersion", e.model)
	}
	if e.id != "" {
		b = appendStringField(b, "responseId", e.id)
	}
	e.buf = append(b, '}')
	return sse.AppendData(dst, e.buf)
}
