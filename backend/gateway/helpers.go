package gateway

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
	"switchboard/backend/ir"
	"switchboard/backend/route"
	"switchboard/backend/sse"
)

// splitter applies the <think> splitter to a translated OpenAI-dialect
// stream: DeepSeek/Qwen/MiniMax-style models put reasoning inline in text,
// and other dialects have a proper place for it.
type splitter struct {
	s   ir.ThinkTagSplitter
	out []ir.Event
}

func thinkSplitter(up, client dialect.Codec) *splitter {
	if up.Name() != dialect.OpenAIChat || client.Name() == dialect.OpenAIChat {
		return nil
	}
	return &splitter{}
}

// Process returns the split events; the slice is reused between calls.
func (s *splitter) Process(evs []ir.Event) []ir.Event {
	s.out = s.out[:0]
	for i := range evs {
		s.out = s.s.Process(s.out, evs[i])
	}
	return s.out
}

// splitThinkInResponse moves leading <think> text of a complete response
// into a thinking block.
func splitThinkInResponse(r *ir.Response) {
	for i := 0; i < len(r.Content); i++ {
		b := r.Content[i]
		if b.Type != ir.BlockText {
			continue
		}
		think, rest := ir.SplitThinkTags(b.Text)
		if think == "" {
			continue
		}
		r.Content[i].Text = rest
		r.Content = append(r.Content[:i], append([]ir.Block{{Type: ir.BlockThinking, Text: think}}, r.Content[i:]...)...)
		i++
	}
}

// encodeFor encodes a request for an upstream, applying what the catalog
// knows about that vendor's quirks.
func encodeFor(up dialect.Codec, req *ir.Request, c route.Candidate) ([]byte, error) {
	if rejectsSampling(c) {
		req.Temperature, req.TopP, req.TopK = nil, nil, nil
	}
	if up.Name() == dialect.OpenAIChat {
		var o openai.RequestOptions
		switch c.Provider.Entry.ID {
		case "openai":
			o.MaxCompletionTokens = true // reasoning models reject max_tokens
		case "deepseek", "kimi", "moonshot":
			o.ReasoningContent = true // they require reasoning_content echoed in tool loops
		}
		return openai.EncodeRequestWith(req, o)
	}
	if up.Name() == dialect.Anthropic {
		m, _ := c.Provider.Entry.Model(c.Model)
		return anthropic.EncodeRequestWith(req, anthropic.RequestOptions{MaxOutput: m.MaxOutput})
	}
	return up.EncodeRequest(req)
}

// rejectsSampling: OpenAI's reasoning models (the catalog's reasoning
// flag) refuse any temperature or top_p but the default with a 400;
// clients written for other models send them all the time.
func rejectsSampling(c route.Candidate) bool {
	if c.Provider.Entry.ID != "openai" {
		return false // other vendors' reasoning models take or ignore them
	}
	m, ok := c.Provider.Entry.Model(c.Model)
	return ok && m.Reasoning
}

// samplingKeys are what rejectsSampling drops from a pass-through body.
var samplingKeys = []string{"temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs"}

// dropSampling removes the sampling parameters a reasoning model refuses
// from a same-dialect body (only the keys present are touched).
func dropSampling(body []byte) []byte {
	for _, k := range samplingKeys {
		if gjson.GetBytes(body, k).Exists() {
			if out, err := sjson.DeleteBytes(body, k); err == nil {
				body = out
			}
		}
	}
	return body
}

// modelParts names model in a same-dialect body without re-encoding or
// copying anything: the body to send is the parts one after the other (the
// client's bytes before its model, the new name, the bytes after it), so a
// megabyte-long agent request is never copied to change a few bytes. The
// parts alias body. Gemini carries the model in the URL, not the body.
func modelParts(body []byte, d dialect.Name, model string) [][]byte {
	if d == dialect.Gemini {
		return [][]byte{body}
	}
	if before, want, after := answerParts(body, d, model); want != nil {
		return [][]byte{before, want, after}
	}
	if gjson.GetBytes(body, "model").Type == gjson.String {
		return [][]byte{body} // it names the model already
	}
	// No model string to replace (none at all, or not a string: the
	// gateway refuses the latter first): set one, copying the body.
	out, err := sjson.SetBytes(body, "model", model)
	if err != nil {
		return [][]byte{body}
	}
	return [][]byte{out}
}

// closeAfterError is what must follow an upstream's own in-stream error
// event (raw holds its bytes) for the stream to end the dialect's way:
// OpenAI's error chunk is followed by [DONE], a Responses "error" event by
// response.failed. Anthropic's error event and Gemini's error chunk are
// already the last ones, as their APIs send them.
func closeAfterError(d dialect.Name, raw []byte, e *ir.Error) []byte {
	switch d {
	case dialect.OpenAIChat:
		return closeAfterStop(d)
	case dialect.Responses:
		if bytes.Contains(raw, []byte("response.failed")) {
			return nil
		}
		return terminalErrorFrame(d, e)
	}
	return nil
}

// plainDelta reports, per dialect, an event that carries only content
// deltas: once a pass-through stream is committed, its bytes are forwarded
// without decoding it (usage, errors, stops and terminal events are still
// decoded). s keeps what the check remembers of the stream (markScan).
func plainDelta(d dialect.Name, s *markScan) func(sse.Event) bool {
	switch d {
	case dialect.OpenAIChat:
		s.reset(openAIMarks)
		return func(ev sse.Event) bool { return !ev.IsDone() && s.plain(ev.Data) }
	case dialect.Anthropic:
		return func(ev sse.Event) bool {
			return ev.NameIs("content_block_delta") || ev.NameIs("ping")
		}
	case dialect.Responses:
		return func(ev sse.Event) bool { return bytes.HasSuffix(ev.Name, []byte(".delta")) }
	case dialect.Gemini:
		s.reset(geminiMarks)
		return func(ev sse.Event) bool { return s.plain(ev.Data) }
	}
	return nil
}

// markScan is scanMarks for one stream's events, remembered. A stream's
// plain chunks begin alike (OpenAI's id, object, created, model, choices,
// index and delta come before the text): when an event begins with the
// bytes the last plain one had up to a colon whose checks read nothing
// beyond it, those colons are known unmarked and only the rest is read.
type markScan struct {
	marks []markedKey
	memo  []byte // the last plain event's bytes up to such a colon
}

// reset readies s for a stream whose events are marked by marks.
func (s *markScan) reset(marks []markedKey) { s.marks, s.memo = marks, s.memo[:0] }

// plain reports an event with none of the marks.
func (s *markScan) plain(b []byte) bool {
	from := 0
	if n := len(s.memo); n > 0 && len(b) > n && bytes.Equal(b[:n], s.memo) {
		from = n
	}
	marked, safe := scanMarks(b, from, s.marks)
	if marked {
		return false
	}
	s.memo = append(s.memo[:from], b[from:safe]...)
	return true
}

// markedKey is a key that makes an event worth decoding when its value
// starts with one of the bytes in first (any value when first is empty).
type markedKey struct {
	key   []byte // the key with its opening quote
	first string
}

var (
	// OpenAI: a stop (finish_reason a string, not null), usage (an object,
	// not null), an error.
	openAIMarks = []markedKey{{[]byte(`"finish_reason`), `"`}, {[]byte(`"usage`), `{`}, {[]byte(`"error`), ``}}
	geminiMarks = []markedKey{{[]byte(`"finishReason`), ``}, {[]byte(`"usageMetadata`), ``}, {[]byte(`"error`), ``}}
	errorString = []byte(`"error"`)
)

// scanMarks reports whether the JSON text b has one of marks' keys, or the
// string "error" as a value, looking at the colons from from on (the bytes
// before from are read only to tell those colons' keys). It visits only
// the colons whose key ends just before them: a quote inside a string is
// escaped, so text quoting a key does not match; and it allows whitespace
// around the colon, as JSON does (Python servers write ": "). Colons are
// rare next to the quotes of JSON text, where a search for a quoted key
// would stop at every string. Unmarked, it also returns safe: the position
// of the last colon (from, if none) such that no check of an earlier colon
// read at or past it, so b[:safe] gives the same answers wherever it
// begins an event (markScan).
func scanMarks(b []byte, from int, marks []markedKey) (marked bool, safe int) {
	safe, reach := from, from // reach: how far the checks so far have read
	for i := from; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], ':')
		if j < 0 {
			break
		}
		i += j
		if reach <= i {
			safe = i
		}
		v := i + 1
		for v < len(b) && isJSONSpace(b[v]) {
			v++
		}
		// The checks below read up to b[v+1], and "error" to its end.
		reach = max(reach, min(len(b), v+2))
		q := i - 1
		for q >= 0 && isJSONSpace(b[q]) {
			q--
		}
		if q < 1 || b[q] != '"' {
			continue
		}
		last := b[q-1] // the key's last letter tells most keys apart at once
		for _, m := range marks {
			if m.key[len(m.key)-1] == last && bytes.HasSuffix(b[:q], m.key) &&
				(m.first == "" || v < len(b) && strings.IndexByte(m.first, b[v]) >= 0) {
				return true, 0
			}
		}
		if v+1 < len(b) && b[v+1] == 'e' {
			reach = max(reach, min(len(b), v+len(errorString)))
			if bytes.HasPrefix(b[v:], errorString) {
				return true, 0
			}
		}
	}
	return false, safe
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// closeAfterStop is the terminal frame of a dialect whose streams end with
// a sentinel after the stop (nil for the others).
func closeAfterStop(d dialect.Name) []byte {
	switch d {
	case dialect.OpenAIChat:
		return []byte("data: [DONE]\n\n")
	case dialect.Anthropic:
		return []byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	}
	return nil
}

// terminalErrorFrame is the frame that ends a pass-through stream after an
// upstream failure (or a shutdown), in the dialect's own shape and with the
// same error body its stream encoder writes on the translated path, so the
// client sees an error and a proper end instead of a silent cut.
func terminalErrorFrame(d dialect.Name, e *ir.Error) []byte {
	switch d {
	case dialect.Anthropic:
		return sse.AppendEvent(nil, "error", anthropic.Codec.EncodeError(e))
	case dialect.Responses:
		msg, _ := json.Marshal(e.Message)
		code, _ := json.Marshal(responses.ErrorCode(e))
		return []byte("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"object\":\"response\",\"status\":\"failed\",\"output\":[],\"error\":{\"code\":" +
			string(code) + ",\"message\":" + string(msg) + "}}}\n\n")
	case dialect.Gemini:
		return sse.AppendData(nil, gemini.Codec.EncodeError(e))
	}
	return append(sse.AppendData(nil, openai.Codec.EncodeError(e)), sse.DoneFrame...)
}
