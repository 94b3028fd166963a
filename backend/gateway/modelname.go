package gateway

import (
	"bytes"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/jsonw"
)

// Every answer names the model the client asked for (an alias, a combo,
// provider/model), never the upstream's own id. Clients compare the two:
// Claude Code drops its thinking blocks from the next turn when the answer's
// model differs from the one it asked for, and an Anthropic upstream with
// thinking on then refuses the tool loop. Translated answers get the name
// from the encoder; pass-through answers are rewritten here, in place,
// touching only that one string.

// answerModelPath is where a dialect's JSON answer names its model.
func answerModelPath(d dialect.Name) string {
	if d == dialect.Gemini {
		return "modelVersion"
	}
	return "model"
}

// streamModelPath is where a dialect's stream events name the model: every
// OpenAI chunk and Gemini chunk, Anthropic's message_start, and the response
// object of Responses' lifecycle events. The other events have no such path.
func streamModelPath(d dialect.Name) string {
	switch d {
	case dialect.Anthropic:
		return "message.model"
	case dialect.Responses:
		return "response.model"
	}
	return answerModelPath(d)
}

// modelAt finds the string value at path in doc: its offset and length
// (quotes included). ok is false when the path holds no string or already
// holds want (JSON-quoted).
func modelAt(doc []byte, path string, want []byte) (off, n int, ok bool) {
	r := gjson.GetBytes(doc, path)
	if r.Type != gjson.String || r.Index <= 0 || r.Raw == string(want) {
		return 0, 0, false
	}
	return r.Index, len(r.Raw), true
}

// answerParts splits a pass-through JSON answer around its model name:
// before + want + after names the client's model (want is nil when the
// answer already does, or names none). Writing the parts in turn renames it
// without copying an answer that may be megabytes long.
func answerParts(body []byte, d dialect.Name, model string) (before, want, after []byte) {
	q := quoteJSON(model)
	off, n, ok := modelAt(body, answerModelPath(d), q)
	if !ok {
		return body, nil, nil
	}
	return body[:off], q, body[off+n:]
}

// setAnswerModel is answerParts joined (for the request log and tests).
func setAnswerModel(body []byte, d dialect.Name, model string) []byte {
	before, want, after := answerParts(body, d, model)
	if want == nil {
		return body
	}
	return append(append(append(make([]byte, 0, len(before)+len(want)+len(after)), before...), want...), after...)
}

// modelRewriter names the client's model in a pass-through stream. It works
// on the raw SSE bytes being forwarded (whole events), one data line at a
// time, so every other byte goes out exactly as the upstream sent it.
type modelRewriter struct {
	path string
	// key is a quick filter: a line without it cannot hold the path. It is
	// the key without its opening quote: a search looks first for the
	// key's first byte, which in JSON text is much rarer than a quote.
	key  []byte
	want []byte
	out  []byte
	// seen is the last renamed line up to the end of its model, found at
	// seenOff with seenLen bytes (see find).
	seen             []byte
	seenOff, seenLen int
}

// The keys find filters lines by (read only).
var (
	modelKey        = []byte(`model"`)
	modelVersionKey = []byte(`modelVersion"`)
)

// reset readies m for a stream of dialect d renamed to model, keeping its
// buffers (relayBufs lends it between streams).
func (m *modelRewriter) reset(d dialect.Name, model string) {
	m.path, m.key = streamModelPath(d), modelKey
	if d == dialect.Gemini {
		m.key = modelVersionKey
	}
	m.want = jsonw.AppendString(m.want[:0], model)
	m.out, m.seen = m.out[:0], m.seen[:0]
	m.seenOff, m.seenLen = 0, 0
}

// rewrite returns raw with the model renamed in every data line that names
// it; raw itself when nothing changed. The result is valid until the next
// call.
func (m *modelRewriter) rewrite(raw []byte) []byte {
	m.out = m.out[:0]
	done := 0                             // raw[:done] is in out already
	cr := bytes.IndexByte(raw, '\r') >= 0 // else lines end at LFs alone
	for pos := 0; pos < len(raw); {
		end := pos + lineLen(raw[pos:], cr)
		if p, ok := bytes.CutPrefix(raw[pos:end], []byte("data:")); ok {
			p = bytes.TrimPrefix(p, []byte(" "))
			if off, n, ok := m.find(p); ok {
				at := end - len(p) + off
				m.out = append(append(m.out, raw[done:at]...), m.want...)
				done = at + n
			}
		}
		pos = end + 1
	}
	if done == 0 {
		return raw
	}
	m.out = append(m.out, raw[done:]...) // kept grown for the next call
	return m.out
}

// find is modelAt, remembered. OpenAI names the model in every chunk of a
// stream, after the same id, object and created fields: a line that begins
// with the same bytes as the last renamed one, up to the end of its model,
// holds its model at the same place, since the lookup reads no further.
// Only a line that does not is searched.
func (m *modelRewriter) find(p []byte) (off, n int, ok bool) {
	if len(m.seen) > 0 && bytes.HasPrefix(p, m.seen) {
		return m.seenOff, m.seenLen, true
	}
	if !bytes.Contains(p, m.key) {
		return 0, 0, false
	}
	if off, n, ok = modelAt(p, m.path, m.want); ok {
		m.seen = append(m.seen[:0], p[:off+n]...)
		m.seenOff, m.seenLen = off, n
	}
	return off, n, ok
}

// lineLen is the length of b's first line: up to its first CR or LF (SSE
// ends lines with either or both), or all of b. cr says b may hold a CR.
func lineLen(b []byte, cr bool) int {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		end = len(b)
	}
	if !cr {
		return end
	}
	if r := bytes.IndexByte(b[:end], '\r'); r >= 0 {
		end = r
	}
	return end
}

func quoteJSON(s string) []byte {
	return jsonw.AppendString(make([]byte, 0, len(s)+2), s)
}
