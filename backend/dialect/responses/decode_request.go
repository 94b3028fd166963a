package responses

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeRequest turns a client's POST /v1/responses body into a hub request.
//
// The body is parsed once with gjson over a single string copy, so the text
// of every message is a substring of it and decoding a 40 KB Codex request
// costs a handful of allocations per item rather than a reflective decode.
func (codec) DecodeRequest(body []byte) (*ir.Request, error) {
	if !jsonscan.Valid(body) {
		return nil, badRequest("request body is not valid JSON")
	}
	return decodeValid(body, nil)
}

// DecodeValidRequest is DecodeRequest for a body known to be valid JSON.
func (codec) DecodeValidRequest(body []byte, spans *jsonscan.Walker) (*ir.Request, error) {
	return decodeValid(body, spans)
}

// decodeValid decodes a valid body, walking it with w (the validation
// pass's spans, or a fresh Walker when nil: each level is then scanned
// once, not once per level, and escaped strings share an arena).
func decodeValid(body []byte, w *jsonscan.Walker) (*ir.Request, error) {
	if w == nil {
		w = &jsonscan.Walker{}
	}
	root := gjson.Parse(jsonscan.View(body))
	if !root.IsObject() {
		return nil, badRequest("request body must be a JSON object")
	}
	var top topFields
	w.Each(root, func(k, v gjson.Result) bool {
		top.set(k.Str, v)
		return true
	})
	if top.model.Type != gjson.String || top.model.Str == "" {
		return nil, badRequest("model is required and must be a string")
	}
	req := &ir.Request{Model: top.model.Str}
	if s := top.instructions.Str; top.instructions.Type == gjson.String && s != "" {
		req.System = append(req.System, ir.Block{Type: ir.BlockText, Text: s})
	}
	d := inputDecoder{req: req, w: w}
	if err := d.input(top.input); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, badRequest("input has no user, assistant or tool items")
	}
	tools, err := decodeTools(top.tools)
	if err != nil {
		return nil, err
	}
	req.Tools = tools
	top.options(req)
	return req, nil
}

// topFields holds the top-level members DecodeRequest reads, gathered in one
// pass. Everything else (store, include, metadata, truncation,
// service_tier, client_metadata…) is deliberately ignored.
type topFields struct {
	model, instructions, input, tools, toolChoice, parallel gjson.Result
	maxOutput, temperature, topP, reasoning, text, stream   gjson.Result
	cacheKey, user, safetyID, previous                      gjson.Result
}

func (t *topFields) set(key string, v gjson.Result) {
	switch key {
	case "model":
		t.model = v
	case "instructions":
		t.instructions = v
	case "input":
		t.input = v
	case "tools":
		t.tools = v
	case "tool_choice":
		t.toolChoice = v
	case "parallel_tool_calls":
		t.parallel = v
	case "max_output_tokens":
		t.maxOutput = v
	case "temperature":
		t.temperature = v
	case "top_p":
		t.topP = v
	case "reasoning":
		t.reasoning = v
	case "text":
		t.text = v
	case "stream":
		t.stream = v
	case "prompt_cache_key":
		t.cacheKey = v
	case "user":
		t.user = v
	case "safety_identifier":
		t.safetyID = v
	case "previous_response_id":
		t.previous = v
	}
}

// options copies the sampling and output settings. Optional fields of the
// wrong type are ignored rather than refused: they change no semantics the
// hub can carry.
func (t *topFields) options(req *ir.Request) {
	req.ToolChoice = decodeToolChoice(t.toolChoice)
	if t.parallel.IsBool() {
		b := t.parallel.Bool()
		req.ParallelToolCalls = &b
	}
	if t.maxOutput.Type == gjson.Number && t.maxOutput.Int() > 0 {
		req.MaxTokens = int(t.maxOutput.Int())
	}
	if t.temperature.Type == gjson.Number {
		f := t.temperature.Num
		req.Temperature = &f
	}
	if t.topP.Type == gjson.Number {
		f := t.topP.Num
		req.TopP = &f
	}
	req.Stream = t.stream.Type == gjson.True
	req.Reasoning = decodeReasoning(t.reasoning)
	req.ResponseFormat = decodeTextFormat(t.text.Get("format"))
	req.PromptCacheKey = t.cacheKey.Str
	req.PreviousResponseID = t.previous.Str
	req.User = t.user.Str
	if req.User == "" {
		req.User = t.safetyID.Str
	}
}

func badRequest(format string, args ...any) *ir.Error {
	return ir.Errorf(ir.KindBadRequest, format, args...)
}

// inputDecoder folds input items into messages. Items of one assistant turn
// (reasoning, message, function calls) arrive as separate items and are
// merged into one assistant message; consecutive tool outputs merge into one
// user message of tool results.
type inputDecoder struct {
	req       *ir.Request
	w         *jsonscan.Walker
	callNames map[string]string // call_id → tool name, so results know their tool
}

func (d *inputDecoder) input(in gjson.Result) error {
	switch {
	case in.Type == gjson.String:
		if in.Str == "" {
			return badRequest("input is empty")
		}
		d.req.Messages = append(d.req.Messages, ir.Message{Role: ir.RoleUser,
			Content: []ir.Block{{Type: ir.BlockText, Text: in.Str}}})
		return nil
	case in.IsArray():
		var err error
		i := 0
		d.w.Each(in, func(_, it gjson.Result) bool {
			err = d.item(i, it)
			i++
			return err == nil
		})
		return err
	case !in.Exists() || in.Type == gjson.Null:
		return badRequest("input is required")
	default:
		return badRequest("input must be a string or an array of items")
	}
}

// itemFields holds the members of one input item, gathered in one pass.
type itemFields struct {
	typ, role, id, callID, name, namespace string
	content, arguments, output, input      gjson.Result
	summary, encrypted                     gjson.Result
}

// readItem reads one item's members (w may be nil: see jsonscan.Walker).
func readItem(w *jsonscan.Walker, it gjson.Result) itemFields {
	var f itemFields
	w.Each(it, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			f.typ = v.Str
		case "role":
			f.role = v.Str
		case "id":
			f.id = v.Str
		case "call_id":
			f.callID = v.Str
		case "name":
			f.name = v.Str
		case "namespace":
			f.namespace = v.Str
		case "content":
			f.content = v
		case "arguments":
			f.arguments = v
		case "output":
			f.output = v
		case "input":
			f.input = v
		case "summary":
			f.summary = v
		case "encrypted_content":
			f.encrypted = v
		}
		return true
	})
	if f.typ == "" && f.role != "" {
		f.typ = "message"
	}
	return f
}

func (d *inputDecoder) item(i int, it gjson.Result) error {
	if !it.IsObject() {
		return badRequest("input[%d] must be an object", i)
	}
	f := readItem(d.w, it)
	switch f.typ {
	case "message":
		return d.message(i, &f)
	case "function_call", "custom_tool_call":
		return d.call(i, &f)
	case "function_call_output", "custom_tool_call_output":
		return d.callOutput(i, &f)
	case "reasoning":
		if b, ok := decodeReasoningItem(d.w, &f, true); ok {
			d.appendAssistant(b)
		}
	}
	// item_reference, hosted tool calls and unknown items carry nothing the
	// hub can hold without the server-side state they point at.
	return nil
}

func (d *inputDecoder) message(i int, f *itemFields) error {
	switch f.role {
	case "user":
		blocks := decodeContent(d.w, f.content, "")
		if len(blocks) > 0 {
			d.req.Messages = append(d.req.Messages, ir.Message{Role: ir.RoleUser, Content: blocks})
		}
	case "assistant":
		for _, b := range decodeContent(d.w, f.content, f.id) {
			d.appendAssistant(b)
		}
	case "system", "developer":
		// The item id stays on the blocks so an encoder to Responses can
		// give each developer message back as it was (see EncodeRequest).
		d.system(decodeContent(d.w, f.content, f.id))
	default:
		return badRequest("input[%d]: unsupported message role %q", i, f.role)
	}
	return nil
}

// system puts leading system/developer text in Request.System and keeps a
// later one in place as a RoleSystem message.
func (d *inputDecoder) system(blocks []ir.Block) {
	text := blocks[:0]
	for _, b := range blocks {
		if b.Type == ir.BlockText {
			text = append(text, b)
		}
	}
	if len(text) == 0 {
		return
	}
	if len(d.req.Messages) == 0 {
		d.req.System = append(d.req.System, text...)
		return
	}
	d.req.Messages = append(d.req.Messages, ir.Message{Role: ir.RoleSystem, Content: text})
}

func (d *inputDecoder) appendAssistant(b ir.Block) {
	msgs := d.req.Messages
	if n := len(msgs); n > 0 && msgs[n-1].Role == ir.RoleAssistant {
		msgs[n-1].Content = append(msgs[n-1].Content, b)
		return
	}
	d.req.Messages = append(msgs, ir.Message{Role: ir.RoleAssistant, Content: []ir.Block{b}})
}

func (d *inputDecoder) call(i int, f *itemFields) error {
	if f.callID == "" || f.name == "" {
		return badRequest("input[%d]: %s needs a call_id and a name", i, f.typ)
	}
	b := callBlock(f)
	if d.callNames == nil {
		d.callNames = make(map[string]string)
	}
	d.callNames[f.callID] = b.ToolName
	d.appendAssistant(b)
	return nil
}

// callBlock turns a function_call or custom_tool_call item into a tool_use
// block; a namespaced function is named "<namespace>.<name>".
func callBlock(f *itemFields) ir.Block {
	b := ir.Block{Type: ir.BlockToolUse, ToolCallID: f.callID, ToolName: f.name, ID: f.id}
	if f.namespace != "" {
		b.ToolName = f.namespace + "." + f.name
	}
	if f.typ == "custom_tool_call" {
		b.Input = customInput(f.input.Str)
	} else {
		b.Input = dialect.ArgumentsObject(f.arguments.Str)
	}
	return b
}

func (d *inputDecoder) callOutput(i int, f *itemFields) error {
	if f.callID == "" {
		return badRequest("input[%d]: %s needs a call_id", i, f.typ)
	}
	b := ir.Block{Type: ir.BlockToolResult, ToolCallID: f.callID, ToolName: d.callNames[f.callID]}
	switch {
	case f.output.Type == gjson.String:
		if f.output.Str != "" {
			b.Content = []ir.Block{dialect.TextBlock(f.output)}
		}
	case f.output.IsArray():
		b.Content = decodeContent(d.w, f.output, "")
	case f.output.Exists() && f.output.Type != gjson.Null:
		b.Content = []ir.Block{{Type: ir.BlockText, Text: f.output.Raw}}
	}
	msgs := d.req.Messages
	if n := len(msgs); n > 0 && msgs[n-1].Role == ir.RoleUser && allToolResults(msgs[n-1].Content) {
		msgs[n-1].Content = append(msgs[n-1].Content, b)
		return nil
	}
	d.req.Messages = append(msgs, ir.Message{Role: ir.RoleUser, Content: []ir.Block{b}})
	return nil
}

func allToolResults(blocks []ir.Block) bool {
	for i := range blocks {
		if blocks[i].Type != ir.BlockToolResult {
			return false
		}
	}
	return true
}

// decodeContent reads a message's content (a string or an array of parts)
// into text and image blocks. Files, audio and file_id images are dropped:
// the hub cannot carry a reference to OpenAI's file store. itemID, when set,
// names the message item the text came from.
func decodeContent(w *jsonscan.Walker, c gjson.Result, itemID string) []ir.Block {
	if c.Type == gjson.String {
		if c.Str == "" {
			return nil
		}
		return []ir.Block{{Type: ir.BlockText, Text: c.Str, ID: itemID}}
	}
	var out []ir.Block
	w.Each(c, func(_, p gjson.Result) bool {
		if b, ok := decodePart(w, p); ok {
			b.ID = itemID
			if b.Type != ir.BlockText {
				b.ID = ""
			}
			out = append(out, b)
		}
		return true
	})
	return out
}

func decodePart(w *jsonscan.Walker, p gjson.Result) (ir.Block, bool) {
	if !p.IsObject() {
		return ir.Block{}, false
	}
	var typ, imageURL string
	var text gjson.Result
	w.Each(p, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v.Str
		case "text", "refusal":
			text = v
		case "image_url":
			imageURL = v.Str
			if v.IsObject() { // tolerate the Chat Completions shape
				imageURL = v.Get("url").Str
			}
		}
		return true
	})
	switch typ {
	case "input_text", "output_text", "text", "refusal":
		if w == nil { // an upstream's answer: nothing checked its escapes
			return ir.Block{Type: ir.BlockText, Text: text.Str}, text.Str != ""
		}
		return dialect.TextBlock(text), text.Str != ""
	case "input_image", "image_url":
		return imageBlock(imageURL)
	}
	return ir.Block{}, false
}

// imageBlock turns an image_url (a data: URL or a web URL) into an image
// block.
func imageBlock(u string) (ir.Block, bool) {
	if u == "" {
		return ir.Block{}, false
	}
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		meta, data, found := strings.Cut(rest, ",")
		if !found {
			return ir.Block{}, false
		}
		mt, isB64 := strings.CutSuffix(meta, ";base64")
		if !isB64 {
			return ir.Block{}, false
		}
		return ir.Block{Type: ir.BlockImage, MediaType: mt, Data: data}, true
	}
	return ir.Block{Type: ir.BlockImage, URL: u}, true
}

// customInput wraps a custom tool call's free text as {"input": text}.
func customInput(text string) json.RawMessage {
	b := make([]byte, 0, len(text)+16)
	b = append(b, `{"input":`...)
	b = appendString(b, text)
	return append(b, '}')
}

// customText is customInput's inverse: the free text of a custom call, or
// the raw arguments when they are not {"input": string}.
func customText(in json.RawMessage) string {
	if r := gjson.GetBytes(in, "input"); r.Type == gjson.String {
		return r.Str
	}
	return string(in)
}
