// Package kirotest builds Kiro answers in the AWS event-stream framing for
// tests (the dialect's own, the provider's and the scripted Kiro upstreams
// of the end-to-end tests); the product never imports it.
package kirotest

import (
	"encoding/binary"
	"hash/crc32"
)

// Header is a string header of a message.
type Header struct{ Name, Value string }

// Frame encodes one message with string headers and correct CRCs.
func Frame(headers []Header, payload string) []byte {
	var h []byte
	for _, kv := range headers {
		h = append(h, byte(len(kv.Name)))
		h = append(h, kv.Name...)
		h = append(h, 7) // string
		h = binary.BigEndian.AppendUint16(h, uint16(len(kv.Value)))
		h = append(h, kv.Value...)
	}
	total := 12 + len(h) + len(payload) + 4
	b := binary.BigEndian.AppendUint32(nil, uint32(total))
	b = binary.BigEndian.AppendUint32(b, uint32(len(h)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	b = append(append(b, h...), payload...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// Event is an event message as Kiro sends them.
func Event(eventType, payload string) []byte {
	return Frame([]Header{{":event-type", eventType}, {":content-type", "application/json"}, {":message-type", "event"}}, payload)
}

// Exception is an exception message.
func Exception(exceptionType, payload string) []byte {
	return Frame([]Header{{":exception-type", exceptionType}, {":content-type", "application/json"}, {":message-type", "exception"}}, payload)
}

// Text is an assistantResponseEvent with content.
func Text(content string) []byte {
	return Event("assistantResponseEvent", `{"content":`+quote(content)+`}`)
}

// ToolUse is a toolUseEvent carrying a fragment of a call's input.
func ToolUse(id, name, input string, stop bool) []byte {
	p := `{"name":` + quote(name) + `,"toolUseId":` + quote(id) + `,"input":` + quote(input)
	if stop {
		p += `,"stop":true`
	}
	return Event("toolUseEvent", p+"}")
}

// Tail is what Kiro sends after an answer: the credits spent and how full
// the context is.
func Tail(contextPct string) []byte {
	return append(Event("meteringEvent", `{"unit":"credit","unitPlural":"credits","usage":0.017}`),
		Event("contextUsageEvent", `{"contextUsagePercentage":`+contextPct+`}`)...)
}

// quote is a JSON string literal (test strings are plain).
func quote(s string) string {
	out := []byte{'"'}
	for _, c := range []byte(s) {
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '"'))
}
