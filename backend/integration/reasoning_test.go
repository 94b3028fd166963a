package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/config"
	"switchboard/backend/internal/vendorsim"
)

// reasoningVendors starts one enforcing reasoning-model vendor per dialect
// (see vendorsim): each thinks, signs, calls get_weather and refuses a next
// turn whose history lost what it signed.
func reasoningVendors(t *testing.T) (map[string]*vendorsim.Sim, []prov) {
	t.Helper()
	sims := map[string]*vendorsim.Sim{}
	var provs []prov
	for _, d := range allDialects {
		sim := vendorsim.New(d, vendorsim.Options{Key: upstreamKey(d), FinalText: finalText, PlainText: helloText(d),
			Pick: func(tools []vendorsim.Tool) (string, map[string]any, bool) {
				for _, tl := range tools {
					if tl.Name == toolName {
						return toolName, map[string]any{"city": "Paris"}, true
					}
				}
				return "", nil, false
			}})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		base := srv.URL
		if d == dOpenAI || d == dResponses {
			base += "/v1"
		}
		sims[d] = sim
		provs = append(provs, prov{id: providerID[d], dialect: d, base: base, models: []string{upstreamModel(d)}})
	}
	return sims, provs
}

// reasoningRoutes names each upstream three ways: provider/model, an alias
// and a combo (with a fallback target that is never needed).
func reasoningRoutes() gwOpts {
	o := gwOpts{aliases: map[string]string{}}
	for _, d := range allDialects {
		o.aliases["think-"+d] = clientModel(d)
		o.combos = append(o.combos, config.ComboConfig{Name: "loop-" + d,
			Targets: []config.TargetEntry{{Model: clientModel(d)}, {Model: clientModel(otherDialect(d))}}})
	}
	return o
}

func routedModel(via, ud string) string {
	switch via {
	case "alias":
		return "think-" + ud
	case "combo":
		return "loop-" + ud
	}
	return clientModel(ud)
}

// TestReasoningToolLoops runs a two-step tool loop with reasoning on, for
// every client dialect (official SDKs, keeping what the real agents keep:
// Codex replays reasoning items, Claude Code drops thinking when the answer
// names another model, Gemini CLI keeps signed calls) × every upstream
// dialect × plain model / alias / combo × JSON / stream. Every loop must
// finish, no vendor may refuse a turn, the signed reasoning must reach the
// vendor again, and every answer must name the model the client asked for.
func TestReasoningToolLoops(t *testing.T) {
	sims, provs := reasoningVendors(t)
	g := startGateway(t, reasoningRoutes(), provs...)
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			for _, ud := range allDialects {
				for _, via := range []string{"plain", "alias", "combo"} {
					for _, stream := range []bool{false, true} {
						name := fmt.Sprintf("%s_upstream/%s/%s", ud, via, map[bool]string{false: "json", true: "stream"}[stream])
						t.Run(name, func(t *testing.T) {
							t.Parallel()
							marker := fmt.Sprintf("[loop %s %s %s %v]", cd, ud, via, stream)
							same := func() *gateway { return g }
							runReasoningLoop(t, g, same, sims[ud], cd, ud, routedModel(via, ud), marker, stream)
						})
					}
				}
			}
		})
	}
}

// runReasoningLoop plays both steps; step two goes through the gateway
// between returns (the same one, or one that replaced it after a restart).
func runReasoningLoop(t *testing.T, g1 *gateway, between func() *gateway, sim *vendorsim.Sim, cd, ud, model, marker string, stream bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	target := &atomic.Value{}
	target.Store(g1)
	cv := newConvoVia(g1, redirect{target: target}, cd, model, "What is the weather in Paris? "+marker, true)
	cv.reason(reasoningStyle{codex: true, claudeCode: true})
	first, err := cv.ask(ctx, stream)
	if err != nil {
		t.Fatalf("step 1: %v\nrefusals: %q\nlast body:\n%s", err, sim.Rejections(), shorten(cv.raw()))
	}
	checkAnswerModels(t, "step 1", cd, cv.raw(), model)
	if first.ToolName != toolName {
		t.Fatalf("step 1: no %s call (text %q)", toolName, first.Text)
	}
	target.Store(between())
	final, err := cv.answerTool(ctx, stream)
	if err != nil {
		t.Fatalf("step 2: %v\nrefusals: %q\nlast body:\n%s", err, sim.Rejections(), shorten(cv.raw()))
	}
	checkAnswerModels(t, "step 2", cd, cv.raw(), model)
	if final.Text != finalText {
		t.Errorf("step 2 text = %q, want %q", final.Text, finalText)
	}
	var steps []vendorsim.Exchange
	for _, ex := range sim.Log() {
		if strings.Contains(string(ex.Body), marker) {
			steps = append(steps, ex)
		}
	}
	if len(steps) != 2 {
		t.Fatalf("the vendor saw %d requests of this loop, want 2", len(steps))
	}
	for i, ex := range steps {
		if ex.Rejected != "" {
			t.Errorf("the vendor refused step %d: %s", i+1, ex.Rejected)
		}
	}
	if err := reasoningCameBack(ud, steps[1].Body); err != nil {
		t.Errorf("step 2 as the vendor got it: %v\n%s", err, shorten(steps[1].Body))
	}
}

// reasoningCameBack checks that the second step carried the vendor's signed
// reasoning (restored by the gateway when the client could not carry it),
// with reasoning still on.
func reasoningCameBack(ud string, body []byte) error {
	switch ud {
	case dAnthropic:
		if typ := gjson.GetBytes(body, "thinking.type").String(); typ != "enabled" && typ != "adaptive" {
			return fmt.Errorf("thinking was turned off (%q) instead of restored", typ)
		}
		var last gjson.Result
		for _, m := range gjson.GetBytes(body, "messages").Array() {
			if m.Get("role").String() == "assistant" {
				last = m
			}
		}
		if first := last.Get("content.0"); first.Get("type").String() != "thinking" || first.Get("signature").String() == "" {
			return fmt.Errorf("the tool_use turn does not start with signed thinking: %s", last.Raw)
		}
	case dGemini:
		for _, c := range gjson.GetBytes(body, "contents").Array() {
			for _, p := range c.Get("parts").Array() {
				if p.Get("functionCall").Exists() {
					if sig := p.Get("thoughtSignature").String(); sig == "" || sig == vendorsim.GeminiSkipSignature {
						return fmt.Errorf("functionCall without its real signature: %s", p.Raw)
					}
					return nil
				}
			}
		}
		return fmt.Errorf("no functionCall in the history")
	case dResponses:
		for _, it := range gjson.GetBytes(body, "input").Array() {
			if it.Get("type").String() == "reasoning" && strings.HasPrefix(it.Get("encrypted_content").String(), "enc_") {
				return nil
			}
		}
		return fmt.Errorf("no reasoning item with the vendor's encrypted_content")
	}
	return nil
}

// checkAnswerModels fails when any answer frame names a model other than
// the one the client asked for.
func checkAnswerModels(t *testing.T, step, cd string, raw []byte, want string) {
	t.Helper()
	for _, m := range answerModels(cd, raw) {
		if m != want {
			t.Errorf("%s: the answer names model %q, the client asked for %q", step, m, want)
		}
	}
}

// answerModels lists every model name an answer (JSON or SSE) carries.
func answerModels(cd string, raw []byte) []string {
	docs := [][]byte{raw}
	if s := strings.TrimSpace(string(raw)); strings.HasPrefix(s, "data:") || strings.HasPrefix(s, "event:") {
		docs = nil
		fs, _ := splitSSE(raw)
		for _, f := range fs {
			docs = append(docs, []byte(f.Data))
		}
	}
	paths := map[string][]string{dOpenAI: {"model"}, dResponses: {"model", "response.model"},
		dAnthropic: {"model", "message.model"}, dGemini: {"modelVersion"}}[cd]
	var out []string
	for _, d := range docs {
		for _, p := range paths {
			if r := gjson.GetBytes(d, p); r.Type == gjson.String {
				out = append(out, r.String())
			}
		}
	}
	return out
}

// redirect sends every request to the gateway currently in target, so a
// conversation can continue on a restarted instance.
type redirect struct{ target *atomic.Value }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	g := r.target.Load().(*gateway)
	req = req.Clone(req.Context())
	req.URL.Host = strings.TrimPrefix(g.base, "http://")
	req.Host = req.URL.Host
	return g.hc.Transport.RoundTrip(req)
}

// TestReasoningLoopSurvivesRestart stops the gateway between the two steps
// of a loop and continues on a new instance over the same data directory:
// what the client could not carry was persisted and is restored.
func TestReasoningLoopSurvivesRestart(t *testing.T) {
	sims, provs := reasoningVendors(t)
	dir := t.TempDir()
	cases := []struct{ cd, ud string }{
		{dOpenAI, dGemini}, {dOpenAI, dAnthropic}, {dOpenAI, dResponses},
		{dAnthropic, dGemini}, {dResponses, dGemini}, {dGemini, dAnthropic},
	}
	key := ""
	for i, c := range cases {
		for _, stream := range []bool{false, true} {
			o := reasoningRoutes()
			o.dataDir, o.key = dir, key
			g1 := startGateway(t, o, provs...)
			o.key, key = g1.key, g1.key
			marker := fmt.Sprintf("[restart %d %v]", i, stream)
			// step 1 on g1, then g1 stops and g2 opens the same data dir
			var g2 *gateway
			sim := sims[c.ud]
			runReasoningLoop(t, g1, func() *gateway {
				g1.stop()
				g2 = startGateway(t, o, provs...)
				return g2
			}, sim, c.cd, c.ud, clientModel(c.ud), marker, stream)
			g2.stop()
		}
	}
}
