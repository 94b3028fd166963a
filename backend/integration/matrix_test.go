package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestMatrix drives every official SDK (OpenAI Chat, OpenAI Responses,
// Anthropic Messages, Gemini) through the gateway to an upstream of every
// dialect: a plain answer, the same streamed, and a get_weather round trip
// both ways. Each upstream checks it got its own auth style and the model it
// serves; the final turn of a round trip is checked for a tool result paired
// with the call id in the upstream's own dialect.
func TestMatrix(t *testing.T) {
	ups := map[string]*upstream{}
	var provs []prov
	for _, d := range allDialects {
		u := newUpstream(t, d)
		ups[d] = u
		provs = append(provs, provFor(u))
	}
	g := startGateway(t, gwOpts{}, provs...)
	scenarios := []string{"plain", "stream", "tool", "stream_tool"}
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			for _, ud := range allDialects {
				t.Run(ud+"_upstream", func(t *testing.T) {
					t.Parallel()
					for _, sc := range scenarios {
						t.Run(sc, func(t *testing.T) {
							t.Parallel()
							runCase(t, g, ups[ud], cd, sc)
						})
					}
				})
			}
		})
	}
}

func runCase(t *testing.T, g *gateway, u *upstream, client, scenario string) {
	runCaseAs(t, g, u, client, scenario, clientModel(u.dialect))
}

// runCaseAs plays a case with model as the client names it (a provider in
// front of u, such as a sign-in's, has its own prefix).
func runCaseAs(t *testing.T, g *gateway, u *upstream, client, scenario, model string) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	marker := fmt.Sprintf("[case %s/%s/%s]", client, u.dialect, scenario)
	stream := strings.HasPrefix(scenario, "stream")
	withTool := strings.HasSuffix(scenario, "tool")
	prompt := "What is the weather in Paris? " + marker
	if !withTool {
		prompt = "Say hello. " + marker
	}
	cv := newConvo(g, client, model, prompt, withTool)
	first, err := cv.ask(ctx, stream)
	if err != nil {
		t.Fatalf("first turn: %v\nlast body:\n%s", err, shorten(cv.raw()))
	}
	checkAnswerModels(t, "first turn", client, cv.raw(), model)
	if !withTool {
		checkText(t, client, first, helloText(u.dialect))
	} else {
		checkToolCall(t, client, first)
		final, err := cv.answerTool(ctx, stream)
		if err != nil {
			t.Fatalf("final turn: %v\nlast body:\n%s", err, shorten(cv.raw()))
		}
		checkAnswerModels(t, "final turn", client, cv.raw(), model)
		checkText(t, client, final, finalText)
	}
	checkUpstreamSaw(t, u, marker, stream, withTool)
}

func checkText(t *testing.T, client string, o outcome, want string) {
	t.Helper()
	if o.Text != want {
		t.Errorf("text = %q, want %q", o.Text, want)
	}
	if o.ToolName != "" {
		t.Errorf("unexpected tool call %s(%s)", o.ToolName, o.ToolArgs)
	}
	if o.Finish != "stop" {
		t.Errorf("finish = %q, want stop", o.Finish)
	}
	checkUsage(t, o)
}

func checkToolCall(t *testing.T, client string, o outcome) {
	t.Helper()
	if o.ToolName != toolName {
		t.Fatalf("tool call = %q(%s) (text %q), want %s", o.ToolName, o.ToolArgs, o.Text, toolName)
	}
	if err := sameJSON(o.ToolArgs, `{"city":"Paris"}`); err != nil {
		t.Errorf("tool arguments: %v", err)
	}
	if o.ToolID == "" && client != dGemini {
		t.Errorf("tool call has no id")
	}
	want := "tool"
	if client == dGemini {
		want = "stop" // Gemini has no tool finish reason: a call ends with STOP
	}
	if o.Finish != want {
		t.Errorf("finish = %q, want %s", o.Finish, want)
	}
	checkUsage(t, o)
}

func checkUsage(t *testing.T, o outcome) {
	t.Helper()
	if !o.HasUsage {
		t.Errorf("the SDK saw no usage")
		return
	}
	if o.In != usageIn || o.Out != usageOut {
		t.Errorf("usage = %d in / %d out, want %d / %d", o.In, o.Out, usageIn, usageOut)
	}
}

// checkUpstreamSaw checks every request of the case as the upstream got it.
func checkUpstreamSaw(t *testing.T, u *upstream, marker string, stream, withTool bool) {
	t.Helper()
	reqs := u.Find(marker)
	want := 1
	if withTool {
		want = 2
	}
	if len(reqs) != want {
		t.Fatalf("upstream got %d requests for this case, want %d", len(reqs), want)
	}
	for _, r := range reqs {
		body := r.JSON()
		model := str(body["model"])
		if u.dialect == dGemini {
			model = strings.TrimPrefix(r.Path, "/v1beta/models/")
			model = model[:strings.LastIndexByte(model, ':')]
		}
		if model != upstreamModel(u.dialect) {
			t.Errorf("upstream saw model %q, want %q (path %s)", model, upstreamModel(u.dialect), r.Path)
		}
		if err := authStyle(u.dialect, r); err != nil {
			t.Error(err)
		}
		streamed := r.JSON()["stream"] == true
		if u.dialect == dGemini {
			streamed = strings.HasSuffix(r.Path, ":streamGenerateContent") && r.Query == "alt=sse"
		}
		if streamed != stream {
			t.Errorf("client stream=%v but the upstream request streamed=%v (%s?%s)", stream, streamed, r.Path, r.Query)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, "sk-sb-") {
					t.Errorf("the client's local key reached the upstream in %s", k)
				}
			}
		}
	}
	if !withTool {
		return
	}
	if got := classify(u.dialect, reqs[0].JSON()); got != turnTool {
		t.Errorf("first upstream request played %v, want tool", got)
	}
	last := reqs[len(reqs)-1]
	if got := classify(u.dialect, last.JSON()); got != turnFinal {
		t.Fatalf("second upstream request played %v, want final:\n%s", got, shorten(last.Body))
	}
	id, err := toolPairing(u.dialect, last.JSON())
	if err != nil {
		t.Fatalf("upstream's tool pairing: %v\nbody:\n%s", err, shorten(last.Body))
	}
	if u.dialect != dGemini && id != upstreamCallID[u.dialect] {
		t.Errorf("upstream got the result for call %q, it made call %q", id, upstreamCallID[u.dialect])
	}
	if u.dialect == dGemini && id != "" && id != upstreamCallID[dGemini] {
		t.Errorf("Gemini upstream got functionResponse id %q, its call was %q", id, upstreamCallID[dGemini])
	}
}

// authStyle checks the upstream got its key the way its vendor wants it,
// and nothing else.
func authStyle(d string, r recorded) error {
	key := upstreamKey(d)
	h := r.Header
	var ok bool
	switch d {
	case dAnthropic:
		ok = h.Get("X-Api-Key") == key && h.Get("Anthropic-Version") != "" && h.Get("Authorization") == ""
	case dGemini:
		ok = h.Get("X-Goog-Api-Key") == key && h.Get("Authorization") == "" && !strings.Contains(r.Query, "key=")
	default:
		ok = h.Get("Authorization") == "Bearer "+key && h.Get("X-Api-Key") == ""
	}
	if !ok {
		return fmt.Errorf("%s upstream got credentials in the wrong place: %v (query %q)", d, h, r.Query)
	}
	return nil
}
