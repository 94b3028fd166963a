package responses

import (
	"strings"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// NewStreamEncoder returns an encoder producing the event sequence OpenAI
// sends and Codex and the SDKs parse:
//
//	response.created → response.in_progress →
//	  per reasoning block: output_item.added → reasoning_summary_part.added →
//	    reasoning_summary_text.delta* → reasoning_summary_text.done →
//	    reasoning_summary_part.done → output_item.done
//	  per text block: output_item.added → content_part.added →
//	    output_text.delta* → output_text.done → content_part.done → output_item.done
//	  per tool call: output_item.added → function_call_arguments.delta* →
//	    function_call_arguments.done → output_item.done
//	    (custom tools: custom_tool_call_input.delta/done)
//	→ response.completed | response.incomplete | response.failed
//
// Every event carries an increasing sequence_number, and the terminal event's
// response holds the full output array and usage (the SDKs' accumulators read
// the output from it).
func (codec) NewStreamEncoder(req *ir.Request) dialect.StreamEncoder {
	tx := newToolIndex(req.Tools)
	// The scratch buffer holds one frame's data; response objects are the
	// largest frames, so it starts big enough for one.
	return &streamEncoder{meta: metaFromRequest(req, tx), tx: tx, scratch: make([]byte, 0, 2048)}
}

type itemKind uint8

const (
	kindSkip itemKind = iota // a block with no Responses output item (image)
	kindMessage
	kindReasoning
	kindFunction
	kindCustom
)

// encItem is one output item, open or finished.
type encItem struct {
	block    int // hub block index
	kind     itemKind
	open     bool
	partOpen bool // reasoning: the summary part has been announced
	id       string
	callID   string
	name, ns string
	buf      []byte    // text, summary or arguments so far
	sig      string    // reasoning: the signature so far
	origin   ir.Origin // reasoning: who made sig
	redacted string    // reasoning: a redacted-thinking payload
	final    []byte    // the completed item, for the terminal response
}

type streamEncoder struct {
	meta    respMeta
	tx      toolIndex
	seq     int64
	started bool
	done    bool
	usage   ir.Usage
	items   []encItem // by output_index
	scratch []byte    // the data of the frame being built
}

func (e *streamEncoder) Encode(dst []byte, ev *ir.Event) []byte {
	if e.done {
		return dst
	}
	if ev.Type != ir.EvMessageStart {
		dst = e.start(dst)
	}
	switch ev.Type {
	case ir.EvMessageStart:
		// The response's identity is fixed once response.created is out.
		if ev.ID != "" && !e.started {
			e.meta.id = responseID(ev.ID)
		}
		if ev.Model != "" && !e.started {
			e.meta.model = ev.Model
		}
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
		dst = e.start(dst)
	case ir.EvBlockStart:
		if ev.Block != nil && e.find(ev.Index) < 0 {
			dst = e.open(dst, ev.Index, ev.Block)
		}
	case ir.EvTextDelta:
		i := e.item(&dst, ev.Index, ir.BlockText)
		dst = e.textDelta(dst, i, ev.Text)
	case ir.EvThinkingDelta:
		i := e.item(&dst, ev.Index, ir.BlockThinking)
		dst = e.thinkingDelta(dst, i, ev.Text)
	case ir.EvSignatureDelta:
		// A signature on a tool call (Gemini) has no place in a Responses
		// function_call item and is dropped.
		if it := &e.items[e.item(&dst, ev.Index, ir.BlockThinking)]; it.kind == kindReasoning {
			it.sig += ev.Text
		}
	case ir.EvToolArgsDelta:
		i := e.item(&dst, ev.Index, ir.BlockToolUse)
		dst = e.argsDelta(dst, i, ev.Text)
	case ir.EvBlockStop:
		if i := e.find(ev.Index); i >= 0 {
			dst = e.close(dst, i)
		}
	case ir.EvUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
	case ir.EvMessageStop:
		dst = e.finish(dst, endFor(ev.Stop))
	case ir.EvError:
		dst = e.finish(dst, failedEnd(ev.Err))
	}
	return dst
}

func failedEnd(err *ir.Error) respEnd {
	_, code, msg := errorFields(err)
	return respEnd{status: "failed", errCode: code, errMsg: msg}
}

// begin starts a frame's data: {"type":…,"sequence_number":…
func (e *streamEncoder) begin(typ string) []byte {
	b := append(e.scratch[:0], `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","sequence_number":`...)
	b = strconv10(b, int(e.seq))
	e.seq++
	return b
}

// emit closes the frame's data and appends the frame to dst.
func (e *streamEncoder) emit(dst []byte, typ string, b []byte) []byte {
	b = append(b, '}')
	e.scratch = b
	return sse.AppendEvent(dst, typ, b)
}

// itemHead starts an event about item i: type, sequence, item_id, output_index.
func (e *streamEncoder) itemHead(typ string, i int) []byte {
	b := e.begin(typ)
	b = appendStringField(b, "item_id", e.items[i].id)
	return appendIntField(b, "output_index", int64(i))
}

func (e *streamEncoder) start(dst []byte) []byte {
	if e.started {
		return dst
	}
	e.started = true
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		b := e.begin(typ)
		b = appendKey(b, "response")
		b = appendResponseObject(b, &e.meta, respEnd{status: "in_progress"}, nil, nil)
		dst = e.emit(dst, typ, b)
	}
	return dst
}

func (e *streamEncoder) find(block int) int {
	for i := len(e.items) - 1; i >= 0; i-- {
		if e.items[i].block == block && e.items[i].open {
			return i
		}
	}
	return -1
}

// item returns the output index of a hub block's open item, opening one of
// type t when a delta arrived without its BlockStart (lenient upstreams).
func (e *streamEncoder) item(dst *[]byte, block int, t ir.BlockType) int {
	i := e.find(block)
	if i < 0 {
		*dst = e.open(*dst, block, &ir.Block{Type: t})
		i = len(e.items) - 1
	}
	return i
}

// open announces a new output item for a hub block.
func (e *streamEncoder) open(dst []byte, block int, blk *ir.Block) []byte {
	e.items = append(e.items, encItem{block: block, open: true, buf: make([]byte, 0, 512)})
	i := len(e.items) - 1
	it := &e.items[i]
	switch blk.Type {
	case ir.BlockText, ir.BlockThinking, ir.BlockRedactedThinking, ir.BlockToolUse:
	default:
		return dst // kindSkip: images have no output item here
	}
	b := e.begin("response.output_item.added")
	b = appendIntField(b, "output_index", int64(i))
	b = appendKey(b, "item")
	switch blk.Type {
	case ir.BlockText:
		it.kind, it.id = kindMessage, newID(prefixMessage)
		b = append(b, `{"id":`...)
		b = appendString(b, it.id)
		b = append(b, `,"type":"message","status":"in_progress","role":"assistant","content":[]}`...)
		dst = e.emit(dst, "response.output_item.added", b)
		b = e.itemHead("response.content_part.added", i)
		b = append(b, `,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`...)
		return e.emit(dst, "response.content_part.added", b)
	case ir.BlockThinking, ir.BlockRedactedThinking:
		it.kind, it.id = kindReasoning, itemID(blk.ID, prefixReasoning)
		it.origin, it.sig = blk.Origin, blk.Signature
		if blk.Type == ir.BlockRedactedThinking {
			it.redacted = blk.Data
		}
		b = appendReasoningItem(b, it.id, "", "")
	case ir.BlockToolUse:
		b = e.openCall(b, it, blk)
	}
	return e.emit(dst, "response.output_item.added", b)
}

func (e *streamEncoder) openCall(b []byte, it *encItem, blk *ir.Block) []byte {
	it.callID = blk.ToolCallID
	if it.callID == "" {
		it.callID = newID(prefixCall)
	}
	if e.tx.isCustomCall(blk) {
		it.kind, it.id, it.name = kindCustom, itemID(blk.ID, prefixCustom), blk.ToolName
		return appendCustomItem(b, it.id, "in_progress", it.callID, it.name, "")
	}
	it.kind, it.id = kindFunction, itemID(blk.ID, prefixFunction)
	it.ns, it.name = e.tx.splitName(blk.ToolName, false)
	return appendFunctionItem(b, it.id, "in_progress", it.callID, it.name, it.ns, "")
}

func (e *streamEncoder) textDelta(dst []byte, i int, text string) []byte {
	it := &e.items[i]
	if it.kind != kindMessage || text == "" {
		return dst
	}
	it.buf = append(it.buf, text...)
	b := e.itemHead("response.output_text.delta", i)
	b = append(b, `,"content_index":0,"delta":`...)
	b = appendString(b, text)
	b = append(b, `,"logprobs":[]`...)
	return e.emit(dst, "response.output_text.delta", b)
}

func (e *streamEncoder) thinkingDelta(dst []byte, i int, text string) []byte {
	it := &e.items[i]
	if it.kind != kindReasoning || text == "" {
		return dst
	}
	if !it.partOpen {
		it.partOpen = true
		b := e.itemHead("response.reasoning_summary_part.added", i)
		b = append(b, `,"summary_index":0,"part":{"type":"summary_text","text":""}`...)
		dst = e.emit(dst, "response.reasoning_summary_part.added", b)
	}
	it.buf = append(it.buf, text...)
	b := e.itemHead("response.reasoning_summary_text.delta", i)
	b = append(b, `,"summary_index":0,"delta":`...)
	b = appendString(b, text)
	return e.emit(dst, "response.reasoning_summary_text.delta", b)
}

// argsDelta streams function arguments as they come. A custom tool's input
// is the text inside {"input": …}, which only a complete JSON document
// yields, so it is sent whole when the block stops.
func (e *streamEncoder) argsDelta(dst []byte, i int, text string) []byte {
	it := &e.items[i]
	if (it.kind != kindFunction && it.kind != kindCustom) || text == "" {
		return dst
	}
	it.buf = append(it.buf, text...)
	if it.kind == kindCustom {
		return dst
	}
	b := e.itemHead("response.function_call_arguments.delta", i)
	b = appendStringField(b, "delta", text)
	return e.emit(dst, "response.function_call_arguments.delta", b)
}

// close finishes item i: its done events, then output_item.done.
func (e *streamEncoder) close(dst []byte, i int) []byte {
	it := &e.items[i]
	it.open = false
	switch it.kind {
	case kindMessage:
		dst = e.closeMessage(dst, i)
	case kindReasoning:
		dst = e.closeReasoning(dst, i)
	case kindFunction:
		args := string(it.buf)
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		b := e.itemHead("response.function_call_arguments.done", i)
		b = appendStringField(b, "arguments", args)
		dst = e.emit(dst, "response.function_call_arguments.done", b)
		it.final = appendFunctionItem(nil, it.id, "completed", it.callID, it.name, it.ns, args)
	case kindCustom:
		dst = e.closeCustom(dst, i)
	default:
		return dst
	}
	it.buf = nil
	b := e.begin("response.output_item.done")
	b = appendIntField(b, "output_index", int64(i))
	b = appendKey(b, "item")
	b = append(b, it.final...)
	return e.emit(dst, "response.output_item.done", b)
}

func (e *streamEncoder) closeMessage(dst []byte, i int) []byte {
	it := &e.items[i]
	text := string(it.buf)
	b := e.itemHead("response.output_text.done", i)
	b = append(b, `,"content_index":0,"text":`...)
	b = appendString(b, text)
	b = append(b, `,"logprobs":[]`...)
	dst = e.emit(dst, "response.output_text.done", b)
	b = e.itemHead("response.content_part.done", i)
	b = append(b, `,"content_index":0,"part":`...)
	b = appendOutputText(b, text)
	dst = e.emit(dst, "response.content_part.done", b)
	it.final = appendMessageItem(nil, it.id, []ir.Block{{Type: ir.BlockText, Text: text}})
	return dst
}

func (e *streamEncoder) closeReasoning(dst []byte, i int) []byte {
	it := &e.items[i]
	text := string(it.buf)
	if it.partOpen {
		b := e.itemHead("response.reasoning_summary_text.done", i)
		b = append(b, `,"summary_index":0`...)
		b = appendStringField(b, "text", text)
		dst = e.emit(dst, "response.reasoning_summary_text.done", b)
		b = e.itemHead("response.reasoning_summary_part.done", i)
		b = append(b, `,"summary_index":0,"part":{"type":"summary_text","text":`...)
		b = appendString(b, text)
		b = append(b, '}')
		dst = e.emit(dst, "response.reasoning_summary_part.done", b)
	}
	blk := ir.Block{Type: ir.BlockThinking, Signature: it.sig, Origin: it.origin}
	if it.redacted != "" {
		blk = ir.Block{Type: ir.BlockRedactedThinking, Data: it.redacted, Origin: it.origin}
	}
	it.final = appendReasoningItem(nil, it.id, text, wrapSignature(&blk))
	return dst
}

func (e *streamEncoder) closeCustom(dst []byte, i int) []byte {
	it := &e.items[i]
	input := ""
	if len(it.buf) > 0 {
		input = customText(it.buf)
	}
	if input != "" {
		b := e.itemHead("response.custom_tool_call_input.delta", i)
		b = appendStringField(b, "delta", input)
		dst = e.emit(dst, "response.custom_tool_call_input.delta", b)
	}
	b := e.itemHead("response.custom_tool_call_input.done", i)
	b = appendStringField(b, "input", input)
	dst = e.emit(dst, "response.custom_tool_call_input.done", b)
	it.final = appendCustomItem(nil, it.id, "completed", it.callID, it.name, input)
	return dst
}

// finish closes every open item and sends the terminal event, whose
// response carries the full output and the usage.
func (e *streamEncoder) finish(dst []byte, end respEnd) []byte {
	for i := range e.items {
		if e.items[i].open {
			dst = e.close(dst, i)
		}
	}
	e.done = true
	typ := "response.completed"
	switch end.status {
	case "incomplete":
		typ = "response.incomplete"
	case "failed":
		typ = "response.failed"
	}
	var out []byte
	for i := range e.items {
		if e.items[i].final != nil {
			out = append(sep(out), e.items[i].final...)
		}
	}
	b := e.begin(typ)
	b = appendKey(b, "response")
	b = appendResponseObject(b, &e.meta, end, out, &e.usage)
	return e.emit(dst, typ, b)
}
