package responses

import (
	"strings"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/ir"
)

// itemEncoder renders hub messages as Responses input items, in order.
type itemEncoder struct {
	tx          toolIndex
	customCalls map[string]bool // call ids of custom calls: their results are custom outputs
	n           int             // items written so far
}

func (e *itemEncoder) begin(b []byte) []byte {
	if e.n > 0 {
		b = append(b, ',')
	}
	e.n++
	return b
}

func (e *itemEncoder) message(b []byte, m *ir.Message) []byte {
	switch m.Role {
	case ir.RoleAssistant:
		return e.assistant(b, m.Content)
	case ir.RoleSystem:
		// A mid-conversation system message stays in place as a developer
		// message, the role Responses gives instructions inside the input.
		return e.textMessage(b, "developer", m.Content)
	}
	return e.user(b, m.Content)
}

// developerItems writes the system blocks that came from input items, one
// developer message per original item (consecutive blocks sharing an id).
func (e *itemEncoder) developerItems(b []byte, sys []ir.Block) []byte {
	for i := 0; i < len(sys); {
		if sys[i].ID == "" {
			i++
			continue
		}
		j := i + 1
		for j < len(sys) && sys[j].ID == sys[i].ID {
			j++
		}
		b = e.textMessage(b, "developer", sys[i:j])
		i = j
	}
	return b
}

// user writes a user turn: runs of text/image blocks as message items, tool
// results as call output items, keeping their order.
func (e *itemEncoder) user(b []byte, blocks []ir.Block) []byte {
	for i := 0; i < len(blocks); {
		if blocks[i].Type == ir.BlockToolResult {
			b = e.toolResult(b, &blocks[i])
			i++
			continue
		}
		j := i
		for j < len(blocks) && blocks[j].Type != ir.BlockToolResult {
			j++
		}
		b = e.textMessage(b, "user", blocks[i:j])
		i = j
	}
	return b
}

// textMessage writes one message item of input parts; nothing when no block
// can be carried (never an empty message).
func (e *itemEncoder) textMessage(b []byte, role string, blocks []ir.Block) []byte {
	start := len(b)
	b = e.begin(b)
	b = append(b, `{"type":"message","role":`...)
	b = appendString(b, role)
	b = append(b, `,"content":[`...)
	open := len(b)
	for i := range blocks {
		b = appendInputPart(b, &blocks[i], len(b) > open)
	}
	if len(b) == open {
		e.n--
		return b[:start]
	}
	return append(b, ']', '}')
}

// appendInputPart appends an input_text or input_image part.
func appendInputPart(b []byte, blk *ir.Block, comma bool) []byte {
	switch blk.Type {
	case ir.BlockText:
		if blk.Text == "" {
			return b
		}
		if comma {
			b = append(b, ',')
		}
		b = append(b, `{"type":"input_text","text":`...)
		b = jsonw.AppendText(b, blk)
		return append(b, '}')
	case ir.BlockImage:
		if blk.Data == "" && blk.URL == "" {
			return b
		}
		if comma {
			b = append(b, ',')
		}
		b = append(b, `{"type":"input_image","image_url":`...)
		b = appendImageURL(b, blk)
		return append(b, `,"detail":"auto"}`...)
	}
	return b
}

// appendImageURL appends the image as a JSON string: its URL, or a data URL.
func appendImageURL(b []byte, blk *ir.Block) []byte {
	if blk.Data == "" {
		return appendString(b, blk.URL)
	}
	mt := blk.MediaType
	if mt == "" {
		mt = "image/png"
	}
	b = append(b, `"data:`...)
	b = appendEscaped(b, mt)
	b = append(b, ";base64,"...)
	b = appendEscaped(b, blk.Data)
	return append(b, '"')
}

func (e *itemEncoder) assistant(b []byte, blocks []ir.Block) []byte {
	for i := 0; i < len(blocks); {
		blk := &blocks[i]
		switch blk.Type {
		case ir.BlockText:
			j := i
			for j < len(blocks) && blocks[j].Type == ir.BlockText {
				j++
			}
			b = e.assistantText(b, blocks[i:j])
			i = j
			continue
		case ir.BlockThinking:
			b = e.reasoning(b, blk)
		case ir.BlockToolUse:
			b = e.toolUse(b, blk)
		}
		// Redacted thinking and foreign thinking cannot be replayed to
		// OpenAI; images are not assistant output here.
		i++
	}
	return b
}

func (e *itemEncoder) assistantText(b []byte, blocks []ir.Block) []byte {
	start := len(b)
	b = e.begin(b)
	b = append(b, `{"type":"message","role":"assistant","content":[`...)
	open := len(b)
	for i := range blocks {
		if blocks[i].Text == "" {
			continue
		}
		if len(b) > open {
			b = append(b, ',')
		}
		b = append(b, `{"type":"output_text","text":`...)
		b = jsonw.AppendText(b, &blocks[i])
		b = append(b, `,"annotations":[]}`...)
	}
	if len(b) == open {
		e.n--
		return b[:start]
	}
	return append(b, ']', '}')
}

// reasoning replays an OpenAI reasoning item. Only encrypted reasoning made
// by OpenAI can go back (store:false leaves nothing to reference by id).
func (e *itemEncoder) reasoning(b []byte, blk *ir.Block) []byte {
	if blk.Origin != ir.OriginOpenAI || blk.Signature == "" {
		return b
	}
	b = e.begin(b)
	b = append(b, `{"type":"reasoning"`...)
	if strings.HasPrefix(blk.ID, prefixReasoning) {
		b = appendStringField(b, "id", blk.ID)
	}
	b = appendSummary(b, blk.Text)
	b = appendStringField(b, "encrypted_content", blk.Signature)
	return append(b, '}')
}

// appendSummary appends `"summary":[…]` with the text as one summary part.
func appendSummary(b []byte, text string) []byte {
	b = appendKey(b, "summary")
	if text == "" {
		return append(b, '[', ']')
	}
	b = append(b, `[{"type":"summary_text","text":`...)
	b = appendString(b, text)
	return append(b, '}', ']')
}

func (e *itemEncoder) toolUse(b []byte, blk *ir.Block) []byte {
	b = e.begin(b)
	if e.tx.isCustomCall(blk) {
		if e.customCalls == nil {
			e.customCalls = make(map[string]bool)
		}
		e.customCalls[blk.ToolCallID] = true
		b = append(b, `{"type":"custom_tool_call"`...)
		if strings.HasPrefix(blk.ID, prefixCustom) {
			b = appendStringField(b, "id", blk.ID)
		}
		b = appendStringField(b, "call_id", blk.ToolCallID)
		b = appendStringField(b, "name", blk.ToolName)
		b = appendStringField(b, "input", customText(blk.Input))
		return append(b, '}')
	}
	b = append(b, `{"type":"function_call"`...)
	if strings.HasPrefix(blk.ID, prefixFunction) {
		b = appendStringField(b, "id", blk.ID)
	}
	b = appendStringField(b, "call_id", blk.ToolCallID)
	ns, name := e.tx.splitName(blk.ToolName, false)
	b = appendStringField(b, "name", name)
	if ns != "" {
		b = appendStringField(b, "namespace", ns)
	}
	b = appendStringField(b, "arguments", argsString(blk.Input))
	return append(b, '}')
}

func argsString(in []byte) string {
	if len(in) == 0 {
		return "{}"
	}
	return string(in)
}

// toolResult writes a function_call_output (or custom_tool_call_output).
// Text-only output is a plain string, the form every Responses server takes;
// output with images is an array of input parts.
func (e *itemEncoder) toolResult(b []byte, blk *ir.Block) []byte {
	b = e.begin(b)
	if e.customCalls[blk.ToolCallID] {
		b = append(b, `{"type":"custom_tool_call_output"`...)
	} else {
		b = append(b, `{"type":"function_call_output"`...)
	}
	b = appendStringField(b, "call_id", blk.ToolCallID)
	b = appendKey(b, "output")
	if text, ok := plainText(blk.Content); ok {
		b = appendString(b, text)
		return append(b, '}')
	}
	b = append(b, '[')
	open := len(b)
	for i := range blk.Content {
		b = appendInputPart(b, &blk.Content[i], len(b) > open)
	}
	return append(b, ']', '}')
}

// plainText joins text-only content; ok is false when it holds an image.
func plainText(content []ir.Block) (string, bool) {
	switch {
	case len(content) == 0:
		return "", true
	case len(content) == 1 && content[0].Type == ir.BlockText:
		return content[0].Text, true
	}
	var sb strings.Builder
	for i := range content {
		if content[i].Type != ir.BlockText {
			return "", false
		}
		if sb.Len() > 0 && content[i].Text != "" {
			sb.WriteString("\n\n")
		}
		sb.WriteString(content[i].Text)
	}
	return sb.String(), true
}
