package anthropic

import (
	"strings"
	"testing"
)

// Bad requests name the field at fault, however deep (the paths are built
// only when there is an error).
func TestDecodeErrorPaths(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"messages":[]}`, "messages: at least one message is required"},
		{`{"messages":[1]}`, "messages.0: expected a message object"},
		{`{"messages":[{"role":"user","content":"a"},{"role":"robot","content":"b"}]}`, `messages.1.role: unknown role "robot"`},
		{`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},2]}]}`, "messages.0.content.1: expected a content block object"},
		{`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":7}]}]}`, "messages.0.content.1.text: expected a string"},
		{`{"messages":[{"role":"user","content":[{"type":"image","source":"x"}]}]}`, "messages.0.content.0.source: expected an object"},
		{`{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":1}]}]}]}`,
			"messages.0.content.0.content.0.text: expected a string"},
		{`{"messages":[{"role":"user","content":5}]}`, "messages.0.content: expected a string or an array of content blocks"},
		{`{"messages":[{"role":"user","content":"a"}`, "invalid JSON body"},
	} {
		_, err := decodeRequest([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.body, err, c.want)
		}
	}
}

// The IR's strings share the body's memory; decoding allocates no copy of it.
func TestDecodeSharesBody(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"` + strings.Repeat("x", 4096) + `"}]}]}`)
	req, err := decodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	text := req.Messages[0].Content[0].Text
	body[strings.Index(string(body), "xxxx")] = 'y' // the IR sees the body's bytes
	if text[0] != 'y' {
		t.Fatal("the block text is a copy of the body, not a view of it")
	}
	if n := testing.AllocsPerRun(20, func() { _, _ = decodeRequest(body) }); n > 12 {
		t.Fatalf("%v allocations to decode one message", n)
	}
}
