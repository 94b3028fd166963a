package vendorsim

import (
	"fmt"
	"net/http"
	"strings"
)

func parseGemini(r *http.Request, raw map[string]any) request {
	// Gemini 3 always thinks and signs; thought summaries come only when asked.
	req := request{raw: raw}
	req.thinking, _ = obj(obj(raw["generationConfig"])["thinkingConfig"])["includeThoughts"].(bool)
	m := strings.TrimPrefix(r.URL.Path, "/v1beta/models/")
	if i := strings.LastIndexByte(m, ':'); i >= 0 {
		req.stream = strings.HasPrefix(m[i:], ":streamGenerateContent")
		m = m[:i]
	}
	req.model = m
	for _, t := range arr(raw["tools"]) {
		for _, f := range arr(obj(t)["functionDeclarations"]) {
			ff := obj(f)
			schema := obj(ff["parametersJsonSchema"])
			if schema == nil {
				schema = obj(ff["parameters"])
			}
			req.tools = append(req.tools, Tool{Name: str(ff["name"]), Schema: schema})
		}
	}
	req.results = currentResults(arr(raw["contents"]), func(c map[string]any) (bool, int) {
		if role := str(c["role"]); role != "user" && role != "" && role != "function" {
			return false, 0
		}
		n := 0
		for _, p := range arr(c["parts"]) {
			if obj(p)["functionResponse"] != nil {
				n++
			}
		}
		return true, n
	})
	return req
}

func callKey(fc map[string]any) string { return str(fc["name"]) + canonical(fc["args"]) }

// validateGemini enforces thought signatures on function calls.
func (s *Sim) validateGemini(req request) string {
	contents := arr(req.raw["contents"])
	turn := 0 // first content of the current turn
	for i := len(contents) - 1; i >= 0; i-- {
		c := obj(contents[i])
		if r := str(c["role"]); r == "model" {
			continue
		}
		hasResponse := false
		for _, p := range arr(c["parts"]) {
			if obj(p)["functionResponse"] != nil {
				hasResponse = true
			}
		}
		if !hasResponse {
			turn = i + 1
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range contents {
		cc := obj(c)
		if str(cc["role"]) != "model" {
			continue
		}
		first := true
		for j, p := range arr(cc["parts"]) {
			pp := obj(p)
			sig := str(pp["thoughtSignature"])
			if sig != "" && sig != GeminiSkipSignature && !s.gemSigs[sig] {
				return fmt.Sprintf("Corrupted thought signature. (contents[%d].parts[%d])", i, j)
			}
			fc := obj(pp["functionCall"])
			if fc == nil {
				continue
			}
			issued, ours := s.gemCalls[callKey(fc)]
			missing := false
			switch {
			case ours:
				missing = !contains(issued, sig)
			case first && i >= turn:
				missing = sig == ""
			}
			first = false
			if missing {
				return fmt.Sprintf("Function call is missing a thought_signature in functionCall parts. This is required for tools "+
					"to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, "+
					"function call `default_api:%s` , position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "+
					"for more details.", str(fc["name"]), j+1)
			}
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *Sim) geminiAnswer(a *answer) (string, []event) {
	n := s.next()
	sig := s.sign(Gemini, fmt.Sprint(n))
	s.mu.Lock()
	s.gemSigs[sig] = true
	if a.call != nil {
		k := a.call.name + canonical(a.call.args)
		s.gemCalls[k] = append(s.gemCalls[k], sig)
	}
	s.mu.Unlock()
	var final string
	if a.call != nil {
		final = fmt.Sprintf(`{"functionCall":{"name":%s,"args":%s},"thoughtSignature":%q}`, q(a.call.name), a.call.argsJSON(), sig)
	} else {
		final = fmt.Sprintf(`{"text":%s,"thoughtSignature":%q}`, q(a.text), sig)
	}
	chunk := func(parts, finish string, usage bool) string {
		f, u := "", ""
		if finish != "" {
			f = fmt.Sprintf(`,"finishReason":%q`, finish)
		}
		if usage {
			u = `"usageMetadata":{"promptTokenCount":11,"candidatesTokenCount":5,"thoughtsTokenCount":2,"totalTokenCount":18},`
		}
		return fmt.Sprintf(`{"candidates":[{"content":{"parts":[%s],"role":"model"}%s,"index":0}],%s"modelVersion":%s,"responseId":"sim-%d"}`,
			parts, f, u, q(a.model), n)
	}
	if !a.thinking {
		return chunk(final, "STOP", true), []event{{data: chunk(final, "STOP", true)}}
	}
	th := fmt.Sprintf(`{"text":%s,"thought":true}`, q(thought(a)))
	evs := []event{{data: chunk(th, "", false)}, {data: chunk(final, "STOP", true)}}
	return chunk(th+","+final, "STOP", true), evs
}
