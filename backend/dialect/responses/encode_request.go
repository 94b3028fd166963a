package responses

import (
	"strings"

	"switchboard/backend/ir"
)

// minOutputTokens is the smallest max_output_tokens OpenAI accepts; smaller
// values (token-count probes send 1) are raised rather than refused.
const minOutputTokens = 16

// maxUserLen bounds the end-user id forwarded as "user": OpenAI refuses ids
// over 64 characters, and Anthropic clients send much longer metadata ids.
const maxUserLen = 64

// EncodeRequest renders a hub request as a Responses upstream body.
func (codec) EncodeRequest(req *ir.Request) ([]byte, error) {
	tx := newToolIndex(req.Tools)
	b := req.EncodeBuffer()
	b = append(b, '{')
	b = appendStringField(b, "model", req.Model)
	if instr := systemText(req.System); instr != "" {
		b = appendStringField(b, "instructions", instr)
	}
	b = appendKey(b, "input")
	b = append(b, '[')
	enc := itemEncoder{tx: tx}
	b = enc.developerItems(b, req.System)
	for i := range req.Messages {
		b = enc.message(b, &req.Messages[i])
	}
	b = append(b, ']')
	b = appendToolsField(b, req, tx)
	if req.MaxTokens > 0 {
		b = appendIntField(b, "max_output_tokens", int64(max(req.MaxTokens, minOutputTokens)))
	}
	if req.Temperature != nil {
		b = appendFloat(appendKey(b, "temperature"), *req.Temperature)
	}
	if req.TopP != nil {
		b = appendFloat(appendKey(b, "top_p"), *req.TopP)
	}
	b = appendReasoningField(b, req.Reasoning)
	if rf := req.ResponseFormat; rf != nil {
		b = appendKey(b, "text")
		b = append(b, `{"format":`...)
		b = appendFormat(b, rf)
		b = append(b, '}')
	}
	b = appendBoolField(b, "stream", req.Stream)
	b = appendBoolField(b, "store", false)
	if req.PreviousResponseID != "" {
		b = appendStringField(b, "previous_response_id", req.PreviousResponseID)
	}
	if req.PromptCacheKey != "" {
		b = appendStringField(b, "prompt_cache_key", req.PromptCacheKey)
	}
	if req.User != "" && len(req.User) <= maxUserLen {
		b = appendStringField(b, "user", req.User)
	}
	return append(b, '}'), nil
}

// systemText joins the system blocks into instructions. Blocks that came
// from a Responses developer/system input item (they carry its id) are not
// part of it: developerItems gives them back as the items they were, so a
// Codex conversation reaches a Responses upstream with its structure intact.
func systemText(sys []ir.Block) string {
	if len(sys) == 1 && sys[0].ID == "" {
		return sys[0].Text
	}
	var parts []string
	for i := range sys {
		if sys[i].Text != "" && sys[i].ID == "" {
			parts = append(parts, sys[i].Text)
		}
	}
	return strings.Join(parts, "\n\n")
}

// toolIndex answers, per tool name, whether a call must be encoded as a
// custom tool call or carries a namespace.
type toolIndex struct {
	custom     map[string]bool
	namespaces map[string]bool
}

func newToolIndex(tools []ir.Tool) toolIndex {
	var tx toolIndex
	for i := range tools {
		t := &tools[i]
		switch {
		case isCustomTool(t):
			if tx.custom == nil {
				tx.custom = make(map[string]bool)
			}
			tx.custom[t.Name] = true
		case t.Kind == "namespace" && t.Name != "":
			if tx.namespaces == nil {
				tx.namespaces = make(map[string]bool)
			}
			tx.namespaces[t.Name] = true
		}
	}
	return tx
}

// isCustomCall reports whether a tool_use block is a custom tool call: its
// tool is declared custom, or its item id says so.
func (tx toolIndex) isCustomCall(b *ir.Block) bool {
	return tx.custom[b.ToolName] || strings.HasPrefix(b.ID, prefixCustom)
}

// splitName splits a hub tool name "<namespace>.<name>" when the namespace
// is a declared namespace tool (or, with no tool list at hand, when the name
// has a dot at all: OpenAI function names cannot contain one).
func (tx toolIndex) splitName(name string, anyDot bool) (ns, fn string) {
	if i := strings.IndexByte(name, '.'); i > 0 && (anyDot || tx.namespaces[name[:i]]) {
		return name[:i], name[i+1:]
	}
	return "", name
}

func appendToolsField(b []byte, req *ir.Request, tx toolIndex) []byte {
	start := len(b)
	b = appendKey(b, "tools")
	b = append(b, '[')
	open := len(b)
	for i := range req.Tools {
		b = appendTool(b, &req.Tools[i], len(b) > open)
	}
	if len(b) == open { // every tool was dropped: send no tool settings at all
		return b[:start]
	}
	b = append(b, ']')
	if tc := req.ToolChoice; tc != nil {
		b = appendKey(b, "tool_choice")
		b = appendToolChoice(b, tc, tx)
	}
	if req.ParallelToolCalls != nil {
		b = appendBoolField(b, "parallel_tool_calls", *req.ParallelToolCalls)
	}
	return b
}

// appendTool appends one tool definition, or nothing when a Responses
// upstream cannot take it (another vendor's hosted tool).
func appendTool(b []byte, t *ir.Tool, comma bool) []byte {
	switch {
	case isCustomTool(t):
	case t.Kind == ir.ToolKindFunction:
		if comma {
			b = append(b, ',')
		}
		b = append(b, `{"type":"function"`...)
		b = appendStringField(b, "name", t.Name)
		if t.Description != "" {
			b = appendStringField(b, "description", t.Description)
		}
		b = appendRaw(appendKey(b, "parameters"), t.Parameters, `{"type":"object","properties":{}}`)
		// Responses makes functions strict unless told otherwise, and strict
		// mode refuses most real-world schemas: always say which.
		b = appendBoolField(b, "strict", t.Strict)
		return append(b, '}')
	case len(t.Raw) > 0 && responsesToolKinds[t.Kind]:
	default:
		return b
	}
	if comma {
		b = append(b, ',')
	}
	return append(b, t.Raw...)
}

func appendToolChoice(b []byte, tc *ir.ToolChoice, tx toolIndex) []byte {
	switch tc.Mode {
	case "none", "required":
		return appendString(b, tc.Mode)
	case "tool":
		typ := "function"
		if tx.custom[tc.Name] {
			typ = "custom"
		}
		b = append(b, `{"type":`...)
		b = appendString(b, typ)
		b = appendStringField(b, "name", tc.Name)
		return append(b, '}')
	}
	return appendString(b, "auto")
}

// appendReasoningField maps the hub's reasoning request. When reasoning is
// on, the encrypted reasoning is asked for so the next turn can replay it
// statelessly.
func appendReasoningField(b []byte, r *ir.Reasoning) []byte {
	if r == nil {
		return b
	}
	effort := reasoningEffort(r)
	summary := r.Summary
	if summary == "" && r.IncludeThoughts {
		summary = "auto"
	}
	if r.Disabled {
		summary = ""
	}
	if effort == "" && summary == "" {
		return b
	}
	b = appendKey(b, "reasoning")
	b = append(b, '{')
	if effort != "" {
		b = appendStringField(b, "effort", effort)
	}
	if summary != "" {
		b = appendStringField(b, "summary", summary)
	}
	b = append(b, '}')
	if effort != "none" {
		b = append(b, `,"include":["reasoning.encrypted_content"]`...)
	}
	return b
}

// reasoningEffort picks an effort: the client's own, or one derived from a
// thinking budget (Anthropic budget_tokens, Gemini thinkingBudget).
func reasoningEffort(r *ir.Reasoning) string {
	switch {
	case r.Effort != "":
		return r.Effort
	case r.Disabled:
		return "" // model default: "none" is refused by older reasoning models
	case r.BudgetTokens < 0:
		return "medium" // Gemini's "dynamic"
	case r.BudgetTokens == 0:
		return ""
	case r.BudgetTokens <= 2048:
		return "low"
	case r.BudgetTokens <= 12288:
		return "medium"
	}
	return "high"
}

func appendFormat(b []byte, rf *ir.ResponseFormat) []byte {
	switch rf.Type {
	case "json_object":
		return append(b, `{"type":"json_object"}`...)
	case "json_schema":
		b = append(b, `{"type":"json_schema"`...)
		name := rf.Name
		if name == "" {
			name = "response"
		}
		b = appendStringField(b, "name", name)
		b = appendRaw(appendKey(b, "schema"), rf.Schema, `{"type":"object"}`)
		b = appendBoolField(b, "strict", rf.Strict)
		return append(b, '}')
	}
	return append(b, `{"type":"text"}`...)
}
