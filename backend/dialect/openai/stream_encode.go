package openai

import (
	"strconv"

	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// streamEncoder writes chat.completion.chunk frames. Every chunk shares one
// id, created and model (the SDK accumulators reject a stream whose id
// changes); the JSON up to "delta": is built once and reused, so a text
// delta costs one escaped copy of its text.
type streamEncoder struct {
	model        string
	includeUsage bool

	head    []byte // {"id":…,"object":…,"created":…,"model":…
	buf     []byte // the frame being built
	started bool
	done    bool

	tools []toolIdx // hub block index → OpenAI tool call index
	usage ir.Usage
}

type toolIdx struct{ hub, k int }

func newStreamEncoder(req *ir.Request) *streamEncoder {
	e := &streamEncoder{}
	if req != nil {
		e.model, e.includeUsage = req.Model, req.IncludeUsage
	}
	return e
}

func (e *streamEncoder) Encode(dst []byte, ev *ir.Event) []byte {
	if e.done {
		return dst
	}
	switch ev.Type {
	case ir.EvMessageStart:
		return e.begin(dst, ev.ID, ev.Model)
	case ir.EvError:
		return e.fail(dst, ev.Err)
	}
	dst = e.begin(dst, "", "")
	switch ev.Type {
	case ir.EvBlockStart:
		if ev.Block != nil && ev.Block.Type == ir.BlockToolUse {
			dst = e.toolStart(dst, ev.Index, ev.Block)
		}
	case ir.EvTextDelta:
		dst = e.textDelta(dst, `{"content":`, ev.Text)
	case ir.EvThinkingDelta:
		dst = e.textDelta(dst, `{"reasoning_content":`, ev.Text)
	case ir.EvToolArgsDelta:
		dst = e.toolArgs(dst, ev.Index, ev.Text)
	case ir.EvUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
	case ir.EvMessageStop:
		dst = e.finish(dst, ev.Stop)
	}
	return dst
}

// begin writes the first chunk (role, empty content) once.
func (e *streamEncoder) begin(dst []byte, id, model string) []byte {
	if e.started {
		return dst
	}
	e.started = true
	if e.model == "" {
		e.model = model
	}
	e.head = appendHead(e.head[:0], chatID(id), "chat.completion.chunk", e.model)
	e.openChunk()
	e.buf = append(e.buf, `{"role":"assistant","content":""}`...)
	return e.closeChunk(dst, "")
}

func (e *streamEncoder) openChunk() {
	e.buf = append(e.buf[:0], e.head...)
	e.buf = append(e.buf, `,"choices":[{"index":0,"delta":`...)
}

func (e *streamEncoder) closeChunk(dst []byte, finish string) []byte {
	e.buf = append(e.buf, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		e.buf = append(e.buf, "null"...)
	} else {
		e.buf = appendString(e.buf, finish)
	}
	e.buf = append(e.buf, "}]}"...)
	return sse.AppendData(dst, e.buf)
}

func (e *streamEncoder) textDelta(dst []byte, open, text string) []byte {
	if text == "" {
		return dst
	}
	e.openChunk()
	e.buf = append(e.buf, open...)
	e.buf = appendString(e.buf, text)
	e.buf = append(e.buf, '}')
	return e.closeChunk(dst, "")
}

// toolStart announces a call: index k counts tool calls from 0, id and
// name come once with empty arguments, as OpenAI streams them.
func (e *streamEncoder) toolStart(dst []byte, hub int, b *ir.Block) []byte {
	k := len(e.tools)
	e.tools = append(e.tools, toolIdx{hub: hub, k: k})
	id := b.ToolCallID
	if id == "" {
		id = newID("call_")
	}
	e.openChunk()
	e.buf = append(e.buf, `{"tool_calls":[{"index":`...)
	e.buf = strconv.AppendInt(e.buf, int64(k), 10)
	e.buf = appendStringField(e.buf, "id", id)
	e.buf = append(e.buf, `,"type":"function","function":{"name":`...)
	e.buf = appendString(e.buf, b.ToolName)
	e.buf = append(e.buf, `,"arguments":""}}]}`...)
	return e.closeChunk(dst, "")
}

func (e *streamEncoder) toolArgs(dst []byte, hub int, args string) []byte {
	if args == "" {
		return dst
	}
	for _, t := range e.tools {
		if t.hub != hub {
			continue
		}
		e.openChunk()
		e.buf = append(e.buf, `{"tool_calls":[{"index":`...)
		e.buf = strconv.AppendInt(e.buf, int64(t.k), 10)
		e.buf = append(e.buf, `,"function":{"arguments":`...)
		e.buf = appendString(e.buf, args)
		e.buf = append(e.buf, `}}]}`...)
		return e.closeChunk(dst, "")
	}
	return dst // arguments of a call that was never started: nowhere to put them
}

// finish writes the finish_reason chunk, the usage chunk and [DONE].
func (e *streamEncoder) finish(dst []byte, stop ir.StopReason) []byte {
	e.done = true
	reason := finishFromStop(stop)
	if reason == "stop" && len(e.tools) > 0 {
		reason = "tool_calls"
	}
	e.openChunk()
	e.buf = append(e.buf, "{}"...)
	dst = e.closeChunk(dst, reason)
	return appendTail(dst, e.buf[:0], e.head, e.includeUsage, &e.usage)
}

// appendHead starts a chunk object: {"id":…,"object":…,"created":…,"model":…
func appendHead(b []byte, id, object, model string) []byte {
	b = appendStringField(append(b, '{'), "id", id)
	b = appendStringField(b, "object", object)
	b = appendIntField(b, "created", now().Unix())
	return appendStringField(b, "model", model)
}

// appendTail ends a stream: the usage chunk (choices empty, as OpenAI sends
// it) when the client asked for one, then [DONE]. buf is scratch space.
func appendTail(dst, buf, head []byte, withUsage bool, u *ir.Usage) []byte {
	if withUsage {
		buf = append(buf, head...)
		buf = append(buf, `,"choices":[],"usage":`...)
		buf = appendUsage(buf, u)
		buf = append(buf, '}')
		dst = sse.AppendData(dst, buf)
	}
	return append(dst, sse.DoneFrame...)
}

// fail writes the error the way OpenAI does inside a stream, then [DONE].
func (e *streamEncoder) fail(dst []byte, err *ir.Error) []byte {
	e.done = true
	e.buf = appendErrorBody(e.buf[:0], err)
	dst = sse.AppendData(dst, e.buf)
	return append(dst, sse.DoneFrame...)
}
