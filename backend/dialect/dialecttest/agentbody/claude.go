package agentbody

import "strconv"

// claude is a Claude Code turn: 24 tools with JSON-schema parameters and
// long descriptions, a system prompt as text blocks marked for caching, a
// mid-conversation system message, and a tool loop of assistant turns
// (thinking with its signature, some text, tool_use) answered by
// tool_result turns with file-sized contents.
type claude struct {
	r     *rng
	tools []tool
}

var ephemeral = obj{{"type", "ephemeral"}}

func (g *claude) head(o Options) ([]byte, []obj, []byte, int) {
	r := g.r
	g.tools = r.tools(24, true, 1800)
	tools := make([]any, len(g.tools))
	for i, t := range g.tools {
		tools[i] = obj{{"name", t.name}, {"description", t.desc},
			{"input_schema", t.schema(kv{"additionalProperties", false}, kv{"$schema", "https://json-schema.org/draft/2020-12/schema"})}}
	}
	system := []any{
		obj{{"type", "text"}, {"text", "x-agent-build: " + strconv.Itoa(r.between(100, 999)) + "; entry=cli;"}},
		obj{{"type", "text"}, {"text", string(r.sentence(nil))}, {"cache_control", ephemeral}},
		obj{{"type", "text"}, {"text", string(r.prose(nil, 6000))}, {"cache_control", ephemeral}},
	}
	prefix := append(append([]byte(`{"model":`), enc(o.Model)...), `,"messages":[`...)
	first := []obj{
		{{"role", "user"}, {"content", []any{
			obj{{"type", "text"}, {"text", "<context>\n" + string(r.prose(nil, 300)) + "\n</context>"}},
			obj{{"type", "text"}, {"text", string(r.shortText(nil))}},
		}}},
		{{"role", "system"}, {"content", string(r.prose(nil, 6000))}},
	}
	suffix := enc(obj{
		{"system", system},
		{"tools", tools},
		{"metadata", obj{{"user_id", string(enc(obj{{"device_id", r.opaque("", 64)}, {"account_uuid", ""}, {"session_id", r.uuid()}}))}}},
		{"max_tokens", 32000},
		{"thinking", obj{{"type", "adaptive"}}},
		{"context_management", obj{{"edits", []any{obj{{"type", "clear_thinking_20251015"}, {"keep", "all"}}}}}},
		{"output_config", obj{{"effort", "high"}}},
		{"stream", o.Stream},
	})
	suffix[0] = ',' // continues the body after the messages array
	return prefix, first, append([]byte("]"), suffix...), len(tools)
}

func (g *claude) turn(int) ([]obj, int) {
	r := g.r
	var said []any
	if r.chance(0.6) {
		said = append(said, obj{{"type", "thinking"}, {"thinking", string(r.prose(nil, r.between(100, 1200)))},
			{"signature", r.opaque("", r.between(200, 1200))}})
	}
	if r.chance(0.35) {
		said = append(said, obj{{"type", "text"}, {"text", string(r.prose(nil, r.between(60, 600)))}})
	}
	calls := 1
	if r.chance(0.12) {
		calls = r.between(2, 3) // parallel calls
	}
	var results []any
	for range calls {
		t := pick(r, g.tools)
		id := r.id("toolu_", 24)
		said = append(said, obj{{"type", "tool_use"}, {"id", id}, {"name", t.name}, {"input", r.args(t)}})
		res := obj{{"type", "tool_result"}, {"tool_use_id", id}}
		out := r.toolOutput(r.sized(1000))
		if r.chance(0.2) {
			res = append(res, kv{"content", []any{obj{{"type", "text"}, {"text", out}}}})
		} else {
			res = append(res, kv{"content", out})
		}
		if r.chance(0.05) {
			res = append(res, kv{"is_error", true})
		}
		results = append(results, res)
	}
	if r.chance(0.08) { // the user says something between two tool runs
		results = append(results, obj{{"type", "text"}, {"text", string(r.shortText(nil))}})
	}
	return []obj{{{"role", "assistant"}, {"content", said}}, {{"role", "user"}, {"content", results}}}, calls
}

// last marks the final block of the conversation for caching, as Claude
// Code does on every turn.
func (g *claude) last(it obj) obj {
	for i, f := range it {
		if blocks, ok := f.v.([]any); ok && f.k == "content" && len(blocks) > 0 {
			b := append(obj(nil), blocks[len(blocks)-1].(obj)...)
			blocks = append(append([]any(nil), blocks[:len(blocks)-1]...), append(b, kv{"cache_control", ephemeral}))
			it = append(obj(nil), it...)
			it[i].v = blocks
		}
	}
	return it
}
