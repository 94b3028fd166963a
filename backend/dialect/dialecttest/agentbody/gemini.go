package agentbody

import "strconv"

// gemini is a Gemini CLI turn: a long system instruction, function
// declarations with JSON-schema parameters, and a loop of model turns
// (some text, functionCall parts, the first one carrying its
// thoughtSignature) answered by functionResponse parts. The model is in
// the URL, not the body.
type gemini struct {
	r     *rng
	tools []tool
	clock int
}

func (g *gemini) head(o Options) ([]byte, []obj, []byte, int) {
	r := g.r
	g.tools = r.tools(15, false, 400)
	g.clock = 1_700_000_000_000 + r.intn(1e9)
	decls := make([]any, len(g.tools))
	for i, t := range g.tools {
		decls[i] = obj{{"name", t.name}, {"description", t.desc}, {"parametersJsonSchema", t.schema()}}
	}
	first := []obj{{{"role", "user"}, {"parts", []any{
		obj{{"text", "<session_context>\n" + string(r.commandOutput(nil, 550)) + "</session_context>"}},
		obj{{"text", string(r.shortText(nil))}},
	}}}}
	suffix := enc(obj{
		{"systemInstruction", obj{{"role", "user"}, {"parts", []any{obj{{"text", string(r.prose(nil, 30000))}}}}}},
		{"tools", []any{obj{{"functionDeclarations", decls}}}},
		{"generationConfig", obj{{"temperature", 1}, {"topP", 0.95}, {"topK", 64}, {"thinkingConfig", obj{{"includeThoughts", true}}}}},
	})
	suffix[0] = ','
	return []byte(`{"contents":[`), first, append([]byte("]"), suffix...), len(g.tools)
}

func (g *gemini) turn(i int) ([]obj, int) {
	r := g.r
	var said, results []any
	if r.chance(0.3) {
		said = append(said, obj{{"text", string(r.prose(nil, r.between(60, 600)))}})
	}
	calls := 1
	if r.chance(0.1) {
		calls = r.between(2, 3)
	}
	g.clock += r.between(2000, 60000)
	for c := range calls {
		t := pick(r, g.tools)
		id := t.name + "_" + strconv.Itoa(g.clock) + "_" + strconv.Itoa(c)
		call := obj{{"functionCall", obj{{"id", id}, {"name", t.name}, {"args", r.args(t)}}}}
		if c == 0 {
			call = append(call, kv{"thoughtSignature", r.opaque("", r.between(200, 1400))})
		}
		said = append(said, call)
		results = append(results, obj{{"functionResponse", obj{{"id", id}, {"name", t.name},
			{"response", obj{{"output", r.toolOutput(r.sized(1000))}}}}}})
	}
	return []obj{{{"role", "model"}, {"parts", said}}, {{"role", "user"}, {"parts", results}}}, calls
}

func (g *gemini) last(it obj) obj { return it }
