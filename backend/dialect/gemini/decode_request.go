package gemini

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeRequest reads a generateContent / streamGenerateContent body.
func (codec) DecodeRequest(body []byte) (*ir.Request, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	return decodeRoot(root, nil)
}

// DecodeValidRequest is DecodeRequest for a body known to be valid JSON.
func (codec) DecodeValidRequest(body []byte, spans *jsonscan.Walker) (*ir.Request, error) {
	root, err := objectOf(body)
	if err != nil {
		return nil, err
	}
	return decodeRoot(root, spans)
}

// parseObject validates body and parses it once; every string read later
// aliases this one copy.
func parseObject(body []byte) (gjson.Result, error) {
	if !jsonscan.Valid(body) {
		return gjson.Result{}, badRequest("request body is not valid JSON")
	}
	return objectOf(body)
}

// objectOf is parseObject for a body known to be valid JSON.
func objectOf(body []byte) (gjson.Result, error) {
	r := gjson.Parse(jsonscan.View(body))
	if !r.IsObject() {
		return gjson.Result{}, badRequest("request body must be a JSON object")
	}
	return r, nil
}

// reqDecoder holds what pairing tool results needs across the turns.
type reqDecoder struct {
	req    *ir.Request
	w      *jsonscan.Walker // walks the body (see jsonscan.Walker)
	calls  []callRef
	nextID int
}

type callRef struct {
	id, name string
	paired   bool
}

// decodeRoot decodes the body's object, walking it with w (the validation
// pass's spans, or a fresh Walker when nil).
func decodeRoot(root gjson.Result, w *jsonscan.Walker) (*ir.Request, error) {
	if w == nil {
		w = &jsonscan.Walker{}
	}
	d := reqDecoder{req: &ir.Request{}, w: w}
	var contents gjson.Result
	var err error
	w.Each(root, func(k, v gjson.Result) bool {
		switch k.Str {
		case "contents":
			contents = v
		case "systemInstruction", "system_instruction":
			d.req.System = systemBlocks(w, v)
		case "tools":
			err = d.tools(v)
		case "toolConfig", "tool_config":
			d.req.ToolChoice = toolChoice(v)
		case "generationConfig", "generation_config":
			d.genConfig(v)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.contents(contents); err != nil {
		return nil, err
	}
	return d.req, nil
}

func (d *reqDecoder) contents(c gjson.Result) error {
	if !c.Exists() || c.Type == gjson.Null {
		return badRequest("contents is required")
	}
	if !c.IsArray() {
		return badRequest("contents must be an array")
	}
	var err error
	i := 0
	d.w.Each(c, func(_, v gjson.Result) bool {
		err = d.content(i, v)
		i++
		return err == nil
	})
	if err != nil {
		return err
	}
	if len(d.req.Messages) == 0 {
		return badRequest("contents has no usable parts")
	}
	return nil
}

func (d *reqDecoder) content(i int, c gjson.Result) error {
	if !c.IsObject() {
		return badRequest("contents[%d] must be an object", i)
	}
	var role string
	var parts gjson.Result
	d.w.Each(c, func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v.String()
		case "parts":
			parts = v
		}
		return true
	})
	if parts.Exists() && parts.Type != gjson.Null && !parts.IsArray() {
		return badRequest("contents[%d].parts must be an array", i)
	}
	msg := ir.Message{Role: mapRole(role)}
	d.w.Each(parts, func(_, v gjson.Result) bool {
		p := parsePart(d.w, v)
		if b, ok := d.block(&p); ok {
			msg.Content = append(msg.Content, b)
		}
		return true
	})
	if len(msg.Content) > 0 {
		d.req.Messages = append(d.req.Messages, msg)
	}
	return nil
}

// mapRole maps Gemini roles. "function" is the legacy role of
// functionResponse turns; Gemini has no system role but a client may send
// one mid-conversation, which ir keeps in place.
func mapRole(role string) ir.Role {
	switch strings.ToLower(role) {
	case "model", "assistant":
		return ir.RoleAssistant
	case "system":
		return ir.RoleSystem
	}
	return ir.RoleUser
}

// block turns one part into an ir block; ok is false for parts ir cannot
// carry (executableCode, videoMetadata…) and for empty text.
func (d *reqDecoder) block(p *wirePart) (ir.Block, bool) {
	switch p.kind {
	case partText:
		return textBlock(p)
	case partInline, partFile:
		return p.imageBlock(), true
	case partCall:
		return d.toolUse(p), true
	case partResponse:
		b := p.toolResult(d.w)
		b.ToolCallID = d.pair(p.id, p.name)
		return b, true
	}
	return ir.Block{}, false
}

// textBlock maps a text part: thought → thinking, a bare signature → an
// empty thinking block (see the package comment), else text.
func textBlock(p *wirePart) (ir.Block, bool) {
	var origin ir.Origin
	if p.sig != "" {
		origin = ir.OriginGemini
	}
	switch {
	case p.thought, p.text == "" && p.sig != "":
		return ir.Block{Type: ir.BlockThinking, Text: p.text, Escaped: p.esc, Signature: p.sig, Origin: origin}, true
	case p.text == "":
		return ir.Block{}, false
	}
	return ir.Block{Type: ir.BlockText, Text: p.text, Escaped: p.esc, Signature: p.sig, Origin: origin}, true
}

// toolUse maps a functionCall. A call that carried an id or a signature came
// from a Gemini speaker and is marked Origin gemini (see the package comment).
func (d *reqDecoder) toolUse(p *wirePart) ir.Block {
	b := ir.Block{Type: ir.BlockToolUse, ToolCallID: p.id, ToolName: p.name, Input: p.args(), Signature: p.sig}
	if p.id != "" || p.sig != "" {
		b.Origin = ir.OriginGemini
	}
	if b.ToolCallID == "" {
		b.ToolCallID = d.genID()
	}
	d.calls = append(d.calls, callRef{id: b.ToolCallID, name: p.name})
	return b
}

// pair finds the call a functionResponse answers: by id when one matches,
// else the earliest unanswered call of the same name (Gemini CLI sends an id
// on the response even when the call had none, so an unknown id falls back
// to the name). An orphan keeps its own id, or gets a fresh one.
func (d *reqDecoder) pair(id, name string) string {
	if id != "" {
		for i := range d.calls {
			if c := &d.calls[i]; !c.paired && c.id == id {
				c.paired = true
				return c.id
			}
		}
	}
	for i := range d.calls {
		if c := &d.calls[i]; !c.paired && c.name == name {
			c.paired = true
			return c.id
		}
	}
	if id != "" {
		return id
	}
	return d.genID()
}

// genID makes a stable id ("call_<n>") for a call without one, so decoding
// the same history twice gives the same ids.
func (d *reqDecoder) genID() string {
	for {
		d.nextID++
		id := "call_" + strconv.Itoa(d.nextID)
		if !d.known(id) {
			return id
		}
	}
}

func (d *reqDecoder) known(id string) bool {
	for _, c := range d.calls {
		if c.id == id {
			return true
		}
	}
	return false
}

// systemBlocks reads systemInstruction: a Content, a bare string or a bare
// parts array. Only text parts are kept.
func systemBlocks(w *jsonscan.Walker, v gjson.Result) []ir.Block {
	if v.Type == gjson.String {
		if v.Str == "" {
			return nil
		}
		return []ir.Block{dialect.TextBlock(v)}
	}
	parts := v
	if v.IsObject() {
		parts = v.Get("parts")
	}
	var out []ir.Block
	w.Each(parts, func(_, p gjson.Result) bool {
		if wp := parsePart(w, p); wp.kind == partText && wp.text != "" && !wp.thought {
			out = append(out, ir.Block{Type: ir.BlockText, Text: wp.text, Escaped: wp.esc})
		}
		return true
	})
	return out
}
