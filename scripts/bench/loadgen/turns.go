package main

import (
	"fmt"

	"github.com/tidwall/gjson"
)

// An agent's requests are turns of one conversation: each repeats the
// last up to its newest message, and agents running side by side share
// their tools and system prompt but not their conversations. A worker
// sending an agent body (-body) does the same: its body is marked with
// the worker in the conversation's first message, and each request with
// its number in the conversation's last message. Both marks overwrite
// letters in place, so the body keeps its size and stays valid JSON.

// markLen is the length of both marks.
const markLen = 12

// turnMarks are where a body's two marks go (-1: nowhere).
type turnMarks struct{ first, last int }

// conversationKey is the member holding a dialect's conversation.
func conversationKey(dialect string) string {
	switch dialect {
	case "responses":
		return "input"
	case "gemini":
		return "contents"
	}
	return "messages"
}

// findTurnMarks finds, in the conversation of body, a run of markLen
// plain letters in its first long string and one in its last.
func findTurnMarks(body []byte, dialect string) turnMarks {
	m := turnMarks{-1, -1}
	conv := gjson.GetBytes(body, conversationKey(dialect))
	if !conv.IsArray() || conv.Index <= 0 {
		return m
	}
	raw := conv.Raw
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		end := i + 1
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				end++
			}
			end++
		}
		if end-i > 64 {
			if at := plainRun(raw[i+1 : end]); at >= 0 {
				if m.first < 0 {
					m.first = conv.Index + i + 1 + at
				}
				m.last = conv.Index + i + 1 + at
			}
		}
		i = end
	}
	if m.first == m.last {
		m.last = -1
	}
	return m
}

// plainRun is where s has markLen letters, digits or spaces in a row that
// no backslash comes right before, or -1.
func plainRun(s string) int {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ' {
			if run == 0 && i > 0 && s[i-1] == '\\' {
				continue
			}
			if run++; run == markLen {
				return i + 1 - markLen
			}
			continue
		}
		run = 0
	}
	return -1
}

// markConversation writes worker's mark into body's first message.
func (m turnMarks) markConversation(body []byte, worker int) {
	if m.first >= 0 {
		copy(body[m.first:], fmt.Sprintf("agent%07d", worker%10_000_000))
	}
}

// markTurn writes the request's number into body's last message.
func (m turnMarks) markTurn(body []byte, n int) {
	if m.last >= 0 {
		copy(body[m.last:], fmt.Sprintf("turn%08d", n%100_000_000))
	}
}
