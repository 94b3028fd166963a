package openai

import (
	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/ir"
)

// toolImageNote replaces an image inside a tool result: Chat tool messages
// carry text only, so the image travels in the user message that follows.
const toolImageNote = "[image: attached in the next user message]"

// appendMessages writes the messages array body: the system prompt as one
// leading system message, then every turn in order.
func appendMessages(b []byte, req *ir.Request, opt RequestOptions) []byte {
	if sys := joinText(req.System, ir.BlockText, "\n\n"); sys != "" {
		b = appendTextMessage(b, "system", sys)
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case ir.RoleSystem:
			if t := joinText(m.Content, ir.BlockText, "\n\n"); t != "" {
				b = appendTextMessage(b, "system", t)
			}
		case ir.RoleAssistant:
			b = appendAssistant(b, m, opt)
		default:
			b = appendUser(b, m)
		}
	}
	return b
}

// elem starts an array element, adding the comma when one came before.
func elem(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] != '[' {
		b = append(b, ',')
	}
	return b
}

func appendTextMessage(b []byte, role, text string) []byte {
	b = append(elem(b), `{"role":"`...)
	b = append(b, role...)
	b = append(b, `","content":`...)
	b = appendString(b, text)
	return append(b, '}')
}

// appendUser writes a user turn. Tool results become tool messages first
// (they must follow the assistant's tool_calls directly), then whatever
// else the turn holds becomes one user message.
func appendUser(b []byte, m *ir.Message) []byte {
	other, resultImages := 0, 0
	for i := range m.Content {
		blk := &m.Content[i]
		switch blk.Type {
		case ir.BlockToolResult:
			b = appendToolMessage(b, blk)
			resultImages += countImages(blk.Content)
		case ir.BlockText, ir.BlockImage:
			if blk.Type == ir.BlockImage || blk.Text != "" {
				other++
			}
		}
	}
	if other+resultImages == 0 {
		return b
	}
	b = append(elem(b), `{"role":"user","content":`...)
	if other == 1 && resultImages == 0 && hasText(m.Content, ir.BlockText) {
		b = jsonw.AppendJoined(b, m.Content, ir.BlockText, "")
		return append(b, '}')
	}
	b = append(b, '[')
	for i := range m.Content {
		blk := &m.Content[i]
		if blk.Type == ir.BlockToolResult {
			continue
		}
		b = appendPart(b, blk)
	}
	for i := range m.Content { // images of tool results, announced by toolImageNote
		if m.Content[i].Type != ir.BlockToolResult {
			continue
		}
		for j := range m.Content[i].Content {
			if c := &m.Content[i].Content[j]; c.Type == ir.BlockImage {
				b = appendPart(b, c)
			}
		}
	}
	return append(b, ']', '}')
}

func countImages(blocks []ir.Block) int {
	n := 0
	for i := range blocks {
		if blocks[i].Type == ir.BlockImage {
			n++
		}
	}
	return n
}

// appendPart writes a text or image content part; other blocks are skipped.
func appendPart(b []byte, blk *ir.Block) []byte {
	switch {
	case blk.Type == ir.BlockText && blk.Text != "":
		b = append(elem(b), `{"type":"text","text":`...)
		b = jsonw.AppendText(b, blk)
		return append(b, '}')
	case blk.Type == ir.BlockImage && (blk.Data != "" || blk.URL != ""):
		b = append(elem(b), `{"type":"image_url","image_url":{"url":"`...)
		if blk.Data != "" {
			b = append(b, "data:"...)
			b = appendStringBody(b, blk.MediaType)
			b = append(b, ";base64,"...)
			b = appendStringBody(b, blk.Data)
		} else {
			b = appendStringBody(b, blk.URL)
		}
		return append(b, `"}}`...)
	}
	return b
}

func appendToolMessage(b []byte, blk *ir.Block) []byte {
	b = append(elem(b), `{"role":"tool","tool_call_id":`...)
	b = appendString(b, blk.ToolCallID)
	b = append(b, `,"content":`...)
	if countImages(blk.Content) == 0 {
		b = jsonw.AppendJoined(b, blk.Content, ir.BlockText, "\n\n")
		return append(b, '}')
	}
	text := joinText(blk.Content, ir.BlockText, "\n\n")
	if text != "" {
		text += "\n"
	}
	b = appendString(b, text+toolImageNote)
	return append(b, '}')
}

// appendAssistant writes an assistant turn: its text joined as content
// (null when it only calls tools) and its tool_use blocks as tool_calls.
// Thinking is dropped unless the upstream wants reasoning_content back.
func appendAssistant(b []byte, m *ir.Message, opt RequestOptions) []byte {
	text := hasText(m.Content, ir.BlockText)
	calls := 0
	for i := range m.Content {
		if m.Content[i].Type == ir.BlockToolUse {
			calls++
		}
	}
	if !text && calls == 0 {
		return b
	}
	b = append(elem(b), `{"role":"assistant","content":`...)
	if !text {
		b = append(b, "null"...)
	} else {
		b = jsonw.AppendJoined(b, m.Content, ir.BlockText, "\n\n")
	}
	if opt.ReasoningContent {
		if t := joinText(m.Content, ir.BlockThinking, ""); t != "" {
			b = appendStringField(b, "reasoning_content", t)
		}
	}
	if calls > 0 {
		b = appendToolCalls(appendKey(b, "tool_calls"), m.Content)
	}
	return append(b, '}')
}

func appendToolCalls(b []byte, blocks []ir.Block) []byte {
	b = append(b, '[')
	for i := range blocks {
		blk := &blocks[i]
		if blk.Type != ir.BlockToolUse {
			continue
		}
		b = append(elem(b), `{"id":`...)
		b = appendString(b, blk.ToolCallID)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = appendString(b, blk.ToolName)
		b = append(b, `,"arguments":`...)
		if len(blk.Input) == 0 {
			b = append(b, `"{}"`...)
		} else {
			b = appendString(b, blk.Input)
		}
		b = append(b, '}', '}')
	}
	return append(b, ']')
}
