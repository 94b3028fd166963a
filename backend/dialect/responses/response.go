package responses

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// respMeta is what a response object echoes besides its output: its identity
// and the request settings the official SDKs expect to find in it.
type respMeta struct {
	id          string
	created     int64
	model       string
	maxOutput   int
	temperature float64
	topP        float64
	parallel    bool
	toolChoice  string // JSON
	format      []byte // JSON, compact (it travels inside SSE data lines)
	effort      string
	summary     string
	cacheKey    string
}

func defaultMeta(id, model string, created int64) respMeta {
	if created == 0 {
		created = nowUnix()
	}
	return respMeta{id: responseID(id), created: created, model: model, temperature: 1, topP: 1,
		parallel: true, toolChoice: `"auto"`, format: []byte(`{"type":"text"}`)}
}

// metaFromRequest echoes the client's settings the way OpenAI does.
func metaFromRequest(req *ir.Request, tx toolIndex) respMeta {
	m := defaultMeta("", req.Model, 0)
	m.maxOutput = req.MaxTokens
	if req.Temperature != nil {
		m.temperature = *req.Temperature
	}
	if req.TopP != nil {
		m.topP = *req.TopP
	}
	if req.ParallelToolCalls != nil {
		m.parallel = *req.ParallelToolCalls
	}
	if req.ToolChoice != nil {
		m.toolChoice = string(appendToolChoice(nil, req.ToolChoice, tx))
	}
	if rf := req.ResponseFormat; rf != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, appendFormat(nil, rf)) == nil {
			m.format = buf.Bytes()
		}
	}
	if r := req.Reasoning; r != nil {
		m.effort, m.summary = reasoningEffort(r), r.Summary
	}
	m.cacheKey = req.PromptCacheKey
	return m
}

// responseID keeps an upstream id recognisable while giving it the resp_
// prefix clients expect.
func responseID(id string) string {
	switch {
	case id == "":
		return newID(prefixResponse)
	case strings.HasPrefix(id, prefixResponse):
		return id
	}
	return prefixResponse + id
}

// respEnd is how a response ended, for the response object's status fields.
type respEnd struct {
	status     string // in_progress, completed, incomplete, failed
	incomplete string // incomplete_details.reason
	errCode    string
	errMsg     string
}

func endFor(stop ir.StopReason) respEnd {
	switch stop {
	case ir.StopMaxTokens:
		return respEnd{status: "incomplete", incomplete: "max_output_tokens"}
	case ir.StopContentFilter:
		return respEnd{status: "incomplete", incomplete: "content_filter"}
	}
	return respEnd{status: "completed"}
}

// appendResponseObject appends a full response object. output is the items'
// JSON, comma-separated; usage nil renders null.
func appendResponseObject(b []byte, m *respMeta, end respEnd, output []byte, usage *ir.Usage) []byte {
	b = append(b, '{')
	b = appendStringField(b, "id", m.id)
	b = append(b, `,"object":"response"`...)
	b = appendIntField(b, "created_at", m.created)
	b = appendStringField(b, "status", end.status)
	b = append(b, `,"background":false,"error":`...)
	if end.errCode != "" || end.errMsg != "" {
		b = append(b, `{"code":`...)
		b = appendString(b, end.errCode)
		b = appendStringField(b, "message", end.errMsg)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if end.incomplete != "" {
		b = append(b, `{"reason":`...)
		b = appendString(b, end.incomplete)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"instructions":null`...)
	if m.maxOutput > 0 {
		b = appendIntField(b, "max_output_tokens", int64(m.maxOutput))
	} else {
		b = append(b, `,"max_output_tokens":null`...)
	}
	b = appendStringField(b, "model", m.model)
	b = append(b, `,"output":[`...)
	b = append(b, output...)
	b = append(b, ']')
	b = appendBoolField(b, "parallel_tool_calls", m.parallel)
	b = append(b, `,"previous_response_id":null,"reasoning":{"effort":`...)
	b = appendNullableString(b, m.effort)
	b = append(b, `,"summary":`...)
	b = appendNullableString(b, m.summary)
	b = append(b, `},"store":false`...)
	b = appendFloat(appendKey(b, "temperature"), m.temperature)
	b = append(b, `,"text":{"format":`...)
	b = append(b, m.format...)
	b = append(b, `},"tool_choice":`...)
	b = append(b, m.toolChoice...)
	b = append(b, `,"tools":[]`...)
	b = appendFloat(appendKey(b, "top_p"), m.topP)
	b = append(b, `,"truncation":"disabled","usage":`...)
	if usage != nil {
		b = appendUsage(b, usage)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"user":null,"metadata":{}`...)
	if m.cacheKey != "" {
		b = appendStringField(b, "prompt_cache_key", m.cacheKey)
	}
	return append(b, '}')
}

func appendNullableString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendUsage renders hub usage; both conventions (cached inside input,
// reasoning inside output) are OpenAI's own, so the numbers map 1:1.
func appendUsage(b []byte, u *ir.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv10(b, u.InputTokens)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = strconv10(b, u.CachedTokens)
	b = append(b, `},"output_tokens":`...)
	b = strconv10(b, u.OutputTokens)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = strconv10(b, u.ReasoningTokens)
	b = append(b, `},"total_tokens":`...)
	b = strconv10(b, u.InputTokens+u.OutputTokens)
	return append(b, '}')
}

func decodeUsage(u gjson.Result) ir.Usage {
	return ir.Usage{
		InputTokens:     int(u.Get("input_tokens").Int()),
		OutputTokens:    int(u.Get("output_tokens").Int()),
		CachedTokens:    int(u.Get("input_tokens_details.cached_tokens").Int()),
		ReasoningTokens: int(u.Get("output_tokens_details.reasoning_tokens").Int()),
	}
}

// EncodeResponse renders a complete hub response as a Responses object.
// With no request at hand, a custom tool call is recognised by its ctc_ id
// and a namespaced call by the dot in its name.
func (codec) EncodeResponse(resp *ir.Response) ([]byte, error) {
	m := defaultMeta(resp.ID, resp.Model, resp.Created)
	var out []byte
	blocks := resp.Content
	for i := 0; i < len(blocks); {
		blk := &blocks[i]
		switch blk.Type {
		case ir.BlockText:
			j := i
			for j < len(blocks) && blocks[j].Type == ir.BlockText {
				j++
			}
			out = appendMessageItem(sep(out), itemID(blk.ID, prefixMessage), blocks[i:j])
			i = j
			continue
		case ir.BlockThinking, ir.BlockRedactedThinking:
			out = appendReasoningItem(sep(out), itemID(blk.ID, prefixReasoning), blk.Text, wrapSignature(blk))
		case ir.BlockToolUse:
			out = appendCallItem(sep(out), blk, toolIndex{}, true)
		}
		i++
	}
	u := resp.Usage
	return appendResponseObject(nil, &m, endFor(resp.StopReason), out, &u), nil
}

// sep appends the comma between two array elements.
func sep(b []byte) []byte {
	if len(b) > 0 {
		return append(b, ',')
	}
	return b
}

// itemID keeps an id that already has the item kind's prefix, else makes one.
func itemID(id, prefix string) string {
	if strings.HasPrefix(id, prefix) {
		return id
	}
	return newID(prefix)
}

// appendMessageItem appends a completed assistant message with one
// output_text part per text block.
func appendMessageItem(b []byte, id string, blocks []ir.Block) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"message","status":"completed","role":"assistant","content":[`...)
	for i := range blocks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOutputText(b, blocks[i].Text)
	}
	return append(b, ']', '}')
}

func appendOutputText(b []byte, text string) []byte {
	b = append(b, `{"type":"output_text","text":`...)
	b = appendString(b, text)
	return append(b, `,"annotations":[],"logprobs":[]}`...)
}

func appendReasoningItem(b []byte, id, text, encrypted string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"reasoning"`...)
	b = appendSummary(b, text)
	if encrypted != "" {
		b = appendStringField(b, "encrypted_content", encrypted)
	}
	return append(b, '}')
}

// appendCallItem appends a completed function_call or custom_tool_call.
func appendCallItem(b []byte, blk *ir.Block, tx toolIndex, anyDot bool) []byte {
	callID := blk.ToolCallID
	if callID == "" {
		callID = newID(prefixCall)
	}
	if tx.isCustomCall(blk) {
		return appendCustomItem(b, itemID(blk.ID, prefixCustom), "completed", callID, blk.ToolName, customText(blk.Input))
	}
	ns, name := tx.splitName(blk.ToolName, anyDot)
	return appendFunctionItem(b, itemID(blk.ID, prefixFunction), "completed", callID, name, ns, argsString(blk.Input))
}

func appendFunctionItem(b []byte, id, status, callID, name, ns, args string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"function_call"`...)
	b = appendStringField(b, "status", status)
	b = appendStringField(b, "arguments", args)
	b = appendStringField(b, "call_id", callID)
	b = appendStringField(b, "name", name)
	if ns != "" {
		b = appendStringField(b, "namespace", ns)
	}
	return append(b, '}')
}

func appendCustomItem(b []byte, id, status, callID, name, input string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"custom_tool_call"`...)
	b = appendStringField(b, "status", status)
	b = appendStringField(b, "call_id", callID)
	b = appendStringField(b, "name", name)
	b = appendStringField(b, "input", input)
	return append(b, '}')
}

// DecodeResponse reads a Responses upstream's JSON answer. A failed
// response (or an error body) becomes a classified *ir.Error.
func (codec) DecodeResponse(body []byte) (*ir.Response, error) {
	if !jsonscan.Valid(body) {
		return nil, ir.Errorf(ir.KindUpstream5xx, "upstream response is not valid JSON")
	}
	root := gjson.Parse(string(body))
	if e := root.Get("error"); e.IsObject() {
		return nil, classifyError(e.Get("code").String(), e.Get("type").Str, e.Get("message").Str)
	}
	if !root.IsObject() {
		return nil, ir.Errorf(ir.KindUpstream5xx, "upstream response is not a JSON object")
	}
	resp := &ir.Response{ID: root.Get("id").Str, Model: root.Get("model").Str,
		Created: root.Get("created_at").Int(), Usage: decodeUsage(root.Get("usage"))}
	root.Get("output").ForEach(func(_, it gjson.Result) bool {
		f := readItem(nil, it)
		resp.Content = appendOutputItem(resp.Content, &f)
		return true
	})
	resp.StopReason = stopReason(root.Get("status").Str, root.Get("incomplete_details.reason").Str,
		hasToolUse(resp.Content))
	return resp, nil
}

// appendOutputItem adds the blocks of one output item; hosted tool calls
// (web_search_call…) ran upstream and leave nothing for the client to do.
func appendOutputItem(dst []ir.Block, f *itemFields) []ir.Block {
	switch f.typ {
	case "message":
		return append(dst, decodeContent(nil, f.content, f.id)...)
	case "function_call", "custom_tool_call":
		return append(dst, callBlock(f))
	case "reasoning":
		if b, ok := decodeReasoningItem(nil, f, false); ok {
			return append(dst, b)
		}
	}
	return dst
}

func hasToolUse(blocks []ir.Block) bool {
	for i := range blocks {
		if blocks[i].Type == ir.BlockToolUse {
			return true
		}
	}
	return false
}

// stopReason maps a response's status. An incomplete response wins over a
// tool call: the call's arguments were probably cut off.
func stopReason(status, incomplete string, toolUse bool) ir.StopReason {
	if status == "incomplete" {
		switch incomplete {
		case "content_filter":
			return ir.StopContentFilter
		default:
			return ir.StopMaxTokens
		}
	}
	if toolUse {
		return ir.StopToolUse
	}
	return ir.StopEndTurn
}

// DecodeUsage maps a Responses usage object to the hub's convention (the
// gateway reads pass-through answers with it).
func DecodeUsage(u gjson.Result) ir.Usage {
	if !u.IsObject() {
		return ir.Usage{}
	}
	return decodeUsage(u)
}
