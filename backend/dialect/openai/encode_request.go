package openai

import (
	"strings"

	"switchboard/backend/ir"
)

// EncodeRequestWith builds the body for an OpenAI-compatible upstream.
//
// Choices made for the widest compatibility, documented here once:
//   - max_tokens, not max_completion_tokens, unless opt says otherwise.
//   - stream_options.include_usage is always set when streaming: the
//     gateway needs usage even when the client did not ask for it.
//   - top_k is dropped (OpenAI rejects unknown parameters).
//   - tools that are not functions (hosted web_search, namespaces…) are
//     dropped: Chat Completions cannot run them. When no tool remains,
//     tool_choice and parallel_tool_calls go too (OpenAI rejects them
//     without tools).
//   - reasoning: an explicit effort passes through; a budget maps to an
//     effort (<=1024 low, <=8192 medium, else high); adaptive and dynamic
//     budgets map to medium; "disabled" without an effort is omitted, since
//     only the newest OpenAI models accept "none" and older ones reject it.
func EncodeRequestWith(req *ir.Request, opt RequestOptions) ([]byte, error) {
	if req == nil {
		return nil, ir.Errorf(ir.KindInternal, "openai: nil request")
	}
	b := req.EncodeBuffer()
	b = appendStringField(append(b, '{'), "model", req.Model)
	b = append(appendKey(b, "messages"), '[')
	b = appendMessages(b, req, opt)
	b = append(b, ']')
	b = appendSampling(b, req, opt)
	b = appendTools(b, req)
	b = appendResponseFormat(b, req.ResponseFormat)
	if e := reasoningEffort(req.Reasoning); e != "" {
		b = appendStringField(b, "reasoning_effort", e)
	}
	if req.User != "" {
		b = appendStringField(b, "user", req.User)
	}
	if req.PromptCacheKey != "" {
		b = appendStringField(b, "prompt_cache_key", req.PromptCacheKey)
	}
	if req.Stream {
		b = appendBoolField(b, "stream", true)
		b = append(appendKey(b, "stream_options"), `{"include_usage":true}`...)
	}
	return append(b, '}'), nil
}

func appendSampling(b []byte, req *ir.Request, opt RequestOptions) []byte {
	if req.MaxTokens > 0 {
		key := "max_tokens"
		if opt.MaxCompletionTokens {
			key = "max_completion_tokens"
		}
		b = appendIntField(b, key, int64(req.MaxTokens))
	}
	if req.Temperature != nil {
		b = appendFloat(appendKey(b, "temperature"), *req.Temperature, 64)
	}
	if req.TopP != nil {
		b = appendFloat(appendKey(b, "top_p"), *req.TopP, 64)
	}
	if len(req.Stop) > 0 {
		b = append(appendKey(b, "stop"), '[')
		for i, s := range req.Stop {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	if req.Seed != nil {
		b = appendIntField(b, "seed", *req.Seed)
	}
	return b
}

func appendTools(b []byte, req *ir.Request) []byte {
	n := 0
	for i := range req.Tools {
		t := &req.Tools[i]
		if t.Kind != ir.ToolKindFunction {
			continue
		}
		if n == 0 {
			b = append(appendKey(b, "tools"), '[')
		} else {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"type":"function","function":{`...)
		b = appendStringField(b, "name", t.Name)
		if t.Description != "" {
			b = appendStringField(b, "description", t.Description)
		}
		b = appendRaw(appendKey(b, "parameters"), t.Parameters, `{"type":"object","properties":{}}`)
		if t.Strict {
			b = appendBoolField(b, "strict", true)
		}
		b = append(b, '}', '}')
	}
	if n == 0 {
		return b
	}
	b = append(b, ']')
	if tc := req.ToolChoice; tc != nil {
		b = appendKey(b, "tool_choice")
		if tc.Mode == "tool" {
			b = append(b, `{"type":"function","function":{"name":`...)
			b = append(appendString(b, tc.Name), '}', '}')
		} else {
			b = appendString(b, tc.Mode)
		}
	}
	if req.ParallelToolCalls != nil {
		b = appendBoolField(b, "parallel_tool_calls", *req.ParallelToolCalls)
	}
	return b
}

func appendResponseFormat(b []byte, rf *ir.ResponseFormat) []byte {
	if rf == nil || rf.Type == "" {
		return b
	}
	b = append(appendKey(b, "response_format"), '{')
	b = appendStringField(b, "type", rf.Type)
	if rf.Type == "json_schema" {
		name := rf.Name
		if name == "" {
			name = "response" // OpenAI requires a name
		}
		b = append(appendKey(b, "json_schema"), '{')
		b = appendStringField(b, "name", name)
		b = appendRaw(appendKey(b, "schema"), rf.Schema, `{"type":"object"}`)
		if rf.Strict {
			b = appendBoolField(b, "strict", true)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// reasoningEffort maps the hub's reasoning request to reasoning_effort.
func reasoningEffort(r *ir.Reasoning) string {
	switch {
	case r == nil:
		return ""
	case r.Effort != "":
		return r.Effort
	case r.Disabled:
		return ""
	case r.Adaptive || r.BudgetTokens < 0:
		return "medium"
	case r.BudgetTokens == 0:
		return ""
	case r.BudgetTokens <= 1024:
		return "low"
	case r.BudgetTokens <= 8192:
		return "medium"
	}
	return "high"
}

// hasText reports whether a block of type typ has text (joinText would
// not be empty).
func hasText(blocks []ir.Block, typ ir.BlockType) bool {
	for i := range blocks {
		if blocks[i].Type == typ && blocks[i].Text != "" {
			return true
		}
	}
	return false
}

// joinText concatenates the text blocks of blocks with sep.
func joinText(blocks []ir.Block, typ ir.BlockType, sep string) string {
	first, n, size := -1, 0, 0
	for i := range blocks {
		if blocks[i].Type == typ && blocks[i].Text != "" {
			if first < 0 {
				first = i
			}
			n++
			size += len(blocks[i].Text) + len(sep)
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return blocks[first].Text // the common case: no copy
	}
	var sb strings.Builder
	sb.Grow(size)
	for i := range blocks {
		if blocks[i].Type == typ && blocks[i].Text != "" {
			if sb.Len() > 0 {
				sb.WriteString(sep)
			}
			sb.WriteString(blocks[i].Text)
		}
	}
	return sb.String()
}
