package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/backend/core"
)

// post sends a raw request of the path's dialect with the key, like do, but
// returns transport errors instead of failing (it runs off the test
// goroutine). The response is returned once its headers arrive.
func (g *gateway) post(ctx context.Context, path, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", g.base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(path, "/v1beta/"):
		req.Header.Set("x-goog-api-key", g.key)
	case strings.HasPrefix(path, "/v1/messages"):
		req.Header.Set("x-api-key", g.key)
		req.Header.Set("anthropic-version", "2023-06-01")
	default:
		req.Header.Set("Authorization", "Bearer "+g.key)
	}
	return g.hc.Do(req)
}

// shutdownCode is what each dialect's error names a shutdown: OpenAI's and
// Responses' code, Anthropic's type, Gemini's status.
var shutdownCode = map[string]string{dOpenAI: "service_unavailable", dResponses: "service_unavailable",
	dAnthropic: "overloaded_error", dGemini: "UNAVAILABLE"}

// TestShutdownAnswersEveryDialect: requests still open when the drain grace
// runs out all end with one "shutting down" error: 503 with Retry-After in
// the client's dialect when nothing was sent yet (waiting for the upstream's
// answer, or a stream before its first content), the dialect's error and
// terminal frames, 503-shaped, when a stream was already answering; on the
// pass-through path and the translated one alike.
func TestShutdownAnswersEveryDialect(t *testing.T) {
	old := core.DrainGrace
	core.DrainGrace = 200 * time.Millisecond
	defer func() { core.DrainGrace = old }()

	t.Run("before_content", func(t *testing.T) {
		g, ups := allUpstreams(t, gwOpts{})
		for _, u := range ups {
			u.SetDefault(Script{Hang: true}) // answers' headers (JSON or SSE), then nothing
		}
		type result struct {
			name, client string
			status       int
			retryAfter   string
			body         []byte
			err          error
		}
		results := make(chan result, 16)
		n := 0
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		for _, c := range allDialects {
			for _, ud := range []string{c, otherDialect(c)} {
				for _, stream := range []bool{false, true} {
					path, body := rawRequest(c, clientModel(ud), stream, "hi")
					name := clientName[c] + "→" + ud
					if stream {
						name += "/stream"
					}
					n++
					go func() {
						r := result{name: name, client: c}
						resp, err := g.post(ctx, path, body)
						if err == nil {
							r.status, r.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
							r.body, err = io.ReadAll(resp.Body)
							resp.Body.Close()
						}
						r.err = err
						results <- r
					}()
				}
			}
		}
		waitFor(t, "every request at its upstream", func() bool {
			hits := 0
			for _, u := range ups {
				hits += u.Hits()
			}
			return hits == n
		})
		g.stop()
		for range n {
			r := <-results
			if r.err != nil {
				t.Errorf("%s: %v", r.name, r.err)
				continue
			}
			if r.status != http.StatusServiceUnavailable || r.retryAfter == "" || errorCode(r.client, r.body) != shutdownCode[r.client] ||
				!strings.Contains(string(r.body), "shutting down") {
				t.Errorf("%s: %d Retry-After=%q %s, want 503 with Retry-After and %s", r.name, r.status, r.retryAfter, r.body, shutdownCode[r.client])
			}
		}
	})

	t.Run("streaming", func(t *testing.T) {
		g, ups := allUpstreams(t, gwOpts{})
		for _, u := range ups {
			u.SetDefault(Script{HangAfterContent: true})
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		type open struct {
			name, client string
			resp         *http.Response
		}
		var streams []open
		for _, c := range allDialects {
			for _, ud := range []string{c, otherDialect(c)} {
				path, body := rawRequest(c, clientModel(ud), true, "hi")
				resp, err := g.post(ctx, path, body) // headers arrive with the first content
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("%s→%s: status %d", c, ud, resp.StatusCode)
				}
				streams = append(streams, open{clientName[c] + "→" + ud, c, resp})
			}
		}
		g.stop()
		for _, s := range streams {
			body, err := io.ReadAll(s.resp.Body)
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
				continue
			}
			fs := parseSSE(t, body)
			checkErrorEnding(t, s.client, fs, body)
			if got := streamShutdownCode(s.client, fs); got != shutdownCode[s.client] || !strings.Contains(string(body), "shutting down") {
				t.Errorf("%s: error frame names %q, want %q:\n%s", s.name, got, shutdownCode[s.client], body)
			}
		}
	})
}

// streamShutdownCode reads the code of a stream's error ending (see
// shutdownCode).
func streamShutdownCode(client string, fs []frame) string {
	if len(fs) < 2 {
		return ""
	}
	var last, prev map[string]any
	_ = json.Unmarshal([]byte(fs[len(fs)-1].Data), &last)
	_ = json.Unmarshal([]byte(fs[len(fs)-2].Data), &prev)
	switch client {
	case dOpenAI:
		return str(obj(prev["error"])["code"])
	case dAnthropic: // the error event is the last one
		return str(obj(last["error"])["type"])
	case dResponses:
		return str(obj(obj(last["response"])["error"])["code"])
	}
	e := obj(last["error"])
	if num(e["code"]) != http.StatusServiceUnavailable {
		return ""
	}
	return str(e["status"])
}
