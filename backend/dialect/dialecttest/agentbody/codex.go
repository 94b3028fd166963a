package agentbody

import "strconv"

// codex is a Codex CLI turn on the Responses API (store:false, so the
// whole conversation is sent): developer messages with the permissions
// and instructions, the environment and the prompt as user messages,
// function tools, and a loop of reasoning items (summary and
// encrypted_content), assistant messages, function_call and
// function_call_output items.
type codex struct {
	r     *rng
	tools []tool
}

func (g *codex) head(o Options) ([]byte, []obj, []byte, int) {
	r := g.r
	g.tools = r.tools(9, false, 500)
	tools := make([]any, 0, len(g.tools)+1)
	for _, t := range g.tools {
		tools = append(tools, obj{{"type", "function"}, {"name", t.name}, {"description", t.desc}, {"strict", false},
			{"parameters", t.schema(kv{"additionalProperties", false})}})
	}
	tools = append(tools, obj{{"type", "web_search"}, {"external_web_access", true}})
	msg := func(role string, texts ...string) obj {
		parts := make([]any, len(texts))
		for i, t := range texts {
			parts[i] = obj{{"type", "input_text"}, {"text", t}}
		}
		return obj{{"type", "message"}, {"id", "msg_" + r.uuid()}, {"role", role}, {"content", parts}}
	}
	prefix := append(append([]byte(`{"model":`), enc(o.Model)...), `,"instructions":"","input":[`...)
	first := []obj{
		msg("developer", string(r.prose(nil, 17000))),
		msg("developer", string(r.prose(nil, 2100)), string(r.prose(nil, 360))),
		msg("user", "<environment>\n"+string(r.commandOutput(nil, 400))+"</environment>"),
		msg("user", string(r.shortText(nil))),
	}
	session := r.uuid()
	suffix := enc(obj{
		{"tools", tools},
		{"tool_choice", "auto"},
		{"parallel_tool_calls", true},
		{"reasoning", obj{{"effort", "medium"}, {"summary", "auto"}}},
		{"store", false},
		{"stream", o.Stream},
		{"include", []string{"reasoning.encrypted_content"}},
		{"prompt_cache_key", session},
		{"client_metadata", obj{{"session_id", session}, {"turn_id", r.uuid()}}},
	})
	suffix[0] = ','
	return prefix, first, append([]byte("]"), suffix...), len(tools)
}

func (g *codex) turn(int) ([]obj, int) {
	r := g.r
	var items []obj
	if r.chance(0.7) {
		var summary []any
		for range r.between(0, 2) {
			summary = append(summary, obj{{"type", "summary_text"}, {"text", "**" + string(r.title(nil)) + "**\n\n" + string(r.prose(nil, r.between(80, 500)))}})
		}
		items = append(items, obj{{"type", "reasoning"}, {"id", r.id("rs_", 48)}, {"summary", summary},
			{"encrypted_content", r.opaque("gAAAAA", r.between(800, 4000))}})
	}
	if r.chance(0.3) {
		items = append(items, obj{{"type", "message"}, {"id", r.id("msg_", 48)}, {"role", "assistant"},
			{"content", []any{obj{{"type", "output_text"}, {"text", string(r.prose(nil, r.between(60, 600)))}}}}})
	}
	calls := 1
	if r.chance(0.1) {
		calls = 2
	}
	var outs []obj
	for range calls {
		t := pick(r, g.tools)
		id := r.id("call_", 24)
		items = append(items, obj{{"type", "function_call"}, {"id", r.id("fc_", 48)}, {"name", t.name},
			{"arguments", string(enc(r.args(t)))}, {"call_id", id}})
		out := "exit: 0\nelapsed: 0." + strconv.Itoa(r.between(100, 999)) + "s\n---\n" + r.toolOutput(r.sized(900))
		outs = append(outs, obj{{"type", "function_call_output"}, {"call_id", id}, {"output", out}})
	}
	return append(items, outs...), calls
}

func (g *codex) last(it obj) obj { return it }
