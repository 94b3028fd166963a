package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture is one recorded client request (testdata/client-captures).
type capture struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// captureDialect says which dialect a captured request speaks.
func captureDialect(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1beta/"):
		return dGemini
	case strings.HasPrefix(path, "/v1/messages"):
		return dAnthropic
	case strings.HasPrefix(path, "/v1/responses"):
		return dResponses
	}
	return dOpenAI
}

// TestClientCaptures replays what Claude Code, Codex, Gemini CLI and
// OpenCode really sent, headers included, against the gateway routed to an
// upstream of every other dialect. Only the model (and Gemini's model path)
// is rewritten. Each must get a 200 and a well-formed stream in the client's
// dialect, ending with its terminal frame.
func TestClientCaptures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "client-captures", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c capture
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if c.Method == "HEAD" {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				g, _ := allUpstreams(t, gwOpts{})
				req, _ := http.NewRequest("HEAD", g.base+c.Path, nil)
				for k, v := range c.Headers {
					if k != "host" && k != "connection" && k != "accept-encoding" {
						req.Header.Set(k, v)
					}
				}
				resp, err := g.hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("HEAD %s = %d, want 200", c.Path, resp.StatusCode)
				}
			})
			continue
		}
		cd := captureDialect(c.Path)
		for _, ud := range allDialects {
			if ud == cd {
				continue
			}
			t.Run(name+"/"+ud+"_upstream", func(t *testing.T) {
				t.Parallel()
				u := newUpstream(t, ud)
				g := startGateway(t, gwOpts{}, provFor(u))
				replayCapture(t, g, u, c, cd)
			})
		}
	}
}

func replayCapture(t *testing.T, g *gateway, u *upstream, c capture, cd string) {
	path := c.Path
	body := []byte(c.Body)
	if cd == dGemini {
		path = strings.Replace(path, "/models/mock-model:", "/models/"+clientModel(u.dialect)+":", 1)
	} else {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		m["model"] = clientModel(u.dialect)
		body, _ = json.Marshal(m)
	}
	if c.Query != "" {
		path += "?" + c.Query
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, c.Method, g.base+path, strings.NewReader(string(body)))
	for k, v := range c.Headers {
		switch strings.ToLower(k) {
		case "host", "content-length", "connection", "accept-encoding":
		case "authorization":
			req.Header.Set(k, "Bearer "+g.key)
		case "x-api-key", "x-goog-api-key":
			req.Header.Set(k, g.key)
		default:
			req.Header.Set(k, v)
		}
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d:\n%s", resp.StatusCode, shorten(out))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q for a streamed request", ct)
	}
	if err := terminalOK(cd, out); err != nil {
		t.Fatal(err)
	}
	checkStreamShape(t, cd, parseSSE(t, out), out)
	if hasErrorFrame(out) {
		t.Errorf("error frame in a successful replay:\n%s", shorten(out))
	}
	if u.Hits() != 1 {
		t.Errorf("upstream hits %d, want 1", u.Hits())
	}
	for _, r := range u.Requests() {
		if !u.knownPath(&http.Request{URL: mustURL(r.Path)}) {
			t.Errorf("upstream got unexpected path %s", r.Path)
		}
	}
}

// checkStreamShape checks the event grammar of a successful stream.
func checkStreamShape(t *testing.T, d string, fs []frame, body []byte) {
	t.Helper()
	if len(fs) < 2 {
		t.Fatalf("only %d frames:\n%s", len(fs), body)
	}
	parsed := make([]map[string]any, len(fs))
	for i, f := range fs {
		if f.Data == "[DONE]" {
			if d != dOpenAI || i != len(fs)-1 {
				t.Errorf("unexpected [DONE] at frame %d", i)
			}
			continue
		}
		if err := json.Unmarshal([]byte(f.Data), &parsed[i]); err != nil {
			t.Errorf("frame %d is not JSON: %q", i, f.Data)
		}
		if (d == dAnthropic || d == dResponses) && f.Event != str(parsed[i]["type"]) {
			t.Errorf("frame %d: event %q but data type %q", i, f.Event, parsed[i]["type"])
		}
	}
	switch d {
	case dOpenAI:
		finished := false
		for _, m := range parsed[:len(parsed)-1] {
			if str(m["object"]) != "chat.completion.chunk" {
				t.Errorf("chunk object %q", m["object"])
			}
			for _, c := range arr(m["choices"]) {
				if str(obj(c)["finish_reason"]) != "" {
					finished = true
				}
			}
		}
		if !finished {
			t.Errorf("no chunk carries a finish_reason:\n%s", shorten(body))
		}
	case dAnthropic:
		if fs[0].Event != "message_start" {
			t.Errorf("first event %q, want message_start", fs[0].Event)
		}
		open := map[float64]bool{}
		sawDelta := false
		for i, f := range fs {
			m := parsed[i]
			switch f.Event {
			case "content_block_start":
				if len(open) > 0 {
					t.Errorf("block %v starts while another is open", m["index"])
				}
				open[num(m["index"])] = true
			case "content_block_delta":
				if !open[num(m["index"])] {
					t.Errorf("delta for block %v that is not open", m["index"])
				}
			case "content_block_stop":
				if !open[num(m["index"])] {
					t.Errorf("stop for block %v that is not open", m["index"])
				}
				delete(open, num(m["index"]))
			case "message_delta":
				sawDelta = str(obj(m["delta"])["stop_reason"]) != ""
			}
		}
		if len(open) > 0 || !sawDelta {
			t.Errorf("blocks left open %v or no message_delta with stop_reason:\n%s", open, shorten(body))
		}
	case dResponses:
		if fs[0].Event != "response.created" {
			t.Errorf("first event %q, want response.created", fs[0].Event)
		}
		last := -1.0
		added := map[float64]bool{}
		for i := range fs {
			m := parsed[i]
			if n := num(m["sequence_number"]); n <= last {
				t.Errorf("sequence_number %v after %v", n, last)
			} else {
				last = n
			}
			switch fs[i].Event {
			case "response.output_item.added":
				added[num(m["output_index"])] = true
			case "response.output_item.done":
				delete(added, num(m["output_index"]))
			}
		}
		if len(added) > 0 {
			t.Errorf("output items never done: %v", added)
		}
		if st := str(obj(parsed[len(parsed)-1]["response"])["status"]); st != "completed" {
			t.Errorf("response.completed with status %q", st)
		}
	case dGemini:
		for i, m := range parsed {
			if len(arr(m["candidates"])) == 0 {
				t.Errorf("chunk %d has no candidates: %s", i, fs[i].Data)
			}
		}
	}
}

func mustURL(p string) *url.URL {
	u, err := url.Parse(p)
	if err != nil {
		panic(err)
	}
	return u
}
