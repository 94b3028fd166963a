// Package tokens estimates token counts when no upstream can count them
// (count_tokens / countTokens against a model whose vendor has no counting
// endpoint). It is a heuristic: about four characters of English or code per
// token, plus fixed costs per message, tool and image, tuned to err high so
// clients that budget context (Claude Code compacts on it) stay safe.
package tokens

import (
	"unicode/utf8"

	"switchboard/backend/ir"
)

const (
	perMessage = 4
	perTool    = 8
	perImage   = 1600 // a typical 1-megapixel image on Anthropic/OpenAI scales
)

// Estimate returns an approximate prompt token count for req.
func Estimate(req *ir.Request) int {
	n := 0
	for _, b := range req.System {
		n += text(b.Text)
	}
	for _, m := range req.Messages {
		n += perMessage + blocks(m.Content)
	}
	for _, t := range req.Tools {
		n += perTool + text(t.Name) + text(t.Description) + text(string(t.Parameters))
	}
	return n
}

func blocks(bs []ir.Block) int {
	n := 0
	for i := range bs {
		b := &bs[i]
		switch b.Type {
		case ir.BlockText, ir.BlockThinking:
			n += text(b.Text)
		case ir.BlockImage:
			n += perImage
		case ir.BlockToolUse:
			n += text(b.ToolName) + text(string(b.Input))
		case ir.BlockToolResult:
			n += blocks(b.Content)
		}
	}
	return n
}

// text estimates one string: ASCII at ~4 chars/token, other scripts at
// ~1.5 runes/token (CJK is closer to one rune per token).
func text(s string) int {
	if s == "" {
		return 0
	}
	ascii, other := 0, 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			ascii++
			i++
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		other++
		i += w
	}
	return (ascii+3)/4 + (other*2+2)/3
}
