package gateway

import (
	"bytes"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

// Stream usage on the OpenAI pass-through: an OpenAI chat stream carries
// token counts only when the request asks for them
// (stream_options.include_usage), so a client that did not ask would leave
// its log row without tokens (and cost). The gateway always asks, and
// drops the trailing usage-only chunk (choices: []) on the way back when
// the client did not, after reading its usage: the client sees the stream
// it asked for. Other dialects' streams carry usage unasked; the translated
// path's OpenAI encoder asks too.

// includeUsageMember is put first in a pass-through body that has no
// stream_options.
var includeUsageMember = []byte(`"stream_options":{"include_usage":true},`)

// clientAsksUsage reports whether the client's stream_options asked for
// the usage chunk.
func (x *exchange) clientAsksUsage() bool {
	return gjson.GetBytes(x.streamOpts, "include_usage").Type == gjson.True
}

// askStreamUsage makes a same-dialect OpenAI stream request ask for usage
// and notes whether the answer's usage chunk must be hidden. Without
// stream_options the member goes in as one more part after the opening
// brace (no copy); a stream_options that does not ask is rewritten (a
// copy, rare).
func (x *exchange) askStreamUsage(up dialect.Name, parts [][]byte) [][]byte {
	x.hideUsage = false
	if up != dialect.OpenAIChat || !x.req.Stream || len(parts) == 0 || x.clientAsksUsage() {
		return parts
	}
	x.hideUsage = true
	if x.streamOpts == nil {
		first := parts[0]
		i := bytes.IndexByte(first, '{')
		if i < 0 {
			x.hideUsage = false
			return parts
		}
		out := make([][]byte, 0, len(parts)+2)
		out = append(out, first[:i+1], includeUsageMember, first[i+1:])
		return append(out, parts[1:]...)
	}
	b, err := sjson.SetBytes(bytes.Join(parts, nil), "stream_options.include_usage", true)
	if err != nil {
		x.hideUsage = false
		return parts
	}
	return [][]byte{b}
}

// hasUsage reports a usage event among evs.
func hasUsage(evs []ir.Event) bool {
	for i := range evs {
		if evs[i].Type == ir.EvUsage {
			return true
		}
	}
	return false
}

// markEvent records where the event the parser just read lies in the
// stream; call it once per pump callback.
func (t *teeReader) markEvent() {
	t.evStart, t.evEnd = t.evEnd, t.rd.BytesRead()
}

// eventSpan is where in buf the event markEvent recorded lies; ok is false
// when the tee no longer holds all of it.
func (t *teeReader) eventSpan() (a, b int, ok bool) {
	a, b = t.evStart-t.off, t.evEnd-t.off
	return a, b, a >= 0 && b <= len(t.buf) && a < b
}

// event is the raw bytes of the event markEvent recorded.
func (t *teeReader) event() []byte {
	if a, b, ok := t.eventSpan(); ok {
		return t.buf[a:b]
	}
	return nil
}

// dropUsageOnlyChunk removes the event just read from the bytes to forward
// when it is OpenAI's usage-only chunk (no choices).
func (t *teeReader) dropUsageOnlyChunk() {
	a, b, ok := t.eventSpan()
	if !ok {
		return
	}
	raw := t.buf[a:b]
	i := bytes.IndexByte(raw, '{')
	if i < 0 {
		return
	}
	if !usageOnly(raw[i:]) {
		return
	}
	t.buf = append(t.buf[:a], t.buf[b:]...)
	// off maps stream offsets to buf indexes for what follows: the dropped
	// bytes count as passed.
	t.off += b - a
}

// usageOnly reports an OpenAI chunk with a usage object and no choices, in
// one pass over its members (the first of a repeated key counts, as for a
// lookup).
func usageOnly(chunk []byte) bool {
	var usage, choices gjson.Result
	gjson.ParseBytes(chunk).ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "usage" && !usage.Exists():
			usage = v
		case k.Str == "choices" && !choices.Exists():
			choices = v
		}
		return true
	})
	return usage.IsObject() && choices.Get("#").Int() == 0
}
