package anthropic

import (
	"strconv"
	"strings"

	"switchboard/backend/ir"
)

// normalizeMessages reshapes an IR conversation of any origin into one the
// public Messages API accepts:
//   - blocks it cannot take are dropped: empty text, thinking without an
//     Anthropic signature, foreign redacted thinking;
//   - a RoleSystem message before the first assistant turn joins the system
//     prompt (returned as extraSystem); a later one becomes a
//     <system-reminder> text block inside the adjacent user turn, never a
//     turn of its own;
//   - consecutive same-role turns are merged and empty turns vanish;
//   - tool ids are made valid and every tool_use gets its tool_result in the
//     next user turn (see repairToolPairs).
func normalizeMessages(msgs []ir.Message) (extraSystem []ir.Block, out []ir.Message) {
	out = make([]ir.Message, 0, len(msgs))
	ids := toolIDs{}
	var pending []ir.Block // reminders waiting for the next user turn
	seenAssistant := false
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case ir.RoleSystem:
			text := systemText(m.Content)
			if text == nil {
				continue
			}
			if !seenAssistant {
				extraSystem = append(extraSystem, text...)
				continue
			}
			rem := reminder(text)
			if n := len(out); n > 0 && out[n-1].Role == ir.RoleUser {
				out[n-1].Content = append(out[n-1].Content, rem)
			} else {
				pending = append(pending, rem)
			}
		case ir.RoleAssistant:
			blocks := filterBlocks(m.Content, ir.RoleAssistant, i, &ids)
			if len(blocks) == 0 {
				continue
			}
			seenAssistant = true
			out = appendTurn(out, ir.RoleAssistant, blocks)
		default:
			blocks := filterBlocks(m.Content, ir.RoleUser, i, &ids)
			if len(pending) > 0 {
				blocks = insertAfterResults(blocks, pending)
				pending = nil
			}
			if len(blocks) == 0 {
				continue
			}
			out = appendTurn(out, ir.RoleUser, blocks)
		}
	}
	if len(pending) > 0 {
		extraSystem = placeTrailingReminders(out, pending, extraSystem)
	}
	repairToolPairs(out)
	return extraSystem, out
}

// insertAfterResults puts reminders where they came in the conversation:
// before the turn's own content but after its tool results, which the API
// wants first.
func insertAfterResults(blocks, reminders []ir.Block) []ir.Block {
	at := 0
	for at < len(blocks) && blocks[at].Type == ir.BlockToolResult {
		at++
	}
	out := make([]ir.Block, 0, len(blocks)+len(reminders))
	out = append(out, blocks[:at]...)
	out = append(out, reminders...)
	return append(out, blocks[at:]...)
}

// placeTrailingReminders puts reminders that came after the last user turn
// into that turn; with no user turn at all they join the system prompt.
func placeTrailingReminders(out []ir.Message, pending, extraSystem []ir.Block) []ir.Block {
	for j := len(out) - 1; j >= 0; j-- {
		if out[j].Role == ir.RoleUser {
			out[j].Content = append(out[j].Content, pending...)
			return extraSystem
		}
	}
	return append(extraSystem, pending...)
}

// appendTurn adds blocks as a turn, merging with the previous turn when it
// has the same role (the API wants strictly alternating turns).
func appendTurn(out []ir.Message, role ir.Role, blocks []ir.Block) []ir.Message {
	if n := len(out); n > 0 && out[n-1].Role == role {
		out[n-1].Content = append(out[n-1].Content, blocks...)
		return out
	}
	return append(out, ir.Message{Role: role, Content: blocks})
}

// systemText returns the non-empty text blocks of a system message.
func systemText(blocks []ir.Block) []ir.Block {
	var out []ir.Block
	for _, b := range blocks {
		if b.Type == ir.BlockText && b.Text != "" {
			out = append(out, ir.Block{Type: ir.BlockText, Text: b.Text, CacheControl: b.CacheControl})
		}
	}
	return out
}

// reminder wraps a mid-conversation system message the way Claude Code
// itself marks system text inside user turns.
func reminder(text []ir.Block) ir.Block {
	parts := make([]string, len(text))
	for i, b := range text {
		parts[i] = b.Text
	}
	s := strings.Join(parts, "\n\n")
	if !strings.HasPrefix(strings.TrimSpace(s), "<system-reminder>") {
		s = "<system-reminder>\n" + s + "\n</system-reminder>"
	}
	return ir.Block{Type: ir.BlockText, Text: s}
}

// filterBlocks keeps the blocks an Anthropic upstream accepts in a turn of
// role, fixing tool ids on the way. msgIdx seeds generated ids so the same
// IR always encodes to the same bytes (prompt caching depends on it). A turn
// that needs no change (most of an Anthropic-shaped conversation) is
// returned as it is, capped so that merging turns copies it: the caller's
// IR is never written to.
func filterBlocks(in []ir.Block, role ir.Role, msgIdx int, ids *toolIDs) []ir.Block {
	if keepsAll(in, role) {
		return in[:len(in):len(in)]
	}
	out := make([]ir.Block, 0, len(in))
	for j, b := range in {
		if !accepted(&b, role) {
			continue
		}
		switch b.Type {
		case ir.BlockToolUse:
			b.ToolCallID = ids.call(b.ToolCallID, msgIdx, j)
		case ir.BlockToolResult:
			b.ToolCallID = ids.result(b.ToolCallID)
		}
		out = append(out, b)
	}
	return out
}

// accepted reports whether an Anthropic upstream takes b in a turn of role.
func accepted(b *ir.Block, role ir.Role) bool {
	switch b.Type {
	case ir.BlockText:
		return b.Text != ""
	case ir.BlockImage:
		return b.Data != "" || b.URL != ""
	case ir.BlockThinking:
		return role == ir.RoleAssistant && b.Origin == ir.OriginAnthropic && b.Signature != ""
	case ir.BlockRedactedThinking:
		return role == ir.RoleAssistant && b.Origin == ir.OriginAnthropic && b.Data != ""
	case ir.BlockToolUse, ir.BlockToolResult:
		return true
	}
	return false
}

// keepsAll reports whether filterBlocks would keep every block unchanged:
// all accepted, every tool id present and already valid (ids.call and
// ids.result change nothing then).
func keepsAll(in []ir.Block, role ir.Role) bool {
	for i := range in {
		b := &in[i]
		if !accepted(b, role) {
			return false
		}
		if (b.Type == ir.BlockToolUse || b.Type == ir.BlockToolResult) && !validID(b.ToolCallID) {
			return false
		}
	}
	return true
}

// toolIDs makes tool ids valid for Anthropic (^[a-zA-Z0-9_-]+$) and pairs
// calls that had no id with the id-less results that follow them, in order.
type toolIDs struct{ unnamed []string }

func (t *toolIDs) call(id string, msgIdx, blockIdx int) string {
	if id != "" {
		return sanitizeID(id)
	}
	id = "toolu_sb" + strconv.Itoa(msgIdx) + "_" + strconv.Itoa(blockIdx)
	t.unnamed = append(t.unnamed, id)
	return id
}

func (t *toolIDs) result(id string) string {
	if id != "" {
		return sanitizeID(id)
	}
	if len(t.unnamed) == 0 {
		return ""
	}
	id = t.unnamed[0]
	t.unnamed = t.unnamed[1:]
	return id
}

// validID reports a non-empty id made only of the bytes Anthropic allows.
func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return false
		}
	}
	return id != ""
}

func sanitizeID(id string) string {
	if validID(id) || id == "" {
		return id
	}
	b := []byte(id)
	for i, c := range b {
		if !idByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func idByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
