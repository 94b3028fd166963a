package integration

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// turn is what a scripted upstream answers.
type turn int

const (
	turnPlain turn = iota // text
	turnTool              // a get_weather call
	turnFinal             // the answer after the tool result
)

func (t turn) String() string { return [...]string{"plain", "tool", "final"}[t] }

// classify reads a request in dialect d and picks the turn to play.
func classify(d string, req map[string]any) turn {
	switch d {
	case dOpenAI:
		for _, m := range arr(req["messages"]) {
			if str(obj(m)["role"]) == "tool" {
				return turnFinal
			}
		}
		if hasTool(arr(req["tools"]), func(t map[string]any) string { return str(obj(t["function"])["name"]) }) {
			return turnTool
		}
	case dResponses:
		for _, it := range arr(req["input"]) {
			if str(obj(it)["type"]) == "function_call_output" {
				return turnFinal
			}
		}
		if hasTool(arr(req["tools"]), func(t map[string]any) string { return str(t["name"]) }) {
			return turnTool
		}
	case dAnthropic:
		for _, m := range arr(req["messages"]) {
			for _, b := range arr(obj(m)["content"]) {
				if str(obj(b)["type"]) == "tool_result" {
					return turnFinal
				}
			}
		}
		if hasTool(arr(req["tools"]), func(t map[string]any) string { return str(t["name"]) }) {
			return turnTool
		}
	case dGemini:
		for _, c := range arr(req["contents"]) {
			for _, p := range arr(obj(c)["parts"]) {
				if obj(p)["functionResponse"] != nil {
					return turnFinal
				}
			}
		}
		for _, t := range arr(req["tools"]) {
			if hasTool(arr(obj(t)["functionDeclarations"]), func(f map[string]any) string { return str(f["name"]) }) {
				return turnTool
			}
		}
	}
	return turnPlain
}

func hasTool(tools []any, name func(map[string]any) string) bool {
	for _, t := range tools {
		if name(obj(t)) == toolName {
			return true
		}
	}
	return false
}

// textParts is what the upstream says on a text turn.
func textParts(d string, t turn) []string {
	if t == turnFinal {
		return finalParts()
	}
	return helloParts(d)
}

// Tool arguments streamed in two fragments, as vendors do.
var argParts = []string{`{"city":`, `"Paris"}`}

// buildJSON is the non-streamed answer of dialect d.
func buildJSON(d string, t turn, model string) string {
	text := strings.Join(textParts(d, t), "")
	id := upstreamCallID[d]
	switch d {
	case dOpenAI:
		msg := fmt.Sprintf(`{"role":"assistant","content":%s,"refusal":null}`, q(text))
		finish := "stop"
		if t == turnTool {
			msg = fmt.Sprintf(`{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":%q,"type":"function","function":{"name":%q,"arguments":%s}}]}`,
				id, toolName, q(strings.Join(argParts, "")))
			finish = "tool_calls"
		}
		return fmt.Sprintf(`{"id":"chatcmpl-up-1","object":"chat.completion","created":1767225600,"model":%q,"choices":[{"index":0,"message":%s,"logprobs":null,"finish_reason":%q}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_up"}`,
			model, msg, finish, usageIn, usageOut, usageIn+usageOut)
	case dAnthropic:
		content := fmt.Sprintf(`[{"type":"text","text":%s}]`, q(text))
		stop := "end_turn"
		if t == turnTool {
			content = fmt.Sprintf(`[{"type":"tool_use","id":%q,"name":%q,"input":{"city":"Paris"}}]`, id, toolName)
			stop = "tool_use"
		}
		return fmt.Sprintf(`{"id":"msg_up_1","type":"message","role":"assistant","model":%q,"content":%s,"stop_reason":%q,"stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":%d}}`,
			model, content, stop, usageIn, usageOut)
	case dResponses:
		return responsesObject(t, model, text, "completed")
	case dGemini:
		return geminiChunk(geminiFinalParts(t, text), "STOP", true, model)
	}
	panic("unknown dialect " + d)
}

func geminiFinalParts(t turn, text string) string {
	if t == turnTool {
		return fmt.Sprintf(`[{"functionCall":{"id":%q,"name":%q,"args":{"city":"Paris"}}}]`, upstreamCallID[dGemini], toolName)
	}
	return fmt.Sprintf(`[{"text":%s}]`, q(text))
}

func geminiChunk(parts, finish string, final bool, model string) string {
	fr := ""
	if finish != "" {
		fr = fmt.Sprintf(`,"finishReason":%q`, finish)
	}
	usage := fmt.Sprintf(`{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d}`, usageIn, 2, usageIn+2)
	if final {
		usage = fmt.Sprintf(`{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d}`, usageIn, usageOut, usageIn+usageOut)
	}
	return fmt.Sprintf(`{"candidates":[{"content":{"parts":%s,"role":"model"}%s,"index":0}],"usageMetadata":%s,"modelVersion":%q,"responseId":"gm-up-1"}`,
		parts, fr, usage, model)
}

// responsesItem is the finished output item of a Responses turn.
func responsesItem(t turn, text string) string {
	if t == turnTool {
		return fmt.Sprintf(`{"id":"fc_up_1","type":"function_call","status":"completed","arguments":%s,"call_id":%q,"name":%q}`,
			q(strings.Join(argParts, "")), upstreamCallID[dResponses], toolName)
	}
	return fmt.Sprintf(`{"id":"msg_up_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":%s,"annotations":[],"logprobs":[]}]}`, q(text))
}

func responsesObject(t turn, model, text, status string) string {
	output, usage := "[]", "null"
	if status == "completed" {
		output = "[" + responsesItem(t, text) + "]"
		usage = fmt.Sprintf(`{"input_tokens":%d,"input_tokens_details":{"cached_tokens":0},"output_tokens":%d,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":%d}`,
			usageIn, usageOut, usageIn+usageOut)
	}
	return fmt.Sprintf(`{"id":"resp_up_1","object":"response","created_at":1767225600,"status":%q,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":%q,"output":%s,"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1,"truncation":"disabled","usage":%s,"metadata":{}}`,
		status, model, output, usage)
}

// buildStream is the SSE answer of dialect d, following each vendor's
// documented event sequence.
func buildStream(d string, t turn, model string) []sseEvent {
	parts := textParts(d, t)
	text := strings.Join(parts, "")
	id := upstreamCallID[d]
	var evs []sseEvent
	add := func(name, data string, content bool) {
		evs = append(evs, sseEvent{name: name, data: data, content: content})
	}
	switch d {
	case dOpenAI:
		chunk := func(delta, finish string) string {
			f := "null"
			if finish != "" {
				f = q(finish)
			}
			return fmt.Sprintf(`{"id":"chatcmpl-up-1","object":"chat.completion.chunk","created":1767225600,"model":%q,"system_fingerprint":"fp_up","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`, model, delta, f)
		}
		if t == turnTool {
			add("", chunk(fmt.Sprintf(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":%q,"type":"function","function":{"name":%q,"arguments":""}}]}`, id, toolName), ""), false)
			for _, a := range argParts {
				add("", chunk(fmt.Sprintf(`{"tool_calls":[{"index":0,"function":{"arguments":%s}}]}`, q(a)), ""), true)
			}
			add("", chunk(`{}`, "tool_calls"), false)
		} else {
			add("", chunk(`{"role":"assistant","content":"","refusal":null}`, ""), false)
			for _, p := range parts {
				add("", chunk(fmt.Sprintf(`{"content":%s}`, q(p)), ""), true)
			}
			add("", chunk(`{}`, "stop"), false)
		}
		add("", fmt.Sprintf(`{"id":"chatcmpl-up-1","object":"chat.completion.chunk","created":1767225600,"model":%q,"system_fingerprint":"fp_up","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
			model, usageIn, usageOut, usageIn+usageOut), false)
		add("", "[DONE]", false)
	case dAnthropic:
		add("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_up_1","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`, model, usageIn), false)
		stop := "end_turn"
		if t == turnTool {
			add("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":%q,"name":%q,"input":{}}}`, id, toolName), false)
			add("ping", `{"type": "ping"}`, false)
			add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}`, false)
			for _, a := range argParts {
				add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":%s}}`, q(a)), true)
			}
			stop = "tool_use"
		} else {
			add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`, false)
			add("ping", `{"type": "ping"}`, false)
			for _, p := range parts {
				add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%s}}`, q(p)), true)
			}
		}
		add("content_block_stop", `{"type":"content_block_stop","index":0}`, false)
		add("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, usageOut), false)
		add("message_stop", `{"type":"message_stop"}`, false)
	case dResponses:
		seq := 0
		ev := func(typ, rest string, content bool) {
			add(typ, fmt.Sprintf(`{"type":%q,"sequence_number":%d,%s}`, typ, seq, rest), content)
			seq++
		}
		ev("response.created", `"response":`+responsesObject(t, model, "", "in_progress"), false)
		ev("response.in_progress", `"response":`+responsesObject(t, model, "", "in_progress"), false)
		if t == turnTool {
			ev("response.output_item.added", fmt.Sprintf(`"output_index":0,"item":{"id":"fc_up_1","type":"function_call","status":"in_progress","arguments":"","call_id":%q,"name":%q}`, id, toolName), false)
			for _, a := range argParts {
				ev("response.function_call_arguments.delta", fmt.Sprintf(`"item_id":"fc_up_1","output_index":0,"delta":%s`, q(a)), true)
			}
			ev("response.function_call_arguments.done", fmt.Sprintf(`"item_id":"fc_up_1","output_index":0,"name":%q,"arguments":%s`, toolName, q(strings.Join(argParts, ""))), false)
		} else {
			ev("response.output_item.added", `"output_index":0,"item":{"id":"msg_up_1","type":"message","status":"in_progress","role":"assistant","content":[]}`, false)
			ev("response.content_part.added", `"item_id":"msg_up_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`, false)
			for _, p := range parts {
				ev("response.output_text.delta", fmt.Sprintf(`"item_id":"msg_up_1","output_index":0,"content_index":0,"delta":%s,"logprobs":[]`, q(p)), true)
			}
			ev("response.output_text.done", fmt.Sprintf(`"item_id":"msg_up_1","output_index":0,"content_index":0,"text":%s,"logprobs":[]`, q(text)), false)
			ev("response.content_part.done", fmt.Sprintf(`"item_id":"msg_up_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":%s,"annotations":[],"logprobs":[]}`, q(text)), false)
		}
		ev("response.output_item.done", `"output_index":0,"item":`+responsesItem(t, text), false)
		ev("response.completed", `"response":`+responsesObject(t, model, text, "completed"), false)
	case dGemini:
		if t == turnTool {
			add("", geminiChunk(geminiFinalParts(t, ""), "STOP", true, model), true)
		} else {
			for i, p := range parts {
				finish := ""
				if i == len(parts)-1 {
					finish = "STOP"
				}
				add("", geminiChunk(fmt.Sprintf(`[{"text":%s}]`, q(p)), finish, finish != "", model), true)
			}
		}
	}
	return evs
}

// toolPairing finds, in an upstream request of dialect d, the get_weather
// call and its result, checks they pair up in that dialect's terms, and
// returns the call id (Gemini may carry none).
func toolPairing(d string, req map[string]any) (string, error) {
	switch d {
	case dOpenAI:
		callID := ""
		for _, m := range arr(req["messages"]) {
			mm := obj(m)
			switch str(mm["role"]) {
			case "assistant":
				for _, tc := range arr(mm["tool_calls"]) {
					f := obj(obj(tc)["function"])
					if str(f["name"]) == toolName {
						if err := sameJSON(str(f["arguments"]), `{"city":"Paris"}`); err != nil {
							return "", fmt.Errorf("assistant tool_call arguments: %w", err)
						}
						callID = str(obj(tc)["id"])
					}
				}
			case "tool":
				if callID == "" {
					return "", fmt.Errorf("tool message before any assistant tool_call")
				}
				if got := str(mm["tool_call_id"]); got != callID {
					return "", fmt.Errorf("tool message tool_call_id %q, the assistant's call was %q", got, callID)
				}
				if !strings.Contains(textOf(mm["content"]), toolResult) {
					return "", fmt.Errorf("tool message content %v lacks %q", mm["content"], toolResult)
				}
				return callID, nil
			}
		}
	case dAnthropic:
		callID := ""
		for _, m := range arr(req["messages"]) {
			for _, b := range arr(obj(m)["content"]) {
				bb := obj(b)
				switch str(bb["type"]) {
				case "tool_use":
					if str(obj(m)["role"]) != "assistant" || str(bb["name"]) != toolName || str(obj(bb["input"])["city"]) != "Paris" {
						return "", fmt.Errorf("unexpected tool_use block %v in %s turn", bb, obj(m)["role"])
					}
					callID = str(bb["id"])
				case "tool_result":
					if str(obj(m)["role"]) != "user" {
						return "", fmt.Errorf("tool_result in a %v turn", obj(m)["role"])
					}
					if got := str(bb["tool_use_id"]); got != callID || got == "" {
						return "", fmt.Errorf("tool_result tool_use_id %q, the tool_use id was %q", got, callID)
					}
					if !strings.Contains(textOf(bb["content"]), toolResult) {
						return "", fmt.Errorf("tool_result content %v lacks %q", bb["content"], toolResult)
					}
					return callID, nil
				}
			}
		}
	case dResponses:
		callID := ""
		for _, it := range arr(req["input"]) {
			ii := obj(it)
			switch str(ii["type"]) {
			case "function_call":
				if str(ii["name"]) != toolName {
					return "", fmt.Errorf("function_call item %v", ii)
				}
				if err := sameJSON(str(ii["arguments"]), `{"city":"Paris"}`); err != nil {
					return "", fmt.Errorf("function_call arguments: %w", err)
				}
				callID = str(ii["call_id"])
			case "function_call_output":
				if got := str(ii["call_id"]); got != callID || got == "" {
					return "", fmt.Errorf("function_call_output call_id %q, the function_call's was %q", got, callID)
				}
				if !strings.Contains(textOf(ii["output"]), toolResult) {
					return "", fmt.Errorf("function_call_output %v lacks %q", ii["output"], toolResult)
				}
				return callID, nil
			}
		}
	case dGemini:
		var call map[string]any
		for _, c := range arr(req["contents"]) {
			cc := obj(c)
			for _, p := range arr(cc["parts"]) {
				pp := obj(p)
				if fc := obj(pp["functionCall"]); fc != nil {
					if str(cc["role"]) != "model" || str(fc["name"]) != toolName || str(obj(fc["args"])["city"]) != "Paris" {
						return "", fmt.Errorf("unexpected functionCall %v in %v turn", fc, cc["role"])
					}
					call = fc
				}
				if fr := obj(pp["functionResponse"]); fr != nil {
					if call == nil {
						return "", fmt.Errorf("functionResponse without a preceding functionCall")
					}
					if str(cc["role"]) != "user" && str(cc["role"]) != "function" {
						return "", fmt.Errorf("functionResponse in a %v turn", cc["role"])
					}
					if str(fr["name"]) != toolName {
						return "", fmt.Errorf("functionResponse name %q, want %q", fr["name"], toolName)
					}
					cid, rid := str(call["id"]), str(fr["id"])
					if cid != "" && rid != "" && cid != rid {
						return "", fmt.Errorf("functionResponse id %q, the functionCall's was %q", rid, cid)
					}
					b, _ := json.Marshal(fr["response"])
					if !strings.Contains(string(b), toolResult) {
						return "", fmt.Errorf("functionResponse.response %s lacks %q", b, toolResult)
					}
					if rid != "" {
						return rid, nil
					}
					return cid, nil
				}
			}
		}
	}
	return "", fmt.Errorf("no tool call/result pair in the %s request", d)
}

// --- small JSON helpers ---

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func arr(v any) []any { a, _ := v.([]any); return a }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(v any) string { s, _ := v.(string); return s }

func num(v any) float64 { f, _ := v.(float64); return f }

// textOf flattens a string or an array of text parts/blocks.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, p := range x {
			if s, ok := p.(string); ok {
				b.WriteString(s)
				continue
			}
			pp := obj(p)
			b.WriteString(str(pp["text"]))
			b.WriteString(textOf(pp["content"]))
			b.WriteString(str(pp["output"]))
		}
		return b.String()
	}
	return ""
}

func sameJSON(got, want string) error {
	var a, b any
	if err := json.Unmarshal([]byte(got), &a); err != nil {
		return fmt.Errorf("%q is not JSON: %v", got, err)
	}
	_ = json.Unmarshal([]byte(want), &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		return fmt.Errorf("got %s, want %s", ja, jb)
	}
	return nil
}

func float32Base64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}
