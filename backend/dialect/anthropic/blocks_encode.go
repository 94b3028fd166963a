package anthropic

import (
	"encoding/json"
	"strings"

	"switchboard/backend/ir"
)

type outText struct {
	Type         string          `json:"type"`
	Text         string          `json:"text"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type outMedia struct {
	Type         string          `json:"type"` // image or document
	Source       outSource       `json:"source"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type outSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type outToolUse struct {
	Type         string          `json:"type"`
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type outToolResult struct {
	Type         string          `json:"type"`
	ToolUseID    string          `json:"tool_use_id"`
	Content      any             `json:"content,omitempty"`
	IsError      bool            `json:"is_error,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type outThinking struct {
	Type      string `json:"type"`
	Thinking  string `json:"thinking"`
	Signature string `json:"signature"`
}

type outRedacted struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

func encodeMessages(msgs []ir.Message) []outMessage {
	out := make([]outMessage, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		role := "user"
		if m.Role == ir.RoleAssistant {
			role = "assistant"
		}
		content := make([]any, 0, len(m.Content))
		for j := range m.Content {
			if b := encodeBlock(&m.Content[j]); b != nil {
				content = append(content, b)
			}
		}
		out[i] = outMessage{Role: role, Content: content}
	}
	return out
}

// encodeBlock renders one (already filtered) block. Thinking text and
// signature are replayed exactly as the upstream produced them.
func encodeBlock(b *ir.Block) any {
	switch b.Type {
	case ir.BlockText:
		return outText{Type: "text", Text: b.Text, CacheControl: b.CacheControl}
	case ir.BlockImage:
		return encodeMedia(b)
	case ir.BlockToolUse:
		return outToolUse{Type: "tool_use", ID: b.ToolCallID, Name: b.ToolName,
			Input: validObject(b.Input), CacheControl: b.CacheControl}
	case ir.BlockToolResult:
		return outToolResult{Type: "tool_result", ToolUseID: b.ToolCallID,
			Content: encodeResultContent(b.Content), IsError: b.IsError, CacheControl: b.CacheControl}
	case ir.BlockThinking:
		return outThinking{Type: "thinking", Thinking: b.Text, Signature: b.Signature}
	case ir.BlockRedactedThinking:
		return outRedacted{Type: "redacted_thinking", Data: b.Data}
	}
	return nil
}

// encodeResultContent sends a lone text result as a plain string (what most
// clients send) and anything richer as blocks.
func encodeResultContent(blocks []ir.Block) any {
	if len(blocks) == 1 && blocks[0].Type == ir.BlockText && blocks[0].CacheControl == nil {
		return blocks[0].Text
	}
	var out []any
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Type == ir.BlockText && b.Text != "":
			out = append(out, outText{Type: "text", Text: b.Text, CacheControl: b.CacheControl})
		case b.Type == ir.BlockImage && (b.Data != "" || b.URL != ""):
			out = append(out, encodeMedia(b))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// encodeMedia renders an image, or a PDF carried on an image block, with a
// base64 or url source. data: URLs from OpenAI-style clients are unpacked.
func encodeMedia(b *ir.Block) outMedia {
	mediaType, data, url := b.MediaType, b.Data, b.URL
	if data == "" && strings.HasPrefix(url, "data:") {
		if mt, d, ok := parseDataURL(url); ok {
			mediaType, data, url = mt, d, ""
		}
	}
	kind := "image"
	if mediaType == "application/pdf" {
		kind = "document"
	}
	if data != "" {
		return outMedia{Type: kind, Source: outSource{Type: "base64", MediaType: mediaType, Data: data}, CacheControl: b.CacheControl}
	}
	return outMedia{Type: kind, Source: outSource{Type: "url", URL: url}, CacheControl: b.CacheControl}
}

// parseDataURL splits "data:<media type>;base64,<data>".
func parseDataURL(u string) (mediaType, data string, ok bool) {
	meta, data, found := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !isBase64 {
		return "", "", false
	}
	return mediaType, data, true
}
