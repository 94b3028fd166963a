package reasoning

import (
	"context"

	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
)

// NewCallID makes a tool call id for a call that came without one.
func NewCallID() string { return randid.Hex("call_", 24) }

// Restore gives a conversation back the reasoning that provider (an upstream
// of origin) issued with its tool calls and the client could not carry. It
// returns msgs itself when nothing changed; otherwise a copy (msgs is never
// modified, so a fallback to another upstream starts from the client's
// history). It reports how many calls it restored.
//
// Per assistant turn: a call without its own signature gets it back; a turn
// holding none of origin's reasoning gets the remembered reasoning back, the
// first call's at the start of the turn (Anthropic requires thinking first),
// a later call's right before that call (interleaved thinking). Memory is
// searched for the whole conversation, the database only for the current
// turn (the calls since the user last wrote), the part vendors check.
func (m *Memo) Restore(ctx context.Context, scope, provider string, origin ir.Origin, msgs []ir.Message) ([]ir.Message, int) {
	if m == nil || origin == ir.OriginNone {
		return msgs, 0
	}
	// keys[n] is the n-th call of the conversation; the current turn's
	// calls are the last ones, from index disk on.
	turn := currentTurn(msgs)
	var keys []memKey
	disk := -1
	for i := range msgs {
		if msgs[i].Role != ir.RoleAssistant {
			continue
		}
		for j := range msgs[i].Content {
			b := &msgs[i].Content[j]
			if b.Type == ir.BlockToolUse && b.ToolCallID != "" {
				if i >= turn && disk < 0 {
					disk = len(keys)
				}
				keys = append(keys, memKey{scope, b.ToolCallID})
			}
		}
	}
	if len(keys) == 0 {
		return msgs, 0
	}
	if disk < 0 {
		disk = len(keys)
	}
	// entries[n] is nil when nothing applies to this upstream.
	entries := m.lookup(ctx, keys, disk)
	some := false
	for n, e := range entries {
		if e != nil && (e.Provider != provider || e.Origin != origin) {
			entries[n] = nil
		}
		some = some || entries[n] != nil
	}
	if !some {
		return msgs, 0
	}
	var out []ir.Message
	restored, next := 0, 0
	for i := range msgs {
		if msgs[i].Role != ir.RoleAssistant {
			continue
		}
		calls := 0
		for j := range msgs[i].Content {
			if b := &msgs[i].Content[j]; b.Type == ir.BlockToolUse && b.ToolCallID != "" {
				calls++
			}
		}
		mine := entries[next : next+calls]
		next += calls
		content, n := restoreTurn(msgs[i].Content, origin, mine)
		if n == 0 {
			continue
		}
		if out == nil {
			out = make([]ir.Message, len(msgs))
			copy(out, msgs)
		}
		out[i].Content = content
		restored += n
	}
	if out == nil {
		return msgs, 0
	}
	return out, restored
}

// restoreTurn rebuilds one assistant turn from the entries of its calls (in
// order); n is 0, and blocks comes back untouched, when nothing changed.
func restoreTurn(blocks []ir.Block, origin ir.Origin, entries []*Entry) ([]ir.Block, int) {
	hasReasoning, wanted := false, false
	for i := range blocks {
		if t := blocks[i].Type; (t == ir.BlockThinking || t == ir.BlockRedactedThinking) && blocks[i].Origin == origin {
			hasReasoning = true
		}
	}
	for _, e := range entries {
		if e != nil && (e.Signature != "" || !hasReasoning && len(e.Lead) > 0) {
			wanted = true
		}
	}
	if !wanted {
		return blocks, 0
	}
	var head []ir.Block
	body := make([]ir.Block, 0, len(blocks)+2)
	n, c := 0, 0
	for i := range blocks {
		b := blocks[i]
		if b.Type != ir.BlockToolUse || b.ToolCallID == "" {
			body = append(body, b)
			continue
		}
		e := entries[c]
		c++
		if e != nil {
			changed := false
			if e.Signature != "" && (b.Origin != origin || b.Signature == "") {
				b.Signature, b.Origin = e.Signature, origin
				changed = true
			}
			if !hasReasoning && len(e.Lead) > 0 {
				if c == 1 { // the turn's first call: Anthropic wants thinking first
					head = append(head, e.Lead...)
				} else {
					body = append(body, e.Lead...)
				}
				changed = true
			}
			if changed {
				n++
			}
		}
		body = append(body, b)
	}
	if n == 0 {
		return blocks, 0
	}
	if len(head) > 0 {
		body = append(head, body...)
	}
	return body, n
}

// currentTurn is the index of the first message after the user last spoke
// (a user message carrying no tool result; Claude Code puts reminders next
// to tool results, so text alone does not end the loop): the tool loop in
// progress.
func currentTurn(msgs []ir.Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != ir.RoleUser {
			continue
		}
		loop := false
		for j := range msgs[i].Content {
			if msgs[i].Content[j].Type == ir.BlockToolResult {
				loop = true
				break
			}
		}
		if !loop {
			return i + 1
		}
	}
	return 0
}
