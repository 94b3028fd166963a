package dialect

import (
	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// minEscaped is the shortest text whose form as written is kept
// (ir.Escaped): a shorter one costs more to track than to escape again.
const minEscaped = 256

// TextOf is the string v holds and, when it is long and had escapes, the
// string as the body wrote it, for JSON encoders to copy (see ir.Escaped).
func TextOf(v gjson.Result) (string, *ir.Escaped) {
	// Decoding an escape always shortens the text: equal lengths mean none.
	if v.Type != gjson.String || len(v.Str) < minEscaped || len(v.Raw) < 2 || len(v.Raw)-2 == len(v.Str) {
		return v.Str, nil
	}
	return v.Str, ir.NewEscaped(v.Str, v.Raw[1:len(v.Raw)-1])
}

// TextBlock is a text block holding the string v (see TextOf).
func TextBlock(v gjson.Result) ir.Block {
	b := ir.Block{Type: ir.BlockText}
	b.Text, b.Escaped = TextOf(v)
	return b
}
