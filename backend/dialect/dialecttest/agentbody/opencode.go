package agentbody

// opencode is an OpenCode turn on Chat Completions (through the AI SDK's
// OpenAI-compatible provider): a system message with the agent's prompt
// and environment as one string, the user's prompt, ten function tools
// with JSON-schema parameters, and a loop of assistant messages carrying
// tool_calls (their content an empty string unless the model said
// something) answered by one tool message per call. Streams ask for usage
// (stream_options).
type opencode struct {
	r     *rng
	tools []tool
}

func (g *opencode) head(o Options) ([]byte, []obj, []byte, int) {
	r := g.r
	g.tools = r.tools(10, false, 1400)
	tools := make([]any, len(g.tools))
	for i, t := range g.tools {
		tools[i] = obj{{"type", "function"}, {"function", obj{{"name", t.name}, {"description", t.desc},
			{"parameters", t.schema(kv{"additionalProperties", false}, kv{"$schema", "https://json-schema.org/draft/2020-12/schema"})}}}}
	}
	prefix := append(append([]byte(`{"model":`), enc(o.Model)...), `,"max_tokens":32000,"messages":[`...)
	first := []obj{
		{{"role", "system"}, {"content", string(r.prose(nil, 9000)) + "\n<env>\n" + string(r.commandOutput(nil, 300)) + "</env>"}},
		{{"role", "user"}, {"content", string(r.shortText(nil))}},
	}
	suffix := enc(obj{
		{"tools", tools},
		{"tool_choice", "auto"},
		{"stream", o.Stream},
		{"stream_options", obj{{"include_usage", true}}},
	})
	suffix[0] = ','
	return prefix, first, append([]byte("]"), suffix...), len(tools)
}

func (g *opencode) turn(int) ([]obj, int) {
	r := g.r
	text := ""
	if r.chance(0.35) {
		text = string(r.prose(nil, r.between(60, 600)))
	}
	calls := 1
	if r.chance(0.15) {
		calls = r.between(2, 3)
	}
	var toolCalls []any
	var results []obj
	for range calls {
		t := pick(r, g.tools)
		id := r.id("call_", 24)
		toolCalls = append(toolCalls, obj{{"id", id}, {"type", "function"},
			{"function", obj{{"name", t.name}, {"arguments", string(enc(r.args(t)))}}}})
		results = append(results, obj{{"role", "tool"}, {"tool_call_id", id}, {"content", r.toolOutput(r.sized(1000))}})
	}
	said := obj{{"role", "assistant"}, {"content", text}, {"tool_calls", toolCalls}}
	return append([]obj{said}, results...), calls
}

func (g *opencode) last(it obj) obj { return it }
