package openai

import (
	"strconv"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeResponse reads a chat.completion body from an upstream. Only the
// first choice is used (the gateway never asks for n > 1).
func (codec) DecodeResponse(body []byte) (*ir.Response, error) {
	if !jsonscan.Valid(body) {
		return nil, badUpstream("upstream response is not valid JSON")
	}
	root := gjson.Parse(string(body))
	if e := root.Get("error"); e.IsObject() {
		return nil, errorFromObject(e, 0)
	}
	resp := &ir.Response{ID: root.Get("id").Str, Model: root.Get("model").Str, Created: root.Get("created").Int()}
	choice := root.Get("choices.0")
	msg := choice.Get("message")
	resp.Content = decodeResponseMessage(msg)
	resp.StopReason = fixStop(stopFromFinish(choice.Get("finish_reason").Str), resp.Content)
	if r := msg.Get("refusal"); r.Type == gjson.String && r.Str != "" {
		resp.StopReason = ir.StopRefusal
	}
	resp.Usage = decodeUsage(root.Get("usage"))
	if x := root.Get("x_groq.usage"); resp.Usage.IsZero() && x.IsObject() {
		resp.Usage = decodeUsage(x)
	}
	return resp, nil
}

func decodeResponseMessage(msg gjson.Result) []ir.Block {
	var out []ir.Block
	think := msg.Get("reasoning_content")
	if think.Type != gjson.String || think.Str == "" {
		think = msg.Get("reasoning")
	}
	if think.Type == gjson.String && think.Str != "" {
		out = append(out, ir.Block{Type: ir.BlockThinking, Text: think.Str})
	}
	text := msg.Get("content").Str
	if text == "" {
		text = msg.Get("refusal").Str
	}
	if text != "" {
		out = append(out, ir.Block{Type: ir.BlockText, Text: text})
	}
	msg.Get("tool_calls").ForEach(func(_, c gjson.Result) bool {
		if b, ok := decodeToolCall(nil, c); ok {
			out = append(out, b)
		}
		return true
	})
	if out == nil {
		out = []ir.Block{}
	}
	return out
}

// stopFromFinish maps finish_reason to the hub's stop reason. OpenAI does
// not tell a stop sequence from a natural end, so both are end_turn.
func stopFromFinish(fr string) ir.StopReason {
	switch fr {
	case "":
		return ""
	case "length":
		return ir.StopMaxTokens
	case "tool_calls", "function_call":
		return ir.StopToolUse
	case "content_filter":
		return ir.StopContentFilter
	}
	return ir.StopEndTurn
}

// fixStop fills a missing stop reason and corrects "stop" when the answer
// calls tools (some compatible vendors say stop there; Anthropic clients
// only run tools on tool_use).
func fixStop(s ir.StopReason, content []ir.Block) ir.StopReason {
	if s != "" && s != ir.StopEndTurn {
		return s
	}
	for i := range content {
		if content[i].Type == ir.BlockToolUse {
			return ir.StopToolUse
		}
	}
	return ir.StopEndTurn
}

// finishFromStop maps the hub's stop reason to finish_reason.
func finishFromStop(s ir.StopReason) string {
	switch s {
	case ir.StopMaxTokens:
		return "length"
	case ir.StopToolUse:
		return "tool_calls"
	case ir.StopContentFilter, ir.StopRefusal:
		return "content_filter"
	}
	return "stop"
}

// decodeUsage reads an OpenAI usage object. prompt_tokens already include
// cached tokens and completion_tokens include reasoning tokens, which is
// the hub's convention. DeepSeek reports cache hits in its own field.
func decodeUsage(u gjson.Result) ir.Usage {
	if !u.IsObject() {
		return ir.Usage{}
	}
	// One pass over the object: a Get per field scanned it from its start
	// each time (five times a stream's last chunk).
	var us ir.Usage
	hit := 0
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_tokens":
			us.InputTokens = int(v.Int())
		case "completion_tokens":
			us.OutputTokens = int(v.Int())
		case "prompt_tokens_details":
			us.CachedTokens = int(v.Get("cached_tokens").Int())
		case "completion_tokens_details":
			us.ReasoningTokens = int(v.Get("reasoning_tokens").Int())
		case "prompt_cache_hit_tokens": // DeepSeek
			hit = int(v.Int())
		}
		return true
	})
	if us.CachedTokens == 0 {
		us.CachedTokens = hit
	}
	return us
}

func appendUsage(b []byte, u *ir.Usage) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.InputTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.OutputTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.InputTokens+u.OutputTokens), 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CachedTokens), 10)
	b = append(b, `},"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, int64(u.ReasoningTokens), 10)
	return append(b, '}', '}')
}

// EncodeResponse renders a chat.completion for the client. Thinking goes to
// reasoning_content (what DeepSeek-aware clients such as OpenCode show);
// signatures and images have no place in it and are dropped.
func (codec) EncodeResponse(resp *ir.Response) ([]byte, error) {
	if resp == nil {
		return nil, ir.Errorf(ir.KindInternal, "openai: nil response")
	}
	b := make([]byte, 0, 256+responseTextSize(resp))
	b = appendStringField(append(b, '{'), "id", chatID(resp.ID))
	b = append(b, `,"object":"chat.completion"`...)
	b = appendIntField(b, "created", createdOr(resp.Created))
	b = appendStringField(b, "model", resp.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if text := joinText(resp.Content, ir.BlockText, ""); text != "" {
		b = appendString(b, text)
	} else {
		b = append(b, "null"...)
	}
	if t := joinText(resp.Content, ir.BlockThinking, ""); t != "" {
		b = appendStringField(b, "reasoning_content", t)
	}
	calls := 0
	for i := range resp.Content {
		if resp.Content[i].Type == ir.BlockToolUse {
			calls++
		}
	}
	if calls > 0 {
		b = appendToolCalls(appendKey(b, "tool_calls"), resp.Content)
	}
	b = append(b, `,"refusal":null},"logprobs":null,"finish_reason":`...)
	b = appendString(b, finishFromStop(fixStop(resp.StopReason, resp.Content)))
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, &resp.Usage)
	return append(b, '}'), nil
}

func responseTextSize(resp *ir.Response) int {
	n := 0
	for i := range resp.Content {
		n += len(resp.Content[i].Text) + len(resp.Content[i].Input) + 96
	}
	return n
}

// chatID keeps an upstream chat id and gives anything else the chatcmpl-
// shape clients expect.
func chatID(id string) string {
	if len(id) > len("chatcmpl-") && id[:len("chatcmpl-")] == "chatcmpl-" {
		return id
	}
	return newID("chatcmpl-")
}

func createdOr(t int64) int64 {
	if t > 0 {
		return t
	}
	return now().Unix()
}

// DecodeUsage maps an OpenAI usage object to the hub's convention (the
// gateway reads pass-through answers with it).
func DecodeUsage(u gjson.Result) ir.Usage { return decodeUsage(u) }
