package anthropic

import (
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// decodeTools reads custom tools (input_schema) and keeps Anthropic's server
// tools (web_search_20250305, bash_…, text_editor_…) whole in Raw.
func decodeTools(sc *decodeState, v gjson.Result) ([]ir.Tool, error) {
	if v.Type == gjson.Null {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, wrongType("tools", "an array")
	}
	// Walked like the messages (the Walker's spans, not gjson's byte-by-byte
	// parse): Claude Code sends dozens of tools with long schemas.
	var tools []ir.Tool
	var err error
	i := 0
	sc.Each(v, func(_, item gjson.Result) bool {
		var t ir.Tool
		if t, err = decodeTool(sc, item, i); err != nil {
			return false
		}
		tools = append(tools, t)
		i++
		return true
	})
	return tools, err
}

func decodeTool(sc *decodeState, item gjson.Result, i int) (ir.Tool, error) {
	if !item.IsObject() {
		return ir.Tool{}, wrongType("tools."+strconv.Itoa(i), "a tool object")
	}
	var typ, name, desc, schema, strict, cc gjson.Result
	sc.Each(item, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "name":
			name = v
		case "description":
			desc = v
		case "input_schema":
			schema = v
		case "strict":
			strict = v
		case "cache_control":
			cc = v
		}
		return true
	})
	if name.Exists() && name.Type != gjson.String {
		return ir.Tool{}, wrongType("tools."+strconv.Itoa(i)+".name", "a string")
	}
	t := ir.Tool{Name: name.Str, CacheControl: rawObject(cc)}
	if typ.Str == "" || typ.Str == "custom" {
		t.Kind, t.Description, t.Strict = ir.ToolKindFunction, desc.Str, strict.Bool()
		t.Parameters = rawObject(schema)
	} else {
		t.Kind, t.Raw = typ.Str, json.RawMessage(item.Raw)
	}
	return t, nil
}

func decodeToolChoice(req *ir.Request, tc gjson.Result) {
	if !tc.IsObject() {
		return
	}
	switch tc.Get("type").Str {
	case "auto":
		req.ToolChoice = &ir.ToolChoice{Mode: "auto"}
	case "any":
		req.ToolChoice = &ir.ToolChoice{Mode: "required"}
	case "tool":
		req.ToolChoice = &ir.ToolChoice{Mode: "tool", Name: tc.Get("name").Str}
	case "none":
		req.ToolChoice = &ir.ToolChoice{Mode: "none"}
	}
	if tc.Get("disable_parallel_tool_use").Bool() {
		f := false
		req.ParallelToolCalls = &f
	}
}

// decodeReasoning folds thinking and output_config.effort together.
func decodeReasoning(th, oc gjson.Result) *ir.Reasoning {
	var r ir.Reasoning
	if th.IsObject() {
		show := th.Get("display").Str != "omitted"
		switch th.Get("type").Str {
		case "enabled":
			r.BudgetTokens = int(th.Get("budget_tokens").Int())
			r.IncludeThoughts = show
		case "adaptive":
			r.Adaptive, r.IncludeThoughts = true, show
		case "disabled":
			r.Disabled = true
		}
	}
	if oc.IsObject() {
		r.Effort = decodeEffort(oc.Get("effort").Str)
	}
	if r == (ir.Reasoning{}) {
		return nil
	}
	return &r
}

// decodeEffort maps Anthropic's effort levels onto the IR's; "max" is the
// top of the scale, which the IR calls xhigh.
func decodeEffort(e string) string {
	switch e {
	case "low", "medium", "high", "xhigh":
		return e
	case "max":
		return "xhigh"
	}
	return ""
}

func decodeFormat(oc, legacy gjson.Result) *ir.ResponseFormat {
	f := legacy
	if of := oc.Get("format"); oc.IsObject() && of.Exists() {
		f = of
	}
	if !f.IsObject() || f.Get("type").Str != "json_schema" {
		return nil
	}
	schema := rawObject(f.Get("schema"))
	if schema == nil {
		return nil
	}
	return &ir.ResponseFormat{Type: "json_schema", Schema: schema}
}

// serverToolType matches Anthropic's versioned server/client tool types
// (web_search_20250305, text_editor_20250728…). Only those are forwarded to
// an Anthropic upstream: a hosted tool of another vendor ("web_search" from
// the Responses API, "google_search") means nothing there.
var serverToolType = regexp.MustCompile(`^[a-z][a-z0-9_]*_[0-9]{8}$`)

func isAnthropicServerTool(t *ir.Tool) bool {
	return len(t.Raw) > 0 && serverToolType.MatchString(t.Kind)
}
