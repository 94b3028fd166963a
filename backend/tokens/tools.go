package tokens

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// toolStyle is how a vendor shows tool definitions to its model, which is
// what its token count includes: the JSON schema itself (Anthropic puts the
// definitions in its tool-use system prompt as JSON), or OpenAI's
// TypeScript-like namespace (documented for the harmony format of gpt-oss,
// and the count the OpenAI cookbook reproduces for chat models).
type toolStyle int

const (
	toolsJSON toolStyle = iota
	toolsTypeScript
)

// renderTools writes the function tools the way style shows them. Hosted
// tools (web_search, code_execution…) are left out: their cost is the
// vendor's own prompt, which no client-side count can see.
func renderTools(tools []ir.Tool, style toolStyle) string {
	var sb strings.Builder
	for i := range tools {
		t := &tools[i]
		if t.Kind != ir.ToolKindFunction && t.Kind != "" {
			continue
		}
		if style == toolsJSON {
			renderJSONTool(&sb, t)
			continue
		}
		renderTSTool(&sb, t)
	}
	return sb.String()
}

func renderJSONTool(sb *strings.Builder, t *ir.Tool) {
	sb.WriteString(`{"name":`)
	writeJSONString(sb, t.Name)
	if t.Description != "" {
		sb.WriteString(`,"description":`)
		writeJSONString(sb, t.Description)
	}
	if len(t.Parameters) > 0 {
		sb.WriteString(`,"input_schema":`)
		var c bytes.Buffer
		if json.Compact(&c, t.Parameters) == nil {
			sb.Write(c.Bytes())
		} else {
			sb.Write(t.Parameters)
		}
	}
	sb.WriteString("}\n")
}

func writeJSONString(sb *strings.Builder, s string) {
	b, _ := json.Marshal(s)
	sb.Write(b)
}

// renderTSTool renders one function as
//
//	// description
//	type name = (_: {
//	// property description
//	prop?: string,
//	}) => any;
func renderTSTool(sb *strings.Builder, t *ir.Tool) {
	comment(sb, t.Description, "")
	sb.WriteString("type ")
	sb.WriteString(t.Name)
	props := gjson.GetBytes(t.Parameters, "properties")
	if !props.IsObject() || len(props.Map()) == 0 {
		sb.WriteString(" = () => any;\n\n")
		return
	}
	sb.WriteString(" = (_: {\n")
	tsProps(sb, gjson.ParseBytes(t.Parameters), "")
	sb.WriteString("}) => any;\n\n")
}

func tsProps(sb *strings.Builder, schema gjson.Result, indent string) {
	required := map[string]bool{}
	for _, r := range schema.Get("required").Array() {
		required[r.String()] = true
	}
	schema.Get("properties").ForEach(func(k, v gjson.Result) bool {
		comment(sb, v.Get("description").String(), indent)
		sb.WriteString(indent)
		sb.WriteString(k.String())
		if !required[k.String()] {
			sb.WriteByte('?')
		}
		sb.WriteString(": ")
		sb.WriteString(tsType(v, indent))
		sb.WriteByte(',')
		if d := v.Get("default"); d.Exists() {
			sb.WriteString(" // default: ")
			sb.WriteString(d.Raw)
		}
		sb.WriteByte('\n')
		return true
	})
}

func tsType(s gjson.Result, indent string) string {
	if e := s.Get("enum"); e.IsArray() {
		var parts []string
		for _, v := range e.Array() {
			parts = append(parts, v.Raw)
		}
		return strings.Join(parts, " | ")
	}
	if c := s.Get("const"); c.Exists() {
		return c.Raw
	}
	if r := s.Get(`\$ref`); r.Exists() {
		ref := r.String()
		return ref[strings.LastIndexByte(ref, '/')+1:]
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts := s.Get(k); alts.IsArray() {
			var parts []string
			for _, a := range alts.Array() {
				parts = append(parts, tsType(a, indent))
			}
			return strings.Join(parts, " | ")
		}
	}
	t := s.Get("type")
	if t.IsArray() {
		var parts []string
		for _, v := range t.Array() {
			parts = append(parts, tsScalar(v.String(), s, indent))
		}
		return strings.Join(parts, " | ")
	}
	return tsScalar(t.String(), s, indent)
}

func tsScalar(t string, s gjson.Result, indent string) string {
	switch t {
	case "string", "boolean", "null":
		return t
	case "number", "integer":
		return "number"
	case "array":
		if it := s.Get("items"); it.Exists() {
			return tsType(it, indent) + "[]"
		}
		return "any[]"
	case "object", "":
		if !s.Get("properties").IsObject() {
			if t == "" {
				return "any"
			}
			return "object"
		}
		var sb strings.Builder
		sb.WriteString("{\n")
		tsProps(&sb, s, indent+"  ")
		sb.WriteString(indent)
		sb.WriteString("}")
		return sb.String()
	}
	return "any"
}

func comment(sb *strings.Builder, text, indent string) {
	if text == "" {
		return
	}
	for line := range strings.SplitSeq(text, "\n") {
		sb.WriteString(indent)
		sb.WriteString("// ")
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
}
