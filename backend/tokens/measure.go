package tokens

import (
	"switchboard/backend/ir"
)

// measure is what a request holds, in tokens of one BPE encoding, before a
// vendor profile turns it into that vendor's count.
type measure struct {
	system     int // system prompt text
	text       int // message text (mid-conversation system messages included)
	thinking   int // replayed reasoning text
	messages   int // turns, the system prompt counted as one when present
	calls      int // tool_use blocks
	callTokens int // their names and JSON arguments
	results    int // tool_result blocks
	resultText int // text inside them
	tools      int // function tool definitions
	toolDefs   int // their rendering (see toolStyle)
	schema     int // a response_format JSON schema
	images     []imageDims
	signatures int  // bytes of replayed opaque reasoning (thought signatures, encrypted reasoning)
	loopSigs   int  // the part of signatures after the last user turn with text: the current tool loop
	thinkingOn bool // extended thinking asked for with a budget (or adaptive); an effort alone is not
}

type imageDims struct{ w, h int }

func measureRequest(req *ir.Request, enc encoding, style toolStyle) measure {
	var m measure
	for _, b := range req.System {
		m.system += enc.count(b.Text)
	}
	if len(req.System) > 0 {
		m.messages++
	}
	for _, msg := range req.Messages {
		m.messages++
		if msg.Role == ir.RoleUser && hasUserText(msg.Content) {
			m.loopSigs = 0
		}
		before := m.signatures
		m.blocks(msg.Content, enc, false, msg.Role == ir.RoleAssistant)
		m.loopSigs += m.signatures - before
	}
	for i := range req.Tools {
		if k := req.Tools[i].Kind; k == ir.ToolKindFunction || k == "" {
			m.tools++
		}
	}
	if m.tools > 0 {
		m.toolDefs = enc.count(renderTools(req.Tools, style))
	}
	if rf := req.ResponseFormat; rf != nil && len(rf.Schema) > 0 {
		m.schema = enc.count(string(rf.Schema))
	}
	if r := req.Reasoning; r != nil && !r.Disabled && (r.BudgetTokens != 0 || r.Adaptive) {
		m.thinkingOn = true
	}
	return m
}

// blocks measures one turn's content. In an assistant turn, a leading
// <think>…</think> in the text (Qwen3, DeepSeek-R1, GLM answers replayed
// verbatim) is reasoning, which those models' chat templates strip from
// history: it is counted as thinking, not text.
func (m *measure) blocks(bs []ir.Block, enc encoding, inResult, assistant bool) {
	for i := range bs {
		b := &bs[i]
		switch b.Type {
		case ir.BlockText:
			switch {
			case inResult:
				m.resultText += enc.count(b.Text)
			case assistant:
				think, rest := ir.SplitThinkTags(b.Text)
				m.thinking += enc.count(think)
				m.text += enc.count(rest)
			default:
				m.text += enc.count(b.Text)
			}
		case ir.BlockThinking:
			m.thinking += enc.count(b.Text)
			m.signatures += len(b.Signature)
		case ir.BlockRedactedThinking:
			m.signatures += len(b.Data)
		case ir.BlockImage:
			w, h := imageSize(b.Data)
			m.images = append(m.images, imageDims{w, h})
		case ir.BlockToolUse:
			m.signatures += len(b.Signature)
			m.calls++
			m.callTokens += enc.count(b.ToolName) + enc.count(string(b.Input))
		case ir.BlockToolResult:
			m.results++
			m.blocks(b.Content, enc, true, false)
		}
	}
}

// hasUserText reports whether a user turn says something of its own, as
// opposed to only returning tool results: such a turn closes the previous
// tool loop.
func hasUserText(bs []ir.Block) bool {
	for i := range bs {
		if t := bs[i].Type; t == ir.BlockText || t == ir.BlockImage {
			return true
		}
	}
	return false
}
