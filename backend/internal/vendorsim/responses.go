package vendorsim

import (
	"fmt"
	"strings"
)

func parseResponses(raw map[string]any) request {
	req := request{model: str(raw["model"]), raw: raw, thinking: true} // a reasoning model
	req.stream, _ = raw["stream"].(bool)
	for _, t := range arr(raw["tools"]) {
		tt := obj(t)
		if str(tt["type"]) == "function" && str(tt["name"]) != "" {
			req.tools = append(req.tools, Tool{Name: str(tt["name"]), Schema: obj(tt["parameters"])})
		}
	}
	items := arr(raw["input"])
	n := 0
	for i := len(items) - 1; i >= 0; i-- {
		it := obj(items[i])
		typ := str(it["type"])
		if typ == "function_call_output" || typ == "custom_tool_call_output" {
			n++
			continue
		}
		if (typ == "message" || typ == "") && str(it["role"]) == "user" {
			break
		}
	}
	req.results = n
	return req
}

// validateResponses enforces the pairing of function calls with the
// reasoning items issued with them.
func (s *Sim) validateResponses(req request) string {
	seen := map[string]bool{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range arr(req.raw["input"]) {
		ii := obj(it)
		switch str(ii["type"]) {
		case "reasoning":
			enc := str(ii["encrypted_content"])
			if enc != "" && !s.rspEnc[enc] {
				return fmt.Sprintf("The encrypted content for item %s could not be verified.", str(ii["id"]))
			}
			seen[enc] = true
		case "function_call":
			id := str(ii["id"])
			if enc, ok := s.rspReason[id]; ok && !seen[enc] {
				return fmt.Sprintf("Item '%s' of type 'function_call' was provided without its required 'reasoning' item: '%s'.",
					id, strings.Replace(id, "fc_", "rs_", 1))
			}
		}
	}
	return ""
}

func (s *Sim) responsesAnswer(a *answer) (string, []event) {
	n := s.next()
	rsID, enc := fmt.Sprintf("rs_sim_%d", n), "enc_"+s.sign(Responses, fmt.Sprint(n))
	summary := thought(a)
	s.mu.Lock()
	s.rspEnc[enc] = true
	s.mu.Unlock()
	reasoning := func(done bool) string {
		if !done {
			return fmt.Sprintf(`{"id":%q,"type":"reasoning","summary":[]}`, rsID)
		}
		return fmt.Sprintf(`{"id":%q,"type":"reasoning","summary":[{"type":"summary_text","text":%s}],"encrypted_content":%q}`, rsID, q(summary), enc)
	}
	var item, itemAdded string
	var evs []event
	var tail func() // the events after the reasoning item
	seq := 0
	ev := func(typ, rest string) {
		evs = append(evs, event{typ, fmt.Sprintf(`{"type":%q,"sequence_number":%d,%s}`, typ, seq, rest)})
		seq++
	}
	if a.call != nil {
		fcID, callID := fmt.Sprintf("fc_sim_%d", n), fmt.Sprintf("call_sim_%d", n)
		s.mu.Lock()
		s.rspReason[fcID] = enc
		s.mu.Unlock()
		args := a.call.argsJSON()
		item = fmt.Sprintf(`{"id":%q,"type":"function_call","status":"completed","arguments":%s,"call_id":%q,"name":%s}`, fcID, q(args), callID, q(a.call.name))
		itemAdded = fmt.Sprintf(`{"id":%q,"type":"function_call","status":"in_progress","arguments":"","call_id":%q,"name":%s}`, fcID, callID, q(a.call.name))
		tail = func() {
			ev("response.output_item.added", `"output_index":1,"item":`+itemAdded)
			half := len(args) / 2
			for _, part := range []string{args[:half], args[half:]} {
				ev("response.function_call_arguments.delta", fmt.Sprintf(`"item_id":%q,"output_index":1,"delta":%s`, fcID, q(part)))
			}
			ev("response.function_call_arguments.done", fmt.Sprintf(`"item_id":%q,"output_index":1,"arguments":%s`, fcID, q(args)))
			ev("response.output_item.done", `"output_index":1,"item":`+item)
			ev("response.completed", `"response":`+responseObject(n, a.model, "completed", reasoning(true)+","+item))
		}
	} else {
		msgID := fmt.Sprintf("msg_sim_%d", n)
		part := fmt.Sprintf(`{"type":"output_text","text":%s,"annotations":[]}`, q(a.text))
		item = fmt.Sprintf(`{"id":%q,"type":"message","status":"completed","role":"assistant","content":[%s]}`, msgID, part)
		tail = func() {
			ev("response.output_item.added", fmt.Sprintf(`"output_index":1,"item":{"id":%q,"type":"message","status":"in_progress","role":"assistant","content":[]}`, msgID))
			ev("response.content_part.added", fmt.Sprintf(`"item_id":%q,"output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}`, msgID))
			for _, p := range splitWords(a.text) {
				ev("response.output_text.delta", fmt.Sprintf(`"item_id":%q,"output_index":1,"content_index":0,"delta":%s`, msgID, q(p)))
			}
			ev("response.output_text.done", fmt.Sprintf(`"item_id":%q,"output_index":1,"content_index":0,"text":%s`, msgID, q(a.text)))
			ev("response.content_part.done", fmt.Sprintf(`"item_id":%q,"output_index":1,"content_index":0,"part":%s`, msgID, part))
			ev("response.output_item.done", `"output_index":1,"item":`+item)
			ev("response.completed", `"response":`+responseObject(n, a.model, "completed", reasoning(true)+","+item))
		}
	}
	ev("response.created", `"response":`+responseObject(n, a.model, "in_progress", ""))
	ev("response.in_progress", `"response":`+responseObject(n, a.model, "in_progress", ""))
	ev("response.output_item.added", `"output_index":0,"item":`+reasoning(false))
	ev("response.reasoning_summary_part.added", fmt.Sprintf(`"item_id":%q,"output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}`, rsID))
	ev("response.reasoning_summary_text.delta", fmt.Sprintf(`"item_id":%q,"output_index":0,"summary_index":0,"delta":%s`, rsID, q(summary)))
	ev("response.reasoning_summary_text.done", fmt.Sprintf(`"item_id":%q,"output_index":0,"summary_index":0,"text":%s`, rsID, q(summary)))
	ev("response.reasoning_summary_part.done", fmt.Sprintf(`"item_id":%q,"output_index":0,"summary_index":0,"part":{"type":"summary_text","text":%s}`, rsID, q(summary)))
	ev("response.output_item.done", `"output_index":0,"item":`+reasoning(true))
	tail()
	return responseObject(n, a.model, "completed", reasoning(true)+","+item), evs
}

func responseObject(n int, model, status, output string) string {
	usage := "null"
	if status == "completed" {
		usage = `{"input_tokens":11,"input_tokens_details":{"cached_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":18}`
	}
	return fmt.Sprintf(`{"id":"resp_sim_%d","object":"response","created_at":1767225600,"status":%q,"error":null,"incomplete_details":null,"model":%s,"output":[%s],"parallel_tool_calls":true,"store":false,"tool_choice":"auto","tools":[],"usage":%s}`,
		n, status, q(model), output, usage)
}
