package vendorsim

import (
	"fmt"
	"strings"
)

func parseAnthropic(raw map[string]any) request {
	req := request{model: str(raw["model"]), raw: raw}
	req.stream, _ = raw["stream"].(bool)
	for _, t := range arr(raw["tools"]) {
		tt := obj(t)
		if str(tt["name"]) != "" && (tt["type"] == nil || str(tt["type"]) == "custom") {
			req.tools = append(req.tools, Tool{Name: str(tt["name"]), Schema: obj(tt["input_schema"])})
		}
	}
	th := str(obj(raw["thinking"])["type"])
	req.thinking = th == "enabled" || th == "adaptive"
	req.results = currentResults(arr(raw["messages"]), func(m map[string]any) (bool, int) {
		if str(m["role"]) != "user" {
			return false, 0
		}
		n := 0
		for _, b := range arr(m["content"]) {
			if str(obj(b)["type"]) == "tool_result" {
				n++
			}
		}
		return true, n
	})
	return req
}

// currentResults counts tool results since the user last spoke: user
// messages without results end the count.
func currentResults(msgs []any, user func(map[string]any) (bool, int)) int {
	n := 0
	for i := len(msgs) - 1; i >= 0; i-- {
		isUser, k := user(obj(msgs[i]))
		if !isUser {
			continue
		}
		if k == 0 {
			break
		}
		n += k
	}
	return n
}

// validateAnthropic enforces the extended-thinking rules of tool loops.
func (s *Sim) validateAnthropic(req request) string {
	msgs := arr(req.raw["messages"])
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range msgs {
		mm := obj(m)
		if str(mm["role"]) != "assistant" {
			continue
		}
		for j, b := range arr(mm["content"]) {
			bb := obj(b)
			if str(bb["type"]) != "thinking" {
				continue
			}
			if sig := str(bb["signature"]); sig != s.sign(Anthropic, str(bb["thinking"])) {
				return fmt.Sprintf("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j)
			}
		}
	}
	if !req.thinking {
		return ""
	}
	// The last assistant message, when it calls tools, must start with
	// thinking, and with the thinking issued for its calls.
	for i := len(msgs) - 1; i >= 0; i-- {
		mm := obj(msgs[i])
		if str(mm["role"]) != "assistant" {
			continue
		}
		content := arr(mm["content"])
		var ids []string
		for _, b := range content {
			if bb := obj(b); str(bb["type"]) == "tool_use" {
				ids = append(ids, str(bb["id"]))
			}
		}
		if len(ids) == 0 {
			return ""
		}
		first := obj(nil)
		if len(content) > 0 {
			first = obj(content[0])
		}
		if t := str(first["type"]); t != "thinking" && t != "redacted_thinking" {
			return fmt.Sprintf("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. "+
				"When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "+
				"lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous "+
				"turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "+
				"https://docs.claude.com/en/docs/build-with-claude/extended-thinking", i, t)
		}
		for _, id := range ids {
			if want, ok := s.antThinking[id]; ok && str(first["signature"]) != want {
				return fmt.Sprintf("messages.%d.content.0: the thinking block is not the one issued with tool_use %s", i, id)
			}
		}
		return ""
	}
	return ""
}

func (s *Sim) anthropicAnswer(a *answer) (string, []event) {
	n := s.next()
	var blocks []string
	var evs []event
	add := func(name, data string) { evs = append(evs, event{name, data}) }
	add("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_sim_%d","type":"message","role":"assistant","model":%s,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":1}}}`, n, q(a.model)))
	idx := 0
	if a.thinking {
		text := thought(a)
		sig := s.sign(Anthropic, text)
		blocks = append(blocks, fmt.Sprintf(`{"type":"thinking","thinking":%s,"signature":%s}`, q(text), q(sig)))
		add("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"thinking","thinking":"","signature":""}}`, idx))
		half := len(text) / 2
		for _, part := range []string{text[:half], text[half:]} {
			add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"thinking_delta","thinking":%s}}`, idx, q(part)))
		}
		add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"signature_delta","signature":%s}}`, idx, q(sig)))
		add("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
		idx++
		if a.call != nil {
			s.mu.Lock()
			s.antThinking[fmt.Sprintf("toolu_sim_%d", n)] = sig
			s.mu.Unlock()
		}
	}
	stop := "end_turn"
	if a.call != nil {
		id := fmt.Sprintf("toolu_sim_%d", n)
		args := a.call.argsJSON()
		blocks = append(blocks, fmt.Sprintf(`{"type":"tool_use","id":%q,"name":%s,"input":%s}`, id, q(a.call.name), args))
		add("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":%q,"name":%s,"input":{}}}`, idx, id, q(a.call.name)))
		half := len(args) / 2
		for _, part := range []string{args[:half], args[half:]} {
			add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%s}}`, idx, q(part)))
		}
		stop = "tool_use"
	} else {
		blocks = append(blocks, fmt.Sprintf(`{"type":"text","text":%s}`, q(a.text)))
		add("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, idx))
		for _, part := range splitWords(a.text) {
			add("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, idx, q(part)))
		}
	}
	add("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, idx))
	add("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":7}}`, stop))
	add("message_stop", `{"type":"message_stop"}`)
	js := fmt.Sprintf(`{"id":"msg_sim_%d","type":"message","role":"assistant","model":%s,"content":[%s],"stop_reason":%q,"stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":7}}`,
		n, q(a.model), strings.Join(blocks, ","), stop)
	return js, evs
}

// splitWords streams text in two pieces (at least one).
func splitWords(text string) []string {
	if i := strings.IndexByte(text, ' '); i > 0 {
		return []string{text[:i+1], text[i+1:]}
	}
	return []string{text}
}
