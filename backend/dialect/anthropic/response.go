package anthropic

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// wireUsage is Anthropic's usage object. input_tokens excludes the cached
// and cache-writing tokens, which the IR counts in InputTokens.
type wireUsage struct {
	InputTokens              int                  `json:"input_tokens"`
	CacheCreationInputTokens int                  `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int                  `json:"cache_read_input_tokens"`
	OutputTokens             int                  `json:"output_tokens"`
	OutputTokensDetails      *wireOutputTokensDet `json:"output_tokens_details,omitempty"`
}

type wireOutputTokensDet struct {
	ThinkingTokens int `json:"thinking_tokens"`
}

func (w *wireUsage) toIR() ir.Usage {
	u := ir.Usage{
		InputTokens:         w.InputTokens + w.CacheReadInputTokens + w.CacheCreationInputTokens,
		OutputTokens:        w.OutputTokens,
		CachedTokens:        w.CacheReadInputTokens,
		CacheCreationTokens: w.CacheCreationInputTokens,
	}
	if w.OutputTokensDetails != nil {
		u.ReasoningTokens = w.OutputTokensDetails.ThinkingTokens
	}
	return u
}

// DecodeUsage maps an Anthropic usage object to the hub's convention:
// cache reads and writes, which Anthropic counts apart from input_tokens,
// join InputTokens (the gateway reads pass-through answers with it).
func DecodeUsage(u gjson.Result) ir.Usage {
	w := wireUsage{InputTokens: int(u.Get("input_tokens").Int()), OutputTokens: int(u.Get("output_tokens").Int()),
		CacheReadInputTokens: int(u.Get("cache_read_input_tokens").Int()), CacheCreationInputTokens: int(u.Get("cache_creation_input_tokens").Int())}
	if t := u.Get("output_tokens_details.thinking_tokens"); t.Exists() {
		w.OutputTokensDetails = &wireOutputTokensDet{ThinkingTokens: int(t.Int())}
	}
	return w.toIR()
}

func usageFromIR(u ir.Usage) wireUsage {
	w := wireUsage{
		InputTokens:              max(u.InputTokens-u.CachedTokens-u.CacheCreationTokens, 0),
		CacheCreationInputTokens: u.CacheCreationTokens,
		CacheReadInputTokens:     u.CachedTokens,
		OutputTokens:             u.OutputTokens,
	}
	if u.ReasoningTokens > 0 {
		w.OutputTokensDetails = &wireOutputTokensDet{ThinkingTokens: u.ReasoningTokens}
	}
	return w
}

// decodeStop maps an upstream stop_reason. model_context_window_exceeded
// is a length stop by another name; unknown reasons end the turn.
func decodeStop(s string) ir.StopReason {
	// Constants only: s may alias a stream buffer that is about to be reused.
	switch s {
	case "":
		return ""
	case "end_turn":
		return ir.StopEndTurn
	case "max_tokens", "model_context_window_exceeded":
		return ir.StopMaxTokens
	case "stop_sequence":
		return ir.StopSequence
	case "tool_use":
		return ir.StopToolUse
	case "pause_turn":
		return ir.StopPause
	case "refusal":
		return ir.StopRefusal
	}
	return ir.StopEndTurn
}

// encodeStop renders a stop reason for an Anthropic client. Content
// filtering has no name here; refusal is the closest.
func encodeStop(s ir.StopReason, sawTool bool) string {
	switch s {
	case ir.StopEndTurn, ir.StopMaxTokens, ir.StopSequence, ir.StopToolUse, ir.StopPause, ir.StopRefusal:
		return string(s)
	case ir.StopContentFilter:
		return string(ir.StopRefusal)
	}
	if sawTool {
		return string(ir.StopToolUse)
	}
	return string(ir.StopEndTurn)
}

type wireResponse struct {
	Type         string          `json:"type"`
	ID           string          `json:"id"`
	Model        string          `json:"model"`
	Content      json.RawMessage `json:"content"`
	StopReason   string          `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        wireUsage       `json:"usage"`
	Error        *wireError      `json:"error"`
}

// DecodeResponse reads a non-streamed upstream answer. An error body
// ({"type":"error",…}) comes back as a classified *ir.Error.
func (codec) DecodeResponse(body []byte) (*ir.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &ir.Error{Kind: ir.KindUpstream5xx, Message: "anthropic: unreadable response body", Cause: err}
	}
	if w.Type == "error" || w.Error != nil {
		return nil, errorFromWire(w.Error, 0)
	}
	resp := &ir.Response{ID: w.ID, Model: w.Model, StopReason: decodeStop(w.StopReason), Usage: w.Usage.toIR()}
	if w.StopSequence != nil {
		resp.StopSequence = *w.StopSequence
	}
	resp.Content = []ir.Block{}
	if firstByte(w.Content) == '[' {
		blocks, err := decodeBlocks(&decodeState{Walker: &jsonscan.Walker{}}, gjson.ParseBytes(w.Content), "content")
		if err != nil {
			return nil, &ir.Error{Kind: ir.KindUpstream5xx, Message: "anthropic: malformed response content", Cause: err}
		}
		resp.Content = blocks
	}
	return resp, nil
}

// EncodeResponse renders a complete answer for an Anthropic client; kinds
// of block an Anthropic message cannot hold (generated images) are dropped.
func (codec) EncodeResponse(resp *ir.Response) ([]byte, error) {
	if resp == nil {
		return nil, ir.Errorf(ir.KindInternal, "anthropic: nil response")
	}
	id := resp.ID
	if id == "" {
		id = newID("msg_")
	}
	w := bodyWriter{b: make([]byte, 0, 512)}
	w.b = append(w.b, '{')
	w.str("id", id)
	w.b = append(w.b, `,"type":"message","role":"assistant"`...)
	w.str("model", resp.Model)
	w.b = append(jsonw.AppendKey(w.b, "content"), '[')
	n, sawTool := 0, false
	for i := range resp.Content {
		b := &resp.Content[i]
		switch b.Type {
		case ir.BlockText:
			w.sep(n)
			w.text(b)
		case ir.BlockThinking:
			w.sep(n)
			w.thinking(b, wrapSignature(b.Signature, b.Origin))
		case ir.BlockRedactedThinking:
			w.sep(n)
			w.redacted(b)
		case ir.BlockToolUse:
			sawTool = true
			id := b.ToolCallID
			if id == "" {
				id = newID("toolu_")
			}
			w.sep(n)
			w.toolUse(b, id)
		default:
			continue
		}
		n++
	}
	w.b = append(w.b, ']')
	w.str("stop_reason", encodeStop(resp.StopReason, sawTool))
	if resp.StopSequence != "" {
		w.str("stop_sequence", resp.StopSequence)
	} else {
		w.b = append(jsonw.AppendKey(w.b, "stop_sequence"), "null"...)
	}
	w.b = append(appendUsage(jsonw.AppendKey(w.b, "usage"), resp.Usage), '}')
	if w.bad != "" {
		return nil, ir.Errorf(ir.KindInternal, "anthropic: cannot encode answer: %s is not valid JSON", w.bad)
	}
	return w.b, nil
}
