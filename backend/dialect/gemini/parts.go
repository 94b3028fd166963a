package gemini

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// partKind is what a Gemini Part carries. A Part is a oneof on the wire;
// when a malformed part has several members the most specific one wins.
type partKind uint8

const (
	partOther partKind = iota
	partText
	partInline
	partFile
	partCall
	partResponse
)

// wirePart is a Part read with gjson. Strings alias the parsed document.
type wirePart struct {
	kind    partKind
	text    string
	esc     *ir.Escaped // text as the body wrote it (see dialect.TextOf)
	thought bool
	sig     string

	mime string // inlineData / fileData
	data string // inlineData.data or fileData.fileUri

	id, name string       // functionCall / functionResponse
	raw      string       // functionCall.args or functionResponse.response (raw JSON)
	parts    gjson.Result // functionResponse.parts (multimodal results)
}

func (p *wirePart) setKind(k partKind) {
	if k > p.kind {
		p.kind = k
	}
}

// parsePart reads one Part. Both camelCase and snake_case field names are
// accepted: Google's JSON parser takes either and the official curl
// examples use snake_case for some fields.
//
// w walks the part (nil: see jsonscan.Walker).
func parsePart(w *jsonscan.Walker, r gjson.Result) wirePart {
	var p wirePart
	w.Each(r, func(k, v gjson.Result) bool {
		switch k.Str {
		case "text":
			if v.Type == gjson.String {
				p.text = v.Str
				if w != nil { // a request body, checked: its written form can be copied
					p.text, p.esc = dialect.TextOf(v)
				}
				p.setKind(partText)
			}
		case "thought":
			p.thought = v.Bool()
		case "thoughtSignature", "thought_signature":
			p.sig = v.String()
		case "inlineData", "inline_data":
			p.mime, p.data = blob(v, "data")
			p.setKind(partInline)
		case "fileData", "file_data":
			p.mime, p.data = blob(v, "fileUri")
			p.setKind(partFile)
		case "functionCall", "function_call":
			p.id, p.name, p.raw, _ = call(v, "args")
			p.setKind(partCall)
		case "functionResponse", "function_response":
			p.id, p.name, p.raw, p.parts = call(v, "response")
			p.setKind(partResponse)
		}
		return true
	})
	return p
}

// blob reads {mimeType, <dataKey>} of inlineData / fileData.
func blob(r gjson.Result, dataKey string) (mime, data string) {
	r.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "mimeType", "mime_type":
			mime = v.String()
		case dataKey, "data", "file_uri":
			data = v.String()
		}
		return true
	})
	return mime, data
}

// call reads {id, name, <rawKey>, parts} of functionCall / functionResponse.
func call(r gjson.Result, rawKey string) (id, name, raw string, parts gjson.Result) {
	r.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v.String()
		case "name":
			name = v.String()
		case rawKey:
			raw = v.Raw
		case "parts":
			parts = v
		}
		return true
	})
	return id, name, raw, parts
}

// args returns a functionCall's arguments as a compact JSON object.
func (p *wirePart) args() json.RawMessage {
	if r := gjson.Parse(p.raw); r.IsObject() {
		return compactRaw(p.raw)
	}
	return json.RawMessage("{}")
}

// imageBlock turns inlineData / fileData into an ir image block. Non-image
// media (PDF, audio) are carried the same way: ir has no other media block,
// and a Gemini upstream gets them back unchanged.
func (p *wirePart) imageBlock() ir.Block {
	if p.kind == partFile {
		return ir.Block{Type: ir.BlockImage, MediaType: p.mime, URL: p.data}
	}
	return ir.Block{Type: ir.BlockImage, MediaType: p.mime, Data: p.data}
}

// toolResult turns a functionResponse into an ir tool_result (ToolCallID is
// left to the caller, which pairs it). The response Struct is flattened to
// text the way tools report it: {"output": s} / {"result": s} → s,
// {"error": e} → e with IsError, anything else → its JSON.
func (p *wirePart) toolResult(w *jsonscan.Walker) ir.Block {
	b := ir.Block{Type: ir.BlockToolResult, ToolName: p.name}
	text, isErr := responseText(w, p.raw)
	b.IsError = isErr
	if text.Text != "" {
		b.Content = append(b.Content, text)
	}
	w.Each(p.parts, func(_, v gjson.Result) bool {
		if q := parsePart(w, v); q.kind == partInline || q.kind == partFile {
			b.Content = append(b.Content, q.imageBlock())
		} else if q.kind == partText && q.text != "" {
			b.Content = append(b.Content, ir.Block{Type: ir.BlockText, Text: q.text, Escaped: q.esc})
		}
		return true
	})
	return b
}

// responseText is the text block of a functionResponse's response (raw).
func responseText(w *jsonscan.Walker, raw string) (text ir.Block, isErr bool) {
	text.Type = ir.BlockText
	r := gjson.Parse(raw)
	if !r.IsObject() {
		if r.Type == gjson.String {
			text.Text, text.Escaped = dialect.TextOf(r)
			return text, false
		}
		text.Text = string(compactJSON(raw))
		return text, false
	}
	var out, errv gjson.Result
	n := 0
	w.Each(r, func(k, v gjson.Result) bool {
		n++
		switch k.Str {
		case "output", "result":
			out = v
		case "error":
			errv = v
		}
		return true
	})
	switch {
	case n == 0:
		return text, false
	case errv.Exists() && errv.Type != gjson.Null && !out.Exists():
		text.Text, text.Escaped = valueText(errv)
		return text, true
	case n == 1 && out.Exists():
		text.Text, text.Escaped = valueText(out)
		return text, false
	}
	text.Text = string(compactJSON(raw))
	return text, false
}

func valueText(v gjson.Result) (string, *ir.Escaped) {
	if v.Type == gjson.String {
		return dialect.TextOf(v)
	}
	return string(compactJSON(v.Raw)), nil
}
