package responses

import (
	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// NewStreamDecoder returns a decoder for a Responses upstream's SSE stream.
//
// Output items become hub blocks in the order they open: a reasoning item is
// a thinking block (Origin openai; its encrypted_content arrives as a
// signature when the item is done), each content part of a message item is a
// text block, a function call is a tool_use block, and a custom tool call is
// a tool_use block whose arguments are {"input": "<text>"}, built by escaping
// the input deltas as they stream. response.completed / response.incomplete
// end the message; response.failed and error events become EvError.
func (codec) NewStreamDecoder() dialect.StreamDecoder { return &streamDecoder{} }

type decPart struct {
	content int // content_index
	block   int
	open    bool
}

// decItem is one upstream output item.
type decItem struct {
	out     int // output_index
	kind    itemKind
	id      string
	block   int // hub block of a reasoning or call item
	open    bool
	deltas  bool // its text/arguments streamed as deltas
	summary int  // reasoning: summary parts seen
	parts   []decPart
}

type streamDecoder struct {
	started bool
	done    bool
	toolUse bool
	next    int // next hub block index
	items   []decItem
}

// evFields holds the members of one event, gathered in one pass.
type evFields struct {
	typ                          string
	out, content, summary        int
	delta, code, message, itemID string
	item, part, response, error  gjson.Result
}

func readEvent(data string) evFields {
	f := evFields{out: -1}
	gjson.Parse(data).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			f.typ = v.Str
		case "output_index":
			f.out = int(v.Int())
		case "content_index":
			f.content = int(v.Int())
		case "summary_index":
			f.summary = int(v.Int())
		case "delta":
			f.delta = v.Str
		case "item_id":
			f.itemID = v.Str
		case "item":
			f.item = v
		case "part":
			f.part = v
		case "response":
			f.response = v
		case "code":
			f.code = v.String()
		case "message":
			f.message = v.Str
		case "error":
			f.error = v
		}
		return true
	})
	return f
}

func (d *streamDecoder) Decode(dst []ir.Event, ev sse.Event) ([]ir.Event, error) {
	if d.done || len(ev.Data) == 0 || ev.IsDone() {
		return dst, nil
	}
	if !jsonscan.Valid(ev.Data) {
		return dst, ir.Errorf(ir.KindUpstream5xx, "responses stream: event is not valid JSON")
	}
	f := readEvent(string(ev.Data)) // one copy: every string below points into it
	if f.typ == "" {
		f.typ = string(ev.Name)
	}
	switch f.typ {
	case "response.created", "response.in_progress", "response.queued":
		return d.start(dst, f.response), nil
	case "response.completed", "response.incomplete", "response.done":
		return d.complete(d.start(dst, f.response), f.response, f.typ == "response.incomplete"), nil
	case "response.failed":
		e := f.response.Get("error")
		return d.fail(dst, classifyError(e.Get("code").String(), e.Get("type").Str, e.Get("message").Str)), nil
	case "error":
		if f.error.IsObject() { // {"type":"error","error":{…}}
			return d.fail(dst, classifyError(f.error.Get("code").String(), f.error.Get("type").Str,
				f.error.Get("message").Str)), nil
		}
		return d.fail(dst, classifyError(f.code, "", f.message)), nil
	}
	dst = d.start(dst, gjson.Result{})
	d.resolveOut(&f)
	return d.itemEvent(dst, &f), nil
}

// resolveOut finds the output index of an event that lacks one (lenient
// upstreams) from its item id; a new item gets an index of its own.
func (d *streamDecoder) resolveOut(f *evFields) {
	if f.out >= 0 {
		return
	}
	id := f.itemID
	if id == "" {
		id = f.item.Get("id").Str
	}
	if id == "" {
		return
	}
	for i := range d.items {
		if d.items[i].id == id {
			f.out = d.items[i].out
			return
		}
	}
	f.out = -2 - len(d.items)
}

// itemEvent handles the events about one output item.
func (d *streamDecoder) itemEvent(dst []ir.Event, f *evFields) []ir.Event {
	switch f.typ {
	case "response.output_item.added":
		it := readItem(nil, f.item)
		return d.added(dst, f.out, &it)
	case "response.output_item.done":
		it := readItem(nil, f.item)
		return d.itemDone(dst, f.out, &it)
	case "response.content_part.added":
		if i := d.open(f.out, kindMessage); i >= 0 {
			switch f.part.Get("type").Str {
			case "output_text", "refusal":
				dst, _ = d.part(dst, i, f.content)
			}
		}
	case "response.content_part.done":
		if i := d.find(f.out); i >= 0 {
			dst = d.closePart(dst, i, f.content)
		}
	case "response.output_text.delta", "response.refusal.delta":
		return d.textDelta(dst, f)
	case "response.reasoning_summary_part.added":
		return d.summaryPart(dst, f.out)
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		if i := d.open(f.out, kindReasoning); i >= 0 && f.delta != "" {
			d.items[i].deltas = true
			dst = append(dst, ir.Event{Type: ir.EvThinkingDelta, Index: d.items[i].block, Text: f.delta})
		}
	case "response.function_call_arguments.delta":
		if i := d.open(f.out, kindFunction); i >= 0 && f.delta != "" {
			d.items[i].deltas = true
			dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: d.items[i].block, Text: f.delta})
		}
	case "response.custom_tool_call_input.delta":
		if i := d.open(f.out, kindCustom); i >= 0 && f.delta != "" {
			d.items[i].deltas = true
			dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: d.items[i].block,
				Text: string(appendEscaped(nil, f.delta))})
		}
	}
	return dst
}

// start emits MessageStart once, from response.created when it comes first.
func (d *streamDecoder) start(dst []ir.Event, resp gjson.Result) []ir.Event {
	if d.started {
		return dst
	}
	d.started = true
	return append(dst, ir.Event{Type: ir.EvMessageStart, ID: resp.Get("id").Str, Model: resp.Get("model").Str})
}

func (d *streamDecoder) find(out int) int {
	for i := len(d.items) - 1; i >= 0; i-- {
		if d.items[i].out == out {
			return i
		}
	}
	return -1
}

// open returns the item at output index out when it is still open and of
// kind k, else -1: deltas for finished or mismatched items are dropped so
// the hub never sees a delta after its block stopped.
func (d *streamDecoder) open(out int, k itemKind) int {
	if i := d.find(out); i >= 0 && d.items[i].open && d.items[i].kind == k {
		return i
	}
	return -1
}

func (d *streamDecoder) block(dst []ir.Event, b *ir.Block) ([]ir.Event, int) {
	idx := d.next
	d.next++
	return append(dst, ir.Event{Type: ir.EvBlockStart, Index: idx, Block: b}), idx
}

// added opens the hub block of a new output item (a message waits for its
// first content part).
func (d *streamDecoder) added(dst []ir.Event, out int, f *itemFields) []ir.Event {
	if d.find(out) >= 0 {
		return dst
	}
	it := decItem{out: out, id: f.id, open: true}
	switch f.typ {
	case "message":
		it.kind = kindMessage
	case "reasoning":
		it.kind = kindReasoning
		dst, it.block = d.block(dst, &ir.Block{Type: ir.BlockThinking, ID: f.id, Origin: ir.OriginOpenAI})
	case "function_call", "custom_tool_call":
		d.toolUse = true
		name := f.name
		if f.namespace != "" {
			name = f.namespace + "." + name
		}
		dst, it.block = d.block(dst, &ir.Block{Type: ir.BlockToolUse, ToolCallID: f.callID, ToolName: name, ID: f.id})
		it.kind = kindFunction
		if f.typ == "custom_tool_call" {
			it.kind = kindCustom
			dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: it.block, Text: `{"input":"`})
		}
	default:
		it.kind = kindSkip // hosted tool calls ran upstream
	}
	d.items = append(d.items, it)
	return dst
}

// part returns the hub block of a message's content part, opening it; -1
// when that part is already done.
func (d *streamDecoder) part(dst []ir.Event, i, content int) ([]ir.Event, int) {
	it := &d.items[i]
	for _, p := range it.parts {
		if p.content == content {
			if !p.open {
				return dst, -1
			}
			return dst, p.block
		}
	}
	dst, idx := d.block(dst, &ir.Block{Type: ir.BlockText, ID: it.id})
	it.parts = append(it.parts, decPart{content: content, block: idx, open: true})
	return dst, idx
}

func (d *streamDecoder) closePart(dst []ir.Event, i, content int) []ir.Event {
	for j := range d.items[i].parts {
		p := &d.items[i].parts[j]
		if p.content == content && p.open {
			p.open = false
			dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: p.block})
		}
	}
	return dst
}

func (d *streamDecoder) textDelta(dst []ir.Event, f *evFields) []ir.Event {
	if f.delta == "" {
		return dst
	}
	i := d.find(f.out)
	if i < 0 { // a delta with no output_item.added: treat it as a message
		dst = d.added(dst, f.out, &itemFields{typ: "message"})
		i = len(d.items) - 1
	}
	if !d.items[i].open || d.items[i].kind != kindMessage {
		return dst
	}
	dst, idx := d.part(dst, i, f.content)
	if idx < 0 {
		return dst
	}
	return append(dst, ir.Event{Type: ir.EvTextDelta, Index: idx, Text: f.delta})
}

// summaryPart separates summary parts with a blank line, as DecodeResponse
// joins them.
func (d *streamDecoder) summaryPart(dst []ir.Event, out int) []ir.Event {
	i := d.open(out, kindReasoning)
	if i < 0 {
		return dst
	}
	it := &d.items[i]
	it.summary++
	if it.summary > 1 {
		dst = append(dst, ir.Event{Type: ir.EvThinkingDelta, Index: it.block, Text: "\n\n"})
	}
	return dst
}

// itemDone closes an item's blocks, first sending whatever the item holds
// that did not stream as deltas (some servers only send the done item), and
// the encrypted reasoning as a signature.
func (d *streamDecoder) itemDone(dst []ir.Event, out int, f *itemFields) []ir.Event {
	i := d.find(out)
	if i < 0 {
		dst = d.added(dst, out, f)
		i = len(d.items) - 1
	}
	it := &d.items[i]
	if !it.open {
		return dst
	}
	it.open = false
	switch it.kind {
	case kindMessage:
		return d.messageDone(dst, i, f)
	case kindReasoning:
		if text := joinTexts(nil, f.summary); !it.deltas && text != "" {
			dst = append(dst, ir.Event{Type: ir.EvThinkingDelta, Index: it.block, Text: text})
		}
		if f.encrypted.Str != "" {
			dst = append(dst, ir.Event{Type: ir.EvSignatureDelta, Index: it.block, Text: f.encrypted.Str})
		}
	case kindFunction:
		if !it.deltas && f.arguments.Str != "" {
			dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: it.block, Text: f.arguments.Str})
		}
	case kindCustom:
		tail := `"}`
		if !it.deltas && f.input.Str != "" {
			tail = string(appendEscaped(nil, f.input.Str)) + tail
		}
		dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: it.block, Text: tail})
	default:
		return dst
	}
	return append(dst, ir.Event{Type: ir.EvBlockStop, Index: it.block})
}

func (d *streamDecoder) messageDone(dst []ir.Event, i int, f *itemFields) []ir.Event {
	if len(d.items[i].parts) == 0 {
		for _, b := range decodeContent(nil, f.content, f.id) {
			var idx int
			dst, idx = d.block(dst, &ir.Block{Type: ir.BlockText, ID: f.id})
			dst = append(dst, ir.Event{Type: ir.EvTextDelta, Index: idx, Text: b.Text},
				ir.Event{Type: ir.EvBlockStop, Index: idx})
		}
		return dst
	}
	for j := range d.items[i].parts {
		dst = d.closePart(dst, i, d.items[i].parts[j].content)
	}
	return dst
}

// closeAll stops every block still open, in the order they were opened.
func (d *streamDecoder) closeAll(dst []ir.Event) []ir.Event {
	for i := range d.items {
		it := &d.items[i]
		if !it.open {
			continue
		}
		it.open = false
		switch it.kind {
		case kindMessage:
			dst = d.messageDone(dst, i, &itemFields{})
		case kindCustom:
			dst = append(dst, ir.Event{Type: ir.EvToolArgsDelta, Index: it.block, Text: `"}`},
				ir.Event{Type: ir.EvBlockStop, Index: it.block})
		case kindReasoning, kindFunction:
			dst = append(dst, ir.Event{Type: ir.EvBlockStop, Index: it.block})
		}
	}
	return dst
}

func (d *streamDecoder) complete(dst []ir.Event, resp gjson.Result, incomplete bool) []ir.Event {
	d.done = true
	dst = d.closeAll(dst)
	if u := resp.Get("usage"); u.IsObject() {
		usage := decodeUsage(u)
		dst = append(dst, ir.Event{Type: ir.EvUsage, Usage: &usage})
	}
	status := resp.Get("status").Str
	if incomplete {
		status = "incomplete"
	}
	stop := stopReason(status, resp.Get("incomplete_details.reason").Str, d.toolUse)
	return append(dst, ir.Event{Type: ir.EvMessageStop, Stop: stop})
}

// fail ends the stream with an error. An error event is terminal too:
// nothing follows it, in OpenAI's streams as in the hub's.
func (d *streamDecoder) fail(dst []ir.Event, err *ir.Error) []ir.Event {
	d.done = true
	return append(dst, ir.Event{Type: ir.EvError, Err: err})
}

// End reports whether a terminal event (completed, incomplete, failed or
// error) arrived; nothing is ever held back.
func (d *streamDecoder) End(dst []ir.Event) ([]ir.Event, bool) { return dst, d.done }
