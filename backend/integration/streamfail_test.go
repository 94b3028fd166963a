package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"
)

// otherDialect is a dialect different from d, so the gateway translates.
func otherDialect(d string) string {
	for i, x := range allDialects {
		if x == d {
			return allDialects[(i+1)%len(allDialects)]
		}
	}
	panic(d)
}

// TestStreamFailureAfterContent: when the upstream fails after content
// reached the client (connection cut, in-stream error event, silence past
// the idle timeout), the client keeps the text it got and the stream ends
// with its own dialect's error and terminal frames, both on the byte
// pass-through path and on the translated one. Checked on the raw bytes and
// through each official SDK, which must surface an error.
func TestStreamFailureAfterContent(t *testing.T) {
	kinds := []struct {
		name   string
		script Script
		idle   time.Duration
		sdk    bool
	}{
		{"cut", Script{CutAfterContent: true}, 0, true},
		{"error_event", Script{ErrorAfterContent: true}, 0, true},
		{"idle_timeout", Script{HangAfterContent: true}, 300 * time.Millisecond, false},
	}
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			for _, ud := range []string{cd, otherDialect(cd)} {
				t.Run(ud+"_upstream", func(t *testing.T) {
					t.Parallel()
					for _, k := range kinds {
						vias := []string{"raw"}
						if k.sdk {
							vias = append(vias, "sdk")
						}
						for _, via := range vias {
							t.Run(k.name+"/"+via, func(t *testing.T) {
								t.Parallel()
								u := newUpstream(t, ud)
								u.SetDefault(k.script)
								g := startGateway(t, gwOpts{idle: k.idle}, provFor(u))
								if via == "raw" {
									streamFailRaw(t, g, cd, ud)
								} else {
									streamFailSDK(t, g, cd, ud)
								}
							})
						}
					}
				})
			}
		})
	}
}

func streamFailRaw(t *testing.T, g *gateway, client, ud string) {
	path, body := rawRequest(client, clientModel(ud), true, "Say hello.")
	r := g.do("POST", path, body, nil)
	if r.Status != 200 {
		t.Fatalf("status %d (content was already streamed, a 200 stream is expected):\n%s", r.Status, r.Body)
	}
	fs := parseSSE(t, r.Body)
	if got := streamText(client, fs); !strings.HasPrefix(got, "Hello from ") || strings.Contains(got, "upstream.") {
		t.Errorf("text before the failure = %q, want the first delta only", got)
	}
	checkErrorEnding(t, client, fs, r.Body)
}

// checkErrorEnding asserts the dialect's error-and-terminal ending.
func checkErrorEnding(t *testing.T, client string, fs []frame, body []byte) {
	t.Helper()
	if len(fs) < 2 {
		t.Fatalf("too few frames:\n%s", body)
	}
	for _, f := range fs {
		if f.Data != "[DONE]" && !json.Valid([]byte(f.Data)) {
			t.Errorf("frame data is not JSON: %q", f.Data)
		}
	}
	last, prev := fs[len(fs)-1], fs[len(fs)-2]
	var lm, pm map[string]any
	_ = json.Unmarshal([]byte(last.Data), &lm)
	_ = json.Unmarshal([]byte(prev.Data), &pm)
	switch client {
	case dOpenAI:
		if last.Data != "[DONE]" {
			t.Errorf("last frame %q, want data: [DONE]\n%s", last.Data, body)
		}
		if str(obj(pm["error"])["message"]) == "" {
			t.Errorf("frame before [DONE] is not an error chunk: %s\n%s", prev.Data, body)
		}
		for _, f := range fs {
			var m map[string]any
			_ = json.Unmarshal([]byte(f.Data), &m)
			for _, c := range arr(m["choices"]) {
				if str(obj(c)["finish_reason"]) == "stop" {
					t.Errorf("a failed stream reports finish_reason stop: %s", f.Data)
				}
			}
		}
	case dAnthropic:
		// The Messages API ends a failed stream with its error event.
		var lm map[string]any
		_ = json.Unmarshal([]byte(last.Data), &lm)
		if last.Event != "error" || str(lm["type"]) != "error" || str(obj(lm["error"])["message"]) == "" {
			t.Errorf("last event is not an error event: %s %s\n%s", last.Event, last.Data, body)
		}
		if str(obj(lm["error"])["type"]) == "" {
			t.Errorf("error event without error.type: %s", last.Data)
		}
		if strings.Contains(string(body), "message_stop") {
			t.Errorf("a failed stream sent message_stop:\n%s", body)
		}
		for _, f := range fs {
			if f.Event == "message_delta" && strings.Contains(f.Data, `"end_turn"`) {
				t.Errorf("a failed stream reports end_turn: %s", f.Data)
			}
		}
	case dResponses:
		if last.Event != "response.failed" || str(lm["type"]) != "response.failed" {
			t.Errorf("last event %q, want response.failed\n%s", last.Event, body)
		}
		resp := obj(lm["response"])
		if str(resp["status"]) != "failed" || str(obj(resp["error"])["message"]) == "" {
			t.Errorf("response.failed without status failed and an error message: %s", last.Data)
		}
		for _, f := range fs {
			if f.Event == "response.completed" {
				t.Errorf("a failed stream has response.completed:\n%s", body)
			}
		}
	case dGemini:
		e := obj(lm["error"])
		if str(e["message"]) == "" || num(e["code"]) == 0 || str(e["status"]) == "" {
			t.Errorf("last chunk is not an error {code,message,status}: %s\n%s", last.Data, body)
		}
	}
}

func streamFailSDK(t *testing.T, g *gateway, client, ud string) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if client == dResponses {
		c := g.openai()
		s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: clientModel(ud),
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello.")}})
		var failed *responses.Response
		var text string
		for s.Next() {
			ev := s.Current()
			switch ev.Type {
			case "response.output_text.delta":
				text += ev.Delta
			case "response.failed":
				r := ev.Response
				failed = &r
			case "response.completed":
				t.Errorf("response.completed on a failed stream")
			}
		}
		if failed == nil {
			t.Fatalf("the SDK saw no response.failed (err %v)", s.Err())
		}
		if failed.Status != "failed" || failed.Error.Message == "" {
			t.Errorf("response.failed carries status %q error %q", failed.Status, failed.Error.Message)
		}
		if text != "Hello from " {
			t.Errorf("text before the failure = %q", text)
		}
		return
	}
	cv := newConvo(g, client, clientModel(ud), "Say hello.", false)
	_, err := cv.ask(ctx, true)
	if err == nil {
		t.Fatalf("the SDK reported no error for a failed stream:\n%s", cv.raw())
	}
	switch client {
	case dOpenAI:
		var se *ssestream.StreamError
		if !errors.As(err, &se) {
			t.Errorf("openai-go error %T %v, want *ssestream.StreamError", err, err)
		}
	case dAnthropic:
		var ae *anthropic.Error
		if !errors.As(err, &ae) || ae.Message == "" {
			t.Errorf("anthropic-sdk-go error %T %v, want *anthropic.Error with a message", err, err)
		}
	case dGemini:
		var ge genai.APIError
		if !errors.As(err, &ge) || ge.Message == "" || ge.Code == 0 {
			t.Errorf("genai error %T %v, want genai.APIError with code and message", err, err)
		}
	}
	if !bytes.Contains(cv.raw(), []byte("Hello from ")) {
		t.Errorf("the content sent before the failure did not reach the SDK:\n%s", cv.raw())
	}
}

// TestClientDisconnectCancelsUpstream: a client that goes away (mid-stream,
// or while the upstream has not answered yet) cancels the upstream request,
// and the request log records 499.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			cases := []struct {
				name   string
				ud     string
				script Script
			}{
				{"passthrough_mid_stream", cd, Script{HangAfterContent: true}},
				{"translated_mid_stream", otherDialect(cd), Script{HangAfterContent: true}},
				{"before_first_byte", otherDialect(cd), Script{Delay: time.Minute}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					u := newUpstream(t, tc.ud)
					u.SetDefault(tc.script)
					g := startGateway(t, gwOpts{}, provFor(u))
					disconnectAndWait(t, g, u, cd, tc.script.Delay > 0)
				})
			}
		})
	}
}

func disconnectAndWait(t *testing.T, g *gateway, u *upstream, client string, beforeHeaders bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path, body := rawRequest(client, clientModel(u.dialect), true, "Say hello.")
	req, _ := http.NewRequestWithContext(ctx, "POST", g.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.key)
	req.Header.Set("anthropic-version", "2023-06-01")
	done := make(chan error, 1)
	go func() {
		resp, err := g.hc.Do(req)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		var got []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(got, []byte("Hello from ")) {
			n, err := resp.Body.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if beforeHeaders {
		waitFor(t, "the upstream to receive the request", func() bool { return u.Hits() > 0 })
		cancel()
	} else {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("reading the first content: %v", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("no content reached the client")
		}
		cancel() // the client goes away mid-stream
	}
	select {
	case <-u.canceled:
	case <-time.After(3 * time.Second):
		t.Fatal("the upstream request was not canceled within 3s of the client leaving")
	}
	waitFor(t, "a 499 row in the request log", func() bool {
		for _, r := range g.logs() {
			if r.Status == 499 {
				return true
			}
		}
		return false
	})
}

// waitFor polls cond for up to 3 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStreamWithoutTerminalEvent: an upstream whose body ends (cleanly, or
// by a dropped connection) right before its terminal event ([DONE],
// message_stop, response.completed; Gemini's finishReason chunk) still
// gives the client a stream that ends with its dialect's terminal frame:
// the normal one when the answer was complete, an error ending when not.
func TestStreamWithoutTerminalEvent(t *testing.T) {
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			for _, ud := range []string{cd, otherDialect(cd)} {
				for _, how := range []string{"clean_eof", "dropped_connection"} {
					t.Run(ud+"_upstream/"+how, func(t *testing.T) {
						t.Parallel()
						evs := buildStream(ud, turnPlain, upstreamModel(ud))
						u := newUpstream(t, ud)
						if how == "clean_eof" {
							u.SetDefault(Script{EndAfter: len(evs) - 1}) // all but the last event
						} else {
							u.SetDefault(Script{CutAfter: len(evs) - 1})
						}
						g := startGateway(t, gwOpts{}, provFor(u))
						path, body := rawRequest(cd, clientModel(ud), true, "Say hello.")
						r := g.do("POST", path, body, nil)
						if r.Status != 200 {
							t.Fatalf("status %d: %s", r.Status, r.Body)
						}
						fs := parseSSE(t, r.Body)
						want := helloText(ud)
						if ud == dGemini { // its last chunk carries text and the finishReason
							want = helloParts(ud)[0]
						}
						if got := streamText(cd, fs); got != want {
							t.Errorf("text %q, want %q", got, want)
						}
						if hasErrorFrame(r.Body) {
							checkErrorEnding(t, cd, fs, r.Body)
						} else if err := terminalOK(cd, r.Body); err != nil {
							t.Error(err)
						}
					})
				}
			}
		})
	}
}
