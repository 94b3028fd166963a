package dialect_test

// Cross-dialect goldens: every dialect pair in both directions, requests,
// responses and streams, with tools and reasoning. One hand-written IR
// conversation and answer are encoded into each dialect (what a client or
// an upstream of that dialect sends), decoded back by that dialect, and
// encoded into every other dialect. `go test -update` rewrites the goldens
// under testdata/pairs for review.

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

var codecs = []dialect.Codec{openai.Codec, responses.Codec, anthropic.Codec, gemini.Codec}

// volatile matches generated ids and timestamps so goldens stay stable.
var volatile = regexp.MustCompile(`((?:msg|rs|fc|ctc|resp|chatcmpl|call|toolu|cmpl)[-_])[0-9A-Za-z]{12,}|("(?:created|created_at)":)\d+`)

func stable(b []byte) []byte {
	return volatile.ReplaceAll(b, []byte("${1}${2}X"))
}

func load[T any](t *testing.T, name string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(dialecttest.Read(t, filepath.Join("testdata/pairs", name)), &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func TestPairsRequests(t *testing.T) {
	base := load[ir.Request](t, "conversation.ir.json")
	for _, from := range codecs {
		client, err := from.EncodeRequest(base)
		if err != nil {
			t.Fatalf("%s: encode the client request: %v", from.Name(), err)
		}
		dialecttest.Golden(t, filepath.Join("testdata/pairs", string(from.Name())+".client_request.json"), stable(client))
		decoded, err := from.DecodeRequest(client)
		if err != nil {
			t.Fatalf("%s: decode its own request: %v", from.Name(), err)
		}
		if decoded.Model == "" {
			decoded.Model = base.Model // Gemini carries the model in the URL
		}
		for _, to := range codecs {
			out, err := to.EncodeRequest(decoded)
			if err != nil {
				t.Errorf("%s → %s: %v", from.Name(), to.Name(), err)
				continue
			}
			if !json.Valid(out) {
				t.Errorf("%s → %s: invalid JSON", from.Name(), to.Name())
			}
			name := string(from.Name()) + "_to_" + string(to.Name()) + ".request.json"
			dialecttest.Golden(t, filepath.Join("testdata/pairs", name), stable(out))
		}
	}
}

func TestPairsResponses(t *testing.T) {
	answer := load[ir.Response](t, "answer.ir.json")
	for _, up := range codecs {
		upstream, err := up.EncodeResponse(answer)
		if err != nil {
			t.Fatalf("%s: encode the upstream answer: %v", up.Name(), err)
		}
		decoded, err := up.DecodeResponse(upstream)
		if err != nil {
			t.Fatalf("%s: decode its own answer: %v", up.Name(), err)
		}
		if decoded.StopReason != ir.StopToolUse || len(decoded.Content) == 0 {
			t.Errorf("%s: lost the tool call or stop reason: %+v", up.Name(), decoded)
		}
		for _, client := range codecs {
			out, err := client.EncodeResponse(decoded)
			if err != nil {
				t.Errorf("%s → %s: %v", up.Name(), client.Name(), err)
				continue
			}
			name := string(up.Name()) + "_to_" + string(client.Name()) + ".response.json"
			dialecttest.Golden(t, filepath.Join("testdata/pairs", name), stable(out))
		}
	}
}

func TestPairsStreams(t *testing.T) {
	answer := load[ir.Response](t, "answer.ir.json")
	req := load[ir.Request](t, "conversation.ir.json")
	req.Stream, req.IncludeUsage = true, true
	for _, up := range codecs {
		upstream := encodeStream(up, req, ir.Replay(answer, nil))
		dialecttest.Golden(t, filepath.Join("testdata/pairs", string(up.Name())+".upstream_stream.sse"), stable(upstream))
		events := decodeStream(t, up, upstream)
		var acc ir.Accumulator
		for i := range events {
			acc.Add(&events[i])
		}
		if got := acc.Response(); got.StopReason != ir.StopToolUse || !hasTool(got) {
			t.Errorf("%s: stream lost the tool call: %+v", up.Name(), got)
		}
		for _, client := range codecs {
			out := encodeStream(client, req, events)
			name := string(up.Name()) + "_to_" + string(client.Name()) + ".stream.sse"
			dialecttest.Golden(t, filepath.Join("testdata/pairs", name), stable(out))
		}
	}
}

func hasTool(r *ir.Response) bool {
	for _, b := range r.Content {
		if b.Type == ir.BlockToolUse && b.ToolName == "get_weather" {
			return true
		}
	}
	return false
}

func encodeStream(c dialect.Codec, req *ir.Request, evs []ir.Event) []byte {
	enc := c.NewStreamEncoder(req)
	var out []byte
	for i := range evs {
		out = enc.Encode(out, &evs[i])
	}
	return out
}

func decodeStream(t *testing.T, c dialect.Codec, body []byte) []ir.Event {
	t.Helper()
	dec := c.NewStreamDecoder()
	rd := sse.NewReader(bytesReader(body))
	var all []ir.Event
	for {
		ev, err := rd.Next()
		if err != nil {
			break
		}
		evs, err := dec.Decode(nil, ev)
		if err != nil {
			t.Fatalf("%s: decode its own stream: %v", c.Name(), err)
		}
		all = append(all, evs...)
	}
	tail, complete := dec.End(nil)
	if !complete {
		t.Fatalf("%s: its own stream looks interrupted", c.Name())
	}
	return append(all, tail...)
}
