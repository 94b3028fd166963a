package kiro

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// TestEncodeGoldens encodes each testdata/encode_request/<case>.ir.json and
// compares the body with <case>.golden.json.
func TestEncodeGoldens(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "encode_request", "*.ir.json"))
	if len(paths) == 0 {
		t.Fatal("no cases")
	}
	for _, path := range paths {
		name := strings.TrimSuffix(path, ".ir.json")
		t.Run(filepath.Base(name), func(t *testing.T) {
			var req ir.Request
			if err := json.Unmarshal(dialecttest.Read(t, path), &req); err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeRequest(&req)
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, body)
			dialecttest.Golden(t, name+".golden.json", body)
		})
	}
}

// checkShape checks Kiro's rules on any body: history alternates, opens
// with the user and ends with the assistant; no user turn is empty; every
// result answers a call of the assistant turn before it.
func checkShape(t *testing.T, body []byte) {
	t.Helper()
	st := gjson.GetBytes(body, "conversationState")
	hist := st.Get("history").Array()
	prevCalls := map[string]bool{}
	for i, h := range hist {
		user := h.Get("userInputMessage").Exists()
		if user != (i%2 == 0) {
			t.Errorf("history[%d] breaks the alternation", i)
		}
		if user {
			checkUser(t, h.Get("userInputMessage"), prevCalls)
			prevCalls = map[string]bool{}
			continue
		}
		for _, u := range h.Get("assistantResponseMessage.toolUses").Array() {
			prevCalls[u.Get("toolUseId").String()] = true
			if !u.Get("input").IsObject() {
				t.Errorf("tool use input %s is not an object", u.Get("input").Raw)
			}
		}
	}
	if len(hist)%2 != 0 {
		t.Errorf("history ends with the user")
	}
	checkUser(t, st.Get("currentMessage.userInputMessage"), prevCalls)
	if st.Get("chatTriggerType").String() != "MANUAL" || len(st.Get("conversationId").String()) != 36 {
		t.Errorf("conversation state %s", st.Raw)
	}
}

func checkUser(t *testing.T, u gjson.Result, calls map[string]bool) {
	t.Helper()
	if u.Get("content").String() == "" || u.Get("modelId").String() == "" || u.Get("origin").String() != "AI_EDITOR" {
		t.Errorf("user turn %s", u.Raw)
	}
	results := u.Get("userInputMessageContext.toolResults").Array()
	if len(results) != len(calls) {
		t.Errorf("%d results for %d calls", len(results), len(calls))
	}
	for _, r := range results {
		if !calls[r.Get("toolUseId").String()] {
			t.Errorf("result %s answers no call", r.Raw)
		}
	}
}

func TestConversationIDFollowsTheConversation(t *testing.T) {
	req := func(msgs ...string) *ir.Request {
		r := &ir.Request{Model: "claude-sonnet-4.5"}
		for i, m := range msgs {
			role := ir.RoleUser
			if i%2 == 1 {
				role = ir.RoleAssistant
			}
			r.Messages = append(r.Messages, ir.Message{Role: role, Content: []ir.Block{{Type: ir.BlockText, Text: m}}})
		}
		return r
	}
	id := func(r *ir.Request) string {
		b, err := Codec.EncodeRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		return gjson.GetBytes(b, "conversationState.conversationId").String()
	}
	if a, b := id(req("hi")), id(req("hi", "hello", "more")); a != b {
		t.Errorf("turns of one conversation got ids %s and %s", a, b)
	}
	if a, b := id(req("hi")), id(req("bye")); a == b {
		t.Errorf("two conversations share the id %s", a)
	}
	if _, err := Codec.EncodeRequest(&ir.Request{Model: "m"}); err == nil {
		t.Errorf("a request without messages encoded")
	}
}

func TestModelID(t *testing.T) {
	for in, want := range map[string]string{
		"claude-sonnet-4-5": "claude-sonnet-4.5", "claude-sonnet-4-5-20250929": "claude-sonnet-4.5",
		"claude-opus-4-1-20250805": "claude-opus-4.1", "claude-sonnet-4-20250514": "claude-sonnet-4",
		"claude-haiku-4.5": "claude-haiku-4.5", "auto": "auto", "claude-sonnet-4": "claude-sonnet-4",
	} {
		if got := ModelID(in); got != want {
			t.Errorf("ModelID(%q) = %q, want %q", in, got, want)
		}
	}
}
