package ir

import (
	"strings"
	"testing"
)

// The escaped form applies only to the exact string it was decoded into.
func TestEscapedTextFollowsItsText(t *testing.T) {
	text := strings.Repeat("line \"q\"\n", 40)
	raw := strings.Repeat(`line \"q\"\n`, 40)
	b := Block{Type: BlockText, Text: text, Escaped: NewEscaped(text, raw)}
	if got, ok := b.EscapedText(); !ok || got != raw {
		t.Fatalf("fresh block: %q, %v", got, ok)
	}
	c := b // blocks are copied by value all over: the copy still matches
	if _, ok := c.EscapedText(); !ok {
		t.Fatal("a copied block lost its escaped form")
	}
	for name, changed := range map[string]string{
		"shortened (same start)": text[:len(text)-1],
		"replaced, same length":  strings.Repeat("x", len(text)),
		"appended":               text + "!",
		"cleared":                "",
	} {
		c.Text = changed
		if got, ok := c.EscapedText(); ok {
			t.Errorf("%s: still returns the old form %q", name, got[:20])
		}
	}
	var none Block
	if _, ok := none.EscapedText(); ok {
		t.Error("a block without one returned an escaped form")
	}
}
