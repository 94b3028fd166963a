package vendorsim

import "fmt"

// OpenAI Chat has no signatures: this sim only reasons in reasoning_content
// (as DeepSeek-style servers do) when reasoning_effort is set.

func parseChat(raw map[string]any) request {
	req := request{model: str(raw["model"]), raw: raw}
	req.stream, _ = raw["stream"].(bool)
	req.thinking = str(raw["reasoning_effort"]) != ""
	for _, t := range arr(raw["tools"]) {
		f := obj(obj(t)["function"])
		if str(f["name"]) != "" {
			req.tools = append(req.tools, Tool{Name: str(f["name"]), Schema: obj(f["parameters"])})
		}
	}
	msgs := arr(raw["messages"])
	for i := len(msgs) - 1; i >= 0; i-- {
		role := str(obj(msgs[i])["role"])
		if role == "user" {
			break
		}
		if role == "tool" {
			req.results++
		}
	}
	return req
}

func (s *Sim) chatAnswer(a *answer) (string, []event) {
	n := s.next()
	id := fmt.Sprintf("chatcmpl-sim-%d", n)
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = q(finish)
		}
		return fmt.Sprintf(`{"id":%q,"object":"chat.completion.chunk","created":1767225600,"model":%s,"choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`,
			id, q(a.model), delta, f)
	}
	var evs []event
	add := func(d string) { evs = append(evs, event{data: d}) }
	add(chunk(`{"role":"assistant","content":""}`, ""))
	reasoning := ""
	if a.thinking {
		reasoning = fmt.Sprintf(`"reasoning_content":%s,`, q(thought(a)))
		add(chunk(fmt.Sprintf(`{"reasoning_content":%s}`, q(thought(a))), ""))
	}
	var msg, finish string
	if a.call != nil {
		callID, args := fmt.Sprintf("call_sim_%d", n), a.call.argsJSON()
		msg = fmt.Sprintf(`{"role":"assistant",%s"content":null,"tool_calls":[{"id":%q,"type":"function","function":{"name":%s,"arguments":%s}}]}`,
			reasoning, callID, q(a.call.name), q(args))
		add(chunk(fmt.Sprintf(`{"tool_calls":[{"index":0,"id":%q,"type":"function","function":{"name":%s,"arguments":""}}]}`, callID, q(a.call.name)), ""))
		half := len(args) / 2
		for _, part := range []string{args[:half], args[half:]} {
			add(chunk(fmt.Sprintf(`{"tool_calls":[{"index":0,"function":{"arguments":%s}}]}`, q(part)), ""))
		}
		finish = "tool_calls"
	} else {
		msg = fmt.Sprintf(`{"role":"assistant",%s"content":%s}`, reasoning, q(a.text))
		for _, p := range splitWords(a.text) {
			add(chunk(fmt.Sprintf(`{"content":%s}`, q(p)), ""))
		}
		finish = "stop"
	}
	add(chunk(`{}`, finish))
	usage := `{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}`
	add(fmt.Sprintf(`{"id":%q,"object":"chat.completion.chunk","created":1767225600,"model":%s,"choices":[],"usage":%s}`, id, q(a.model), usage))
	add("[DONE]")
	js := fmt.Sprintf(`{"id":%q,"object":"chat.completion","created":1767225600,"model":%s,"choices":[{"index":0,"message":%s,"finish_reason":%q}],"usage":%s}`,
		id, q(a.model), msg, finish, usage)
	return js, evs
}
