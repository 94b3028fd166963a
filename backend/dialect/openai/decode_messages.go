package openai

import (
	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// msgDecoder carries the state of one messages array: whether the leading
// system prompt is over, whether the last IR message collects tool results,
// and the ids invented for deprecated function_call turns.
type msgDecoder struct {
	req        *ir.Request
	w          *jsonscan.Walker // the validation pass's spans, or one recording them
	pos        int
	inPrologue bool
	toolTurn   bool              // last IR message gathers consecutive tool results
	fnIDs      map[string]string // function name → id of its pending function_call
}

func decodeMessages(req *ir.Request, messages gjson.Result, w *jsonscan.Walker) error {
	d := msgDecoder{req: req, w: w, inPrologue: true}
	req.Messages = make([]ir.Message, 0, len(messages.Raw)/512+2)
	var err error
	w.Each(messages, func(_, m gjson.Result) bool {
		err = d.message(m)
		d.pos++
		return err == nil
	})
	return err
}

// msgFields are one message's fields, gathered in a single pass.
type msgFields struct {
	role, content, think, reasoning, refusal  gjson.Result
	toolCalls, functionCall, toolCallID, name gjson.Result
}

func readMessage(w *jsonscan.Walker, m gjson.Result) (f msgFields) {
	w.Each(m, func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			f.role = v
		case "content":
			f.content = v
		case "reasoning_content":
			f.think = v
		case "reasoning":
			f.reasoning = v
		case "refusal":
			f.refusal = v
		case "tool_calls":
			f.toolCalls = v
		case "function_call":
			f.functionCall = v
		case "tool_call_id":
			f.toolCallID = v
		case "name":
			f.name = v
		}
		return true
	})
	return f
}

func (d *msgDecoder) message(msg gjson.Result) error {
	if !msg.IsObject() {
		return badRequest("messages[%d] must be an object", d.pos)
	}
	m := readMessage(d.w, msg)
	if m.role.Type != gjson.String {
		return badRequest("messages[%d].role must be a string", d.pos)
	}
	switch m.role.Str {
	case "system", "developer":
		return d.system(&m)
	case "user":
		return d.user(&m)
	case "assistant":
		return d.assistant(&m)
	case "tool", "function":
		return d.tool(&m, m.role.Str == "function")
	}
	return badRequest("messages[%d].role %q is not one of system, developer, user, assistant, tool", d.pos, m.role.Str)
}

// system puts leading system/developer messages in Request.System and keeps
// later ones in place as RoleSystem.
func (d *msgDecoder) system(m *msgFields) error {
	blocks, err := d.content(m.content, false)
	if err != nil || len(blocks) == 0 {
		return err
	}
	if d.inPrologue {
		d.req.System = append(d.req.System, blocks...)
		return nil
	}
	d.push(ir.RoleSystem, blocks)
	return nil
}

func (d *msgDecoder) user(m *msgFields) error {
	blocks, err := d.content(m.content, true)
	if err != nil {
		return err
	}
	if len(blocks) > 0 { // never an empty user turn
		d.push(ir.RoleUser, blocks)
	}
	return nil
}

func (d *msgDecoder) assistant(m *msgFields) error {
	var blocks []ir.Block
	// reasoning_content (DeepSeek, vLLM) or reasoning (OpenRouter): plain
	// thinking text, no signature.
	think := m.think
	if think.Type != gjson.String || think.Str == "" {
		think = m.reasoning
	}
	if think.Type == gjson.String && think.Str != "" {
		blocks = append(blocks, ir.Block{Type: ir.BlockThinking, Text: think.Str})
	}
	text, err := d.content(m.content, false)
	if err != nil {
		return err
	}
	blocks = append(blocks, text...)
	if r := m.refusal; r.Type == gjson.String && r.Str != "" && len(text) == 0 {
		blocks = append(blocks, ir.Block{Type: ir.BlockText, Text: r.Str})
	}
	blocks, err = d.toolCalls(blocks, m)
	if err != nil {
		return err
	}
	if len(blocks) > 0 {
		d.push(ir.RoleAssistant, blocks)
	}
	return nil
}

func (d *msgDecoder) toolCalls(blocks []ir.Block, m *msgFields) ([]ir.Block, error) {
	calls := m.toolCalls
	if calls.Exists() && calls.Type != gjson.Null && !calls.IsArray() {
		return nil, badRequest("messages[%d].tool_calls must be an array", d.pos)
	}
	d.w.Each(calls, func(_, c gjson.Result) bool {
		if b, ok := decodeToolCall(d.w, c); ok {
			blocks = append(blocks, b)
		}
		return true
	})
	if fc := m.functionCall; fc.IsObject() { // deprecated single call
		name := fc.Get("name").Str
		id := "call_fn_" + itoa(d.pos)
		if d.fnIDs == nil {
			d.fnIDs = map[string]string{}
		}
		d.fnIDs[name] = id
		blocks = append(blocks, ir.Block{Type: ir.BlockToolUse, ToolCallID: id,
			ToolName: name, Input: toolInput(fc.Get("arguments"))})
	}
	return blocks, nil
}

// tool turns a tool (or deprecated function) message into a tool_result
// block. Consecutive ones share one user message, as Anthropic wants them.
func (d *msgDecoder) tool(m *msgFields, legacy bool) error {
	var id string
	if legacy {
		id = d.fnIDs[m.name.Str]
	} else {
		idv := m.toolCallID
		if idv.Type != gjson.String || idv.Str == "" {
			return badRequest("messages[%d].tool_call_id is required for role tool", d.pos)
		}
		id = idv.Str
	}
	content, err := d.content(m.content, false)
	if err != nil {
		return err
	}
	b := ir.Block{Type: ir.BlockToolResult, ToolCallID: id, Content: content}
	if d.toolTurn {
		last := &d.req.Messages[len(d.req.Messages)-1]
		last.Content = append(last.Content, b)
		return nil
	}
	d.push(ir.RoleUser, []ir.Block{b})
	d.toolTurn = true
	return nil
}

func (d *msgDecoder) push(role ir.Role, blocks []ir.Block) {
	d.inPrologue = false
	d.toolTurn = false
	d.req.Messages = append(d.req.Messages, ir.Message{Role: role, Content: blocks})
}

// content reads a message's content: a string, an array of parts, or
// null. Empty text is dropped (other dialects reject empty text blocks);
// a long text keeps the form the validated body wrote it in (TextOf).
func (d *msgDecoder) content(v gjson.Result, images bool) ([]ir.Block, error) {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []ir.Block{dialect.TextBlock(v)}, nil
	case !v.IsArray():
		return nil, badRequest("messages[%d].content must be a string or an array of parts", d.pos)
	}
	var out []ir.Block
	d.w.Each(v, func(_, p gjson.Result) bool {
		if b, ok := d.part(p, images); ok {
			out = append(out, b)
		}
		return true
	})
	return out, nil
}

// part maps one content part, its members read in one pass. Audio and
// file parts have no IR form and are dropped, as are images where the role
// cannot carry them.
func (d *msgDecoder) part(p gjson.Result, images bool) (ir.Block, bool) {
	if p.Type == gjson.String { // lenient: a bare string part
		return dialect.TextBlock(p), p.Str != ""
	}
	if !p.IsObject() {
		return ir.Block{}, false
	}
	var typ string
	var text, refusal, image gjson.Result
	d.w.Each(p, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v.Str
		case "text":
			text = v
		case "refusal":
			refusal = v
		case "image_url":
			image = v
		}
		return true
	})
	switch typ {
	case "text", "input_text", "output_text":
		return dialect.TextBlock(text), text.Type == gjson.String && text.Str != ""
	case "refusal":
		return dialect.TextBlock(refusal), refusal.Type == gjson.String && refusal.Str != ""
	case "image_url":
		u := image
		if u.IsObject() {
			u = u.Get("url")
		}
		if !images || u.Type != gjson.String || u.Str == "" {
			return ir.Block{}, false
		}
		return parseImageURL(u.Str), true
	}
	return ir.Block{}, false
}

// decodeToolCall reads {id, type, function:{name, arguments}} in one pass
// over each object. Custom tool calls carry free text, not a JSON input,
// and are dropped.
func decodeToolCall(w *jsonscan.Walker, c gjson.Result) (ir.Block, bool) {
	var id, fn gjson.Result
	w.Each(c, func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "function":
			fn = v
		}
		return true
	})
	if !fn.IsObject() {
		return ir.Block{}, false
	}
	b := ir.Block{Type: ir.BlockToolUse, ToolCallID: id.Str}
	var args gjson.Result
	w.Each(fn, func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			b.ToolName = v.Str
		case "arguments":
			args = v
		}
		return true
	})
	if b.ToolCallID == "" {
		b.ToolCallID = newID("call_")
	}
	b.Input = toolInput(args)
	return b, true
}
