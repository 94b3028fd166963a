package gateway

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/dialecttest/agentbody"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// The request side of the gateway on agent-sized bodies (see
// dialecttest/agentbody): read the client's body, find its model and
// stream flag, and build the upstream body, either the client's bytes with
// the model renamed (pass-through) or decoded and encoded for another
// dialect. xbody is B/op relative to the client's body; the budget is
// 1.5× for a pass-through and 4× for a translation, the answer included.
//
//	go test ./backend/gateway -run '^$' -bench RequestSide -benchmem

// agentPaths is where each shape's client sends its body.
var agentPaths = map[agentbody.Shape]string{
	agentbody.Claude:   "/v1/messages",
	agentbody.Codex:    "/v1/responses",
	agentbody.Gemini:   "/v1beta/models/ant/bench-model:streamGenerateContent",
	agentbody.OpenCode: "/v1/chat/completions",
}

func BenchmarkRequestSide(b *testing.B) {
	g := New(Options{})
	for _, s := range agentbody.Shapes {
		for _, size := range []int{100_000, 1_000_000} {
			body, _, err := agentbody.Generate(agentbody.Options{Shape: s, Size: size, Seed: 1, Model: "ant/bench-model", Stream: true})
			if err != nil {
				b.Fatal(err)
			}
			client := dialect.Name(s.Dialect())
			for _, up := range []dialect.Name{dialect.OpenAIChat, dialect.Responses, dialect.Anthropic, dialect.Gemini} {
				kind := "translate-" + string(up)
				if up == client {
					kind = "passthrough"
				}
				c := route.Candidate{Provider: &route.Provider{Entry: provider.Entry{ID: "up", Dialect: up}}, Model: "bench-model-upstream"}
				b.Run(fmt.Sprintf("%s-%dk/%s", s, size/1000, kind), func(b *testing.B) {
					requestSide(b, g, body, client, agentPaths[s], c, up == client)
				})
			}
		}
	}
}

// requestSide runs newExchange and upstreamBody on body, as a request to
// path and a candidate c would, and reports B/op relative to the body.
func requestSide(b *testing.B, g *Gateway, body []byte, d dialect.Name, path string, c route.Candidate, passThrough bool) {
	up := codecFor(c.Provider.Entry.Dialect)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	n := 0
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		x, ok := g.newExchange(discardWriter{}, r, d, nil)
		if !ok {
			b.Fatal("newExchange refused the body")
		}
		if d == dialect.Gemini {
			x.req.Model = "ant/bench-model"
		}
		out, _, hold, err := x.upstreamBody(up, c, passThrough)
		if err != nil || len(out) == 0 {
			b.Fatalf("upstreamBody: %v", err)
		}
		if hold != nil && hold != x.lent { // sent at once, as attempt would
			hold.Release()
		}
		x.releaseWalker()
		x.releaseBody()
		n++
	}
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n)/float64(len(body)), "xbody")
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
