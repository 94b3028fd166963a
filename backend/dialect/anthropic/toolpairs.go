package anthropic

import (
	"strings"

	"switchboard/backend/ir"
)

// repairToolPairs enforces the API's pairing rule on a merged conversation:
// the user turn right after an assistant turn with tool_use blocks must
// start with a tool_result for each of them. Histories from other dialects
// break it (a client that dropped a tool message, results whose call was
// trimmed away), and the API answers 400. So:
//   - a missing result is supplied as a tool_result marked is_error;
//   - a result whose call is not in the previous assistant turn becomes a
//     text block, keeping its content readable for the model;
//   - tool_result blocks are moved first in their turn, in order.
//
// A trailing assistant turn with tool_use (a prefill) is left alone.
func repairToolPairs(msgs []ir.Message) {
	for i := range msgs {
		if msgs[i].Role != ir.RoleUser {
			continue
		}
		var calls []string
		if i > 0 && msgs[i-1].Role == ir.RoleAssistant {
			calls = toolUseIDs(msgs[i-1].Content)
		}
		if len(calls) == 0 && !hasToolResult(msgs[i].Content) {
			continue
		}
		msgs[i].Content = pairResults(msgs[i].Content, calls)
	}
}

func toolUseIDs(blocks []ir.Block) []string {
	var ids []string
	for _, b := range blocks {
		if b.Type == ir.BlockToolUse {
			ids = append(ids, b.ToolCallID)
		}
	}
	return ids
}

func hasToolResult(blocks []ir.Block) bool {
	for _, b := range blocks {
		if b.Type == ir.BlockToolResult {
			return true
		}
	}
	return false
}

// pairResults rebuilds a user turn: results for calls (in call order, the
// missing ones synthesised), then every other block in its original order
// with orphan results turned into text.
func pairResults(blocks []ir.Block, calls []string) []ir.Block {
	if pairedAlready(blocks, calls) {
		return blocks
	}
	out := make([]ir.Block, 0, len(blocks)+len(calls))
	used := make([]bool, len(blocks))
	for _, id := range calls {
		found := false
		for j, b := range blocks {
			if !used[j] && b.Type == ir.BlockToolResult && b.ToolCallID == id {
				out = append(out, b)
				used[j], found = true, true
				break
			}
		}
		if !found {
			out = append(out, ir.Block{Type: ir.BlockToolResult, ToolCallID: id, IsError: true,
				Content: []ir.Block{{Type: ir.BlockText, Text: "No result was recorded for this tool call."}}})
		}
	}
	for j, b := range blocks {
		if used[j] {
			continue
		}
		if b.Type == ir.BlockToolResult {
			b = orphanText(b)
		}
		out = append(out, b)
	}
	return out
}

// pairedAlready reports a turn pairResults would leave as it is: the
// results of calls first, in call order, and no other result after them.
func pairedAlready(blocks []ir.Block, calls []string) bool {
	if len(blocks) < len(calls) {
		return false
	}
	for i, id := range calls {
		if blocks[i].Type != ir.BlockToolResult || blocks[i].ToolCallID != id {
			return false
		}
	}
	for i := len(calls); i < len(blocks); i++ {
		if blocks[i].Type == ir.BlockToolResult {
			return false
		}
	}
	return true
}

// orphanText renders a tool result that has no call to answer as text.
func orphanText(b ir.Block) ir.Block {
	var sb strings.Builder
	sb.WriteString("[tool result")
	if b.ToolCallID != "" {
		sb.WriteString(" for ")
		sb.WriteString(b.ToolCallID)
	}
	sb.WriteString("]")
	for _, c := range b.Content {
		if c.Type == ir.BlockText && c.Text != "" {
			sb.WriteString("\n")
			sb.WriteString(c.Text)
		}
	}
	return ir.Block{Type: ir.BlockText, Text: sb.String(), CacheControl: b.CacheControl}
}
