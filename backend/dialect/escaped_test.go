package dialect_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/dialecttest/agentbody"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
	"switchboard/backend/ir"
)

// Texts the Anthropic, Responses, Gemini and Chat decoders keep as written (ir.Escaped) reach every
// upstream as the same text they would have been escaped into: the bodies
// with and without the written forms are equal as JSON.
func TestEscapedTextsTranslateAlike(t *testing.T) {
	long := strings.Repeat(`caf\u00e9 \/path \"q\" \ud83d\ude00 tab\there\n`, 12)
	odd := []byte(`{"model":"m","max_tokens":10,"system":"` + long + `","messages":[` +
		`{"role":"user","content":"` + long + `"},` +
		`{"role":"assistant","content":[{"type":"thinking","thinking":"` + long + `","signature":"s"},` +
		`{"type":"text","text":"` + long + `"},{"type":"tool_use","id":"t1","name":"read","input":{}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"` + long + `"},` +
		`{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"` + long + `"},{"type":"text","text":"` + long + `"}]},` +
		`{"type":"text","text":"` + long + `"}]}]}`)
	long2 := strings.Repeat(`caf\u00e9 \/path \"q\" \ud83d\ude00 tab\there\n`, 12)
	oddCodex := []byte(`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"` + long2 + `"}]},` +
		`{"type":"function_call","call_id":"c1","name":"read","arguments":"{}"},` +
		`{"type":"function_call_output","call_id":"c1","output":"` + long2 + `"},` +
		`{"type":"message","role":"assistant","content":[{"type":"output_text","text":"` + long2 + `"}]}]}`)
	oddGemini := []byte(`{"systemInstruction":{"parts":[{"text":"` + long2 + `"}]},"contents":[` +
		`{"role":"user","parts":[{"text":"` + long2 + `"}]},` +
		`{"role":"model","parts":[{"text":"` + long2 + `","thought":true},{"functionCall":{"name":"read","args":{}}}]},` +
		`{"role":"user","parts":[{"functionResponse":{"name":"read","response":{"output":"` + long2 + `"}}},` +
		`{"functionResponse":{"name":"read","response":{"error":"` + long2 + `"}}}]}]}`)
	oddChat := []byte(`{"model":"m","messages":[{"role":"system","content":"` + long2 + `"},` +
		`{"role":"user","content":"` + long2 + `"},` +
		`{"role":"assistant","content":[{"type":"text","text":"` + long2 + `"}],"tool_calls":[{"id":"c1","type":"function","function":{"name":"read","arguments":"{}"}}]},` +
		`{"role":"tool","tool_call_id":"c1","content":"` + long2 + `"},` +
		`{"role":"user","content":[{"type":"text","text":"` + long2 + `"},"` + long2 + `"]}]}`)
	for name, in := range map[string]struct {
		c    dialect.Codec
		body []byte
	}{
		"odd escapes": {anthropic.Codec, odd}, "claude code": {anthropic.Codec, agentBody(t, agentbody.Claude, 100_000)},
		"odd codex": {responses.Codec, oddCodex}, "codex": {responses.Codec, agentBody(t, agentbody.Codex, 100_000)},
		"odd gemini": {gemini.Codec, oddGemini}, "gemini cli": {gemini.Codec, agentBody(t, agentbody.Gemini, 100_000)},
		"odd chat": {openai.Codec, oddChat}, "opencode": {openai.Codec, agentBody(t, agentbody.OpenCode, 100_000)},
	} {
		req, err := in.c.DecodeRequest(in.body)
		if err != nil {
			t.Fatal(err)
		}
		if n := countEscaped(req); n == 0 {
			t.Fatalf("%s: the decoder kept no written forms", name)
		}
		plain := *req
		plain.System = stripEscaped(req.System)
		plain.Messages = make([]ir.Message, len(req.Messages))
		for i, m := range req.Messages {
			plain.Messages[i] = ir.Message{Role: m.Role, Content: stripEscaped(m.Content)}
		}
		if countEscaped(&plain) != 0 {
			t.Fatal("stripping left written forms")
		}
		for _, up := range codecs {
			got, err1 := up.EncodeRequest(req)
			want, err2 := up.EncodeRequest(&plain)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s → %s: %v %v", name, up.Name(), err1, err2)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("%s → %s: invalid JSON: %v", name, up.Name(), err)
			}
			_ = json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("%s → %s: the body with written forms differs from the escaped one", name, up.Name())
			}
		}
	}
}

func countEscaped(req *ir.Request) int {
	n := 0
	var walk func([]ir.Block)
	walk = func(bs []ir.Block) {
		for i := range bs {
			if _, ok := bs[i].EscapedText(); ok {
				n++
			}
			walk(bs[i].Content)
		}
	}
	walk(req.System)
	for _, m := range req.Messages {
		walk(m.Content)
	}
	return n
}

func stripEscaped(bs []ir.Block) []ir.Block {
	if bs == nil {
		return nil
	}
	out := make([]ir.Block, len(bs))
	for i, b := range bs {
		b.Escaped = nil
		b.Content = stripEscaped(b.Content)
		out[i] = b
	}
	return out
}
