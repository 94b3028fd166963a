package ir

import "unsafe"

// Escaped is a long text as its JSON source wrote it, between the quotes
// with its escapes kept. A decoder that reads JSON keeps it so an encoder
// writing JSON copies those bytes instead of escaping the decoded text
// again: an agent's conversation has an escape every ~20 bytes, and
// re-escaping it was a fifth of a translation's CPU.
//
// It is bound to the very string it was decoded into (address and
// length): a block whose Text was changed afterwards, by anyone, no longer
// matches and is escaped from Text as usual. Raw must be valid JSON string
// contents (the decoder's body was checked).
type Escaped struct {
	text *byte
	n    int
	raw  string
}

// NewEscaped binds raw, the JSON-escaped form, to text, its decoding.
func NewEscaped(text, raw string) *Escaped {
	return &Escaped{text: unsafe.StringData(text), n: len(text), raw: raw}
}

// EscapedText returns b.Text as its JSON source wrote it, when b still
// holds the text that form was decoded into.
func (b *Block) EscapedText() (string, bool) {
	e := b.Escaped
	if e == nil || len(b.Text) != e.n || unsafe.StringData(b.Text) != e.text {
		return "", false
	}
	return e.raw, true
}
