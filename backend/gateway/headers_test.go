package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHTTPDate(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 18, 0, 0, 100_000_000, time.FixedZone("CET", 3600))
	a := httpDate(t0)
	if want := "Sun, 06 Dec 2026 17:00:00 GMT"; len(a) != 1 || a[0] != want {
		t.Fatalf("httpDate = %q, want [%q]", a, want)
	}
	if b := httpDate(t0.Add(800 * time.Millisecond)); &b[0] != &a[0] {
		t.Errorf("the same second was formatted again: %q", b)
	}
	if c := httpDate(t0.Add(time.Second)); c[0] != "Sun, 06 Dec 2026 17:00:01 GMT" {
		t.Errorf("next second: %q", c)
	}
	if cap(a) != len(a) {
		t.Errorf("a shared value has room to append into (cap %d)", cap(a))
	}
}

// TestAnswerHeads checks the heads of the answers the gateway writes
// itself: streams and whole JSON answers, pass-through and translated,
// each twice (the second answer gets the values the first one shared).
func TestAnswerHeads(t *testing.T) {
	const chunk = `data: {"id":"c","object":"chat.completion.chunk","model":"up","choices":[{"index":0,"delta":{"content":"hi"}}]}` + "\n\n" +
		`data: {"id":"c","object":"chat.completion.chunk","model":"up","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
	const answer = `{"id":"c","object":"chat.completion","model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`
	const antStream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"up\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	const antAnswer = `{"id":"m","type":"message","role":"assistant","model":"up","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`
	_, _, srv, secret := loggedGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ant := strings.HasSuffix(r.URL.Path, "/messages")
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			if ant {
				io.WriteString(w, antStream)
				return
			}
			io.WriteString(w, chunk)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if ant {
			io.WriteString(w, antAnswer)
			return
		}
		io.WriteString(w, answer)
	}))
	for _, stream := range []bool{true, false} {
		for _, model := range []string{"oai/m", "oai/m", "ant/m", "ant/m"} { // ant/m: translated
			name := fmt.Sprintf("stream=%v %s", stream, model)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
				strings.NewReader(fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, model, stream)))
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			h := resp.Header
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d: %s", name, resp.StatusCode, body)
			}
			d, err := http.ParseTime(h.Get("Date"))
			if err != nil || time.Since(d) > 5*time.Second || time.Until(d) > 2*time.Second {
				t.Errorf("%s: Date %q (%v), now %s", name, h.Get("Date"), err, time.Now().UTC().Format(http.TimeFormat))
			}
			if len(h.Values("Date")) != 1 {
				t.Errorf("%s: Date values %q", name, h.Values("Date"))
			}
			if !strings.HasPrefix(h.Get("X-Switchboard-Route"), strings.SplitN(model, "/", 2)[0]+"/") {
				t.Errorf("%s: X-Switchboard-Route %q", name, h.Get("X-Switchboard-Route"))
			}
			if stream {
				if h.Get("Content-Type") != "text/event-stream; charset=utf-8" || h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" {
					t.Errorf("%s: head %v", name, h)
				}
				continue
			}
			if h.Get("Content-Type") != "application/json" || h.Get("Content-Length") != strconv.Itoa(len(body)) || h.Get("Cache-Control") != "" {
				t.Errorf("%s: head %v for %d bytes", name, h, len(body))
			}
		}
	}
	if hdrEventStream[0] != "text/event-stream; charset=utf-8" || hdrJSON[0] != "application/json" || hdrNoCache[0] != "no-cache" || hdrNoBuffering[0] != "no" {
		t.Errorf("a shared header value was changed: %q %q %q %q", hdrEventStream, hdrJSON, hdrNoCache, hdrNoBuffering)
	}
}
