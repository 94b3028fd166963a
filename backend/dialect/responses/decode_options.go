package responses

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// customParams is the JSON Schema a custom (freeform) tool gets in the hub:
// every other dialect only knows JSON-argument functions.
const customParams = `{"type":"object","properties":{"input":{"type":"string","description":"The raw text input of the tool."}},"required":["input"],"additionalProperties":false}`

// Tool kinds Responses upstreams understand; a non-function hub tool is
// handed back to a Responses upstream only when it is one of these, so a
// Gemini google_search or an Anthropic server tool never leaks in.
var responsesToolKinds = map[string]bool{
	"web_search": true, "web_search_preview": true, "web_search_preview_2025_03_11": true,
	"web_search_2025_08_26": true, "file_search": true, "code_interpreter": true,
	"image_generation": true, "local_shell": true, "shell": true, "apply_patch": true,
	"computer_use_preview": true, "computer": true, "mcp": true, "namespace": true,
	"tool_search": true, "custom": true,
}

// decodeTools reads the tools array. Function and custom tools become hub
// functions; every other kind keeps Kind and Raw.
func decodeTools(arr gjson.Result) ([]ir.Tool, error) {
	if !arr.IsArray() {
		return nil, nil
	}
	var out []ir.Tool
	var err error
	i := 0
	arr.ForEach(func(_, t gjson.Result) bool {
		var tool ir.Tool
		var ok bool
		tool, ok, err = decodeTool(i, t)
		if ok {
			out = append(out, tool)
		}
		i++
		return err == nil
	})
	return out, err
}

// toolFields holds the members of one tool definition, gathered in one
// pass (tool schemas are most of a Codex request's bytes).
type toolFields struct {
	typ, name, description string
	strict                 bool
	parameters, function   gjson.Result
}

func readTool(t gjson.Result) toolFields {
	var f toolFields
	t.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			f.typ = v.Str
		case "name":
			f.name = v.Str
		case "description":
			f.description = v.Str
		case "strict":
			f.strict = v.Type == gjson.True
		case "parameters":
			f.parameters = v
		case "function":
			f.function = v
		}
		return true
	})
	return f
}

func decodeTool(i int, t gjson.Result) (ir.Tool, bool, error) {
	if !t.IsObject() {
		return ir.Tool{}, false, nil
	}
	f := readTool(t)
	switch f.typ {
	case "function":
		if f.function.IsObject() { // Chat Completions shape
			f = readTool(f.function)
		}
		if f.name == "" {
			return ir.Tool{}, false, badRequest("tools[%d]: a function tool needs a name", i)
		}
		tool := ir.Tool{Kind: ir.ToolKindFunction, Name: f.name, Description: f.description, Strict: f.strict}
		if f.parameters.IsObject() {
			tool.Parameters = json.RawMessage(f.parameters.Raw)
		}
		return tool, true, nil
	case "custom":
		if f.name == "" {
			return ir.Tool{}, false, badRequest("tools[%d]: a custom tool needs a name", i)
		}
		return ir.Tool{Kind: ir.ToolKindFunction, Name: f.name, Description: f.description,
			Parameters: json.RawMessage(customParams), Raw: json.RawMessage(t.Raw)}, true, nil
	case "":
		return ir.Tool{}, false, nil
	}
	return ir.Tool{Kind: f.typ, Name: f.name, Description: f.description, Raw: json.RawMessage(t.Raw)}, true, nil
}

// isCustomTool reports whether a hub tool came from a Responses custom tool.
func isCustomTool(t *ir.Tool) bool {
	return t.Kind == ir.ToolKindFunction && len(t.Raw) > 0 && gjson.GetBytes(t.Raw, "type").Str == "custom"
}

// decodeToolChoice maps tool_choice. A choice that forces a hosted tool has
// no hub equivalent (other upstreams do not have the tool) and is dropped.
func decodeToolChoice(v gjson.Result) *ir.ToolChoice {
	switch {
	case v.Type == gjson.String:
		switch v.Str {
		case "auto", "none", "required":
			return &ir.ToolChoice{Mode: v.Str}
		}
	case v.IsObject():
		switch v.Get("type").Str {
		case "function", "custom":
			name := v.Get("name").Str
			if name == "" {
				name = v.Get("function.name").Str
			}
			if name != "" {
				return &ir.ToolChoice{Mode: "tool", Name: name}
			}
		case "allowed_tools":
			if m := v.Get("mode").Str; m == "auto" || m == "required" {
				return &ir.ToolChoice{Mode: m}
			}
		}
	}
	return nil
}

// decodeReasoning maps reasoning {effort, summary}. A summary other than
// "none" means the client wants to see reasoning; effort "none" turns
// reasoning off.
func decodeReasoning(v gjson.Result) *ir.Reasoning {
	if !v.IsObject() {
		return nil
	}
	effort := v.Get("effort").Str
	summary := v.Get("summary").Str
	if summary == "" {
		summary = v.Get("generate_summary").Str // deprecated spelling
	}
	if effort == "" && summary == "" {
		return nil
	}
	return &ir.Reasoning{Effort: effort, Summary: summary, Disabled: effort == "none",
		IncludeThoughts: summary != "" && summary != "none"}
}

// decodeTextFormat maps text.format.
func decodeTextFormat(f gjson.Result) *ir.ResponseFormat {
	if !f.IsObject() {
		return nil
	}
	switch typ := f.Get("type").Str; typ {
	case "text", "json_object":
		return &ir.ResponseFormat{Type: typ}
	case "json_schema":
		src := f
		if inner := f.Get("json_schema"); inner.IsObject() { // Chat Completions shape
			src = inner
		}
		rf := &ir.ResponseFormat{Type: typ, Name: src.Get("name").Str, Strict: src.Get("strict").Type == gjson.True}
		if s := src.Get("schema"); s.IsObject() {
			rf.Schema = json.RawMessage(s.Raw)
		}
		return rf
	}
	return nil
}

// Wrapped signatures: how a foreign vendor's opaque reasoning value travels
// through a Responses client (see the package comment).
const (
	wrapThinking = "swb1:"
	wrapRedacted = "swb1r:"
)

// decodeReasoningItem reads a reasoning item into a thinking block. Text is
// the summary parts joined by blank lines, or the raw reasoning content when
// there is no summary (open-weight models). unwrap restores a wrapped foreign
// signature; it is set on the client side only, since real upstreams never
// produce one. ok is false when the item carries nothing usable.
func decodeReasoningItem(w *jsonscan.Walker, f *itemFields, unwrap bool) (ir.Block, bool) {
	b := ir.Block{Type: ir.BlockThinking, ID: f.id, Origin: ir.OriginOpenAI,
		Text: joinTexts(w, f.summary), Signature: f.encrypted.Str}
	if b.Text == "" {
		b.Text = joinTexts(w, f.content)
	}
	if unwrap {
		unwrapSignature(&b)
	}
	if b.Text == "" && b.Signature == "" && b.Data == "" {
		return ir.Block{}, false
	}
	return b, true
}

func unwrapSignature(b *ir.Block) {
	rest, redacted := strings.CutPrefix(b.Signature, wrapRedacted)
	if !redacted {
		var ok bool
		if rest, ok = strings.CutPrefix(b.Signature, wrapThinking); !ok {
			return
		}
	}
	origin, payload, ok := strings.Cut(rest, ":")
	if !ok {
		return
	}
	b.Origin = ir.Origin(origin)
	if redacted {
		*b = ir.Block{Type: ir.BlockRedactedThinking, Data: payload, Origin: b.Origin}
		return
	}
	b.Signature = payload
}

// wrapSignature is unwrapSignature's inverse: the encrypted_content to give a
// Responses client for a thinking or redacted-thinking block.
func wrapSignature(b *ir.Block) string {
	if b.Type == ir.BlockRedactedThinking {
		if b.Data == "" {
			return ""
		}
		return wrapRedacted + string(b.Origin) + ":" + b.Data
	}
	if b.Signature == "" || b.Origin == ir.OriginOpenAI {
		return b.Signature
	}
	return wrapThinking + string(b.Origin) + ":" + b.Signature
}

// joinTexts joins the "text" members of an array of parts with blank lines.
// w (nil for an upstream's answer) walks a request body by the spans its
// validation pass recorded, as the other items' parts are.
func joinTexts(w *jsonscan.Walker, arr gjson.Result) string {
	if !arr.IsArray() {
		return ""
	}
	var first string
	var sb strings.Builder
	n := 0
	w.Each(arr, func(_, p gjson.Result) bool {
		var t string
		if p.IsObject() {
			w.Each(p, func(k, v gjson.Result) bool {
				if k.Str == "text" {
					t = v.Str
					return false
				}
				return true
			})
		}
		if t == "" {
			return true
		}
		switch n {
		case 0:
			first = t
		case 1:
			sb.WriteString(first)
			fallthrough
		default:
			sb.WriteString("\n\n")
			sb.WriteString(t)
		}
		n++
		return true
	})
	if n <= 1 {
		return first
	}
	return sb.String()
}
