package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"

	"switchboard/backend/usage"
)

const sharedModel = "shared-model"

// twoProviders starts a gateway where providers "first" (dialect d1) and
// "second" (d2) both serve sharedModel, in that order. A silent upstream
// times out after 300ms.
func twoProviders(t *testing.T, d1, d2 string) (*gateway, *upstream, *upstream) {
	u1, u2 := newUpstream(t, d1), newUpstream(t, d2)
	g := startGateway(t, gwOpts{idle: 300 * time.Millisecond},
		prov{id: "first", up: u1, models: []string{sharedModel}},
		prov{id: "second", up: u2, models: []string{sharedModel}})
	return g, u1, u2
}

// onlyRow returns the log's single row. Rows are written after the last
// byte went out, so it waits (bounded) for the first one to arrive.
func onlyRow(t *testing.T, g *gateway) usage.Row {
	t.Helper()
	waitFor(t, "a request log row", func() bool { return len(g.logs()) > 0 })
	rows := g.logs()
	if len(rows) != 1 {
		t.Fatalf("request log has %d rows, want exactly 1: %+v", len(rows), rows)
	}
	return rows[0]
}

// TestFallbackBeforeFirstByte: the first provider fails before anything
// reached the client (500, 429, a 200 stream that errors or drops before its
// first delta, a connection dropped before headers, headers then silence);
// the client gets a clean answer from the second, and the log has one row
// with both attempts.
func TestFallbackBeforeFirstByte(t *testing.T) {
	failures := []struct {
		name    string
		script  Script
		streams []bool // which request modes apply
	}{
		{"status_500", Script{Status: 500}, []bool{false, true}},
		{"status_429", Script{Status: 429, RetryAfter: "7"}, []bool{false, true}},
		{"stream_error_before_content", Script{ErrorBeforeContent: true}, []bool{true}},
		{"cut_before_headers", Script{CutBeforeHeaders: true}, []bool{false, true}},
		{"stream_cut_before_content", Script{CutBeforeContent: true}, []bool{true}},
		{"headers_then_silence", Script{Hang: true}, []bool{true}},
	}
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			// The first provider speaks the client's dialect (pass-through
			// attempt), the second another one (translated answer).
			d1, d2 := cd, otherDialect(cd)
			for _, f := range failures {
				for _, stream := range f.streams {
					mode := "json"
					if stream {
						mode = "stream"
					}
					t.Run(f.name+"/"+mode, func(t *testing.T) {
						t.Parallel()
						g, u1, u2 := twoProviders(t, d1, d2)
						u1.SetDefault(f.script)
						ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
						defer cancel()
						cv := newConvo(g, cd, sharedModel, "Say hello.", false)
						out, err := cv.ask(ctx, stream)
						if err != nil {
							t.Fatalf("the client saw an error: %v\n%s", err, shorten(cv.raw()))
						}
						if out.Text != helloText(d2) {
							t.Errorf("text = %q, want the second provider's %q", out.Text, helloText(d2))
						}
						if stream {
							if err := terminalOK(cd, cv.raw()); err != nil {
								t.Error(err)
							}
							if hasErrorFrame(cv.raw()) {
								t.Errorf("the first provider's failure leaked into the answer:\n%s", cv.raw())
							}
						}
						if u1.Hits() != 1 || u2.Hits() != 1 {
							t.Errorf("upstream hits first=%d second=%d, want 1 and 1", u1.Hits(), u2.Hits())
						}
						row := onlyRow(t, g)
						if row.Attempts != 2 {
							t.Errorf("row attempts = %d, want 2 (route %s)", row.Attempts, row.Route)
						}
						if !strings.Contains(row.Route, "first/") || !strings.Contains(row.Route, "second/") {
							t.Errorf("route notes do not name both providers: %s", row.Route)
						}
						if row.Status != 200 || row.Provider != "second" {
							t.Errorf("row status %d provider %q, want 200 from second", row.Status, row.Provider)
						}
					})
				}
			}
		})
	}
}

// TestBadRequestNotRetried: a 400 from the upstream is the client's fault,
// so it comes back at once in the client's dialect and the second provider
// is never asked.
func TestBadRequestNotRetried(t *testing.T) {
	for _, cd := range allDialects {
		for _, d1 := range []string{cd, otherDialect(cd)} {
			t.Run(clientName[cd]+"/"+d1+"_upstream", func(t *testing.T) {
				t.Parallel()
				g, u1, u2 := twoProviders(t, d1, otherDialect(d1))
				u1.SetDefault(Script{Status: 400, ErrBody: vendorError(d1, 400, "max_tokens: too large for this model")})
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				cv := newConvo(g, cd, sharedModel, "Say hello.", false)
				_, err := cv.ask(ctx, false)
				if err == nil {
					t.Fatalf("no error for an upstream 400")
				}
				e := sdkError(t, cd, err)
				if e.status != 400 {
					t.Errorf("status %d, want 400", e.status)
				}
				if !strings.Contains(e.message, "max_tokens: too large") {
					t.Errorf("message %q does not carry the upstream's reason", e.message)
				}
				if want := map[string]string{dOpenAI: "invalid_request_error", dResponses: "invalid_request_error",
					dAnthropic: "invalid_request_error", dGemini: "INVALID_ARGUMENT"}[cd]; e.typ != want {
					t.Errorf("error type %q, want %q", e.typ, want)
				}
				if u2.Hits() != 0 {
					t.Errorf("the second provider was asked %d times after a 400", u2.Hits())
				}
				if u1.Hits() != 1 {
					t.Errorf("the first provider was asked %d times", u1.Hits())
				}
				if row := onlyRow(t, g); row.Attempts != 1 || row.Status != 400 {
					t.Errorf("row attempts %d status %d, want 1 and 400", row.Attempts, row.Status)
				}
			})
		}
	}
}

// apiErr is an error as an official SDK parsed it.
type apiErr struct {
	status  int
	typ     string // OpenAI/Anthropic error type, Gemini status
	message string
}

// sdkError extracts the SDK's own error type for the client dialect.
func sdkError(t *testing.T, client string, err error) apiErr {
	t.Helper()
	switch client {
	case dOpenAI, dResponses:
		var e *openai.Error
		if !errors.As(err, &e) {
			t.Fatalf("openai-go error %T %v is not *openai.Error", err, err)
		}
		return apiErr{e.StatusCode, e.Type, e.Message}
	case dAnthropic:
		var e *anthropic.Error
		if !errors.As(err, &e) {
			t.Fatalf("anthropic-sdk-go error %T %v is not *anthropic.Error", err, err)
		}
		return apiErr{e.StatusCode, string(e.Type()), e.Message}
	case dGemini:
		var e genai.APIError
		if !errors.As(err, &e) {
			t.Fatalf("genai error %T %v is not genai.APIError", err, err)
		}
		return apiErr{e.Code, e.Status, e.Message}
	}
	panic(client)
}

// hasErrorFrame reports an SSE body carrying an error event or chunk.
func hasErrorFrame(body []byte) bool {
	fs, _ := splitSSE(body)
	for _, f := range fs {
		if f.Event == "error" || f.Event == "response.failed" {
			return true
		}
		var m map[string]any
		if json.Unmarshal([]byte(f.Data), &m) == nil && m["error"] != nil {
			return true
		}
	}
	return false
}

type mutateTransport struct {
	base   http.RoundTripper
	mutate func(*http.Request)
}

func (m mutateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	m.mutate(r)
	return m.base.RoundTrip(r)
}
