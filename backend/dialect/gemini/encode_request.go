package gemini

import (
	"strings"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/ir"
)

// EncodeRequest writes a generateContent body for a Gemini upstream. The
// model and the stream flag are not part of it: they go in the URL.
func (codec) EncodeRequest(req *ir.Request) ([]byte, error) {
	if req == nil {
		return nil, badRequest("no request to encode")
	}
	e := newReqEncoder(req)
	w := turnWriter{dst: req.EncodeBuffer()}
	w.dst = append(w.dst, `{"contents":[`...)
	for i := range req.Messages {
		e.message(&w, &req.Messages[i])
	}
	e.flushPending(&w)
	if w.role == "" {
		return nil, badRequest("the request has no content a Gemini model can take")
	}
	w.close()
	b := append(w.dst, ']')
	b = e.appendSystem(b)
	b = e.appendTools(b)
	b = appendGenConfig(b, req)
	return append(b, '}'), nil
}

// reqEncoder holds what the encoding of one request needs across turns.
type reqEncoder struct {
	req      *ir.Request
	calls    map[string]callInfo // tool_use id → what a functionResponse needs
	pending  []byte              // parts of mid-conversation system messages not yet placed
	sysExtra []byte              // parts that end up in systemInstruction
}

type callInfo struct {
	name   string
	gemini bool // the call came from Gemini: its id may be echoed
}

func newReqEncoder(req *ir.Request) *reqEncoder {
	e := &reqEncoder{req: req}
	for i := range req.Messages {
		for j := range req.Messages[i].Content {
			b := &req.Messages[i].Content[j]
			if b.Type != ir.BlockToolUse {
				continue
			}
			if e.calls == nil {
				e.calls = map[string]callInfo{}
			}
			e.calls[b.ToolCallID] = callInfo{name: b.ToolName, gemini: b.Origin == ir.OriginGemini}
		}
	}
	return e
}

// message writes one ir message. Gemini has no system role inside
// contents: a mid-conversation system message is held and placed at the end
// of the next user turn (after any function responses, which Gemini wants
// right after the calls), or of the previous user turn when a model turn or
// the end comes first, or else in systemInstruction — never as a trailing
// or empty turn of its own.
func (e *reqEncoder) message(w *turnWriter, m *ir.Message) {
	switch m.Role {
	case ir.RoleSystem:
		e.pending = appendTextParts(e.pending, m.Content)
		return
	case ir.RoleAssistant:
		e.flushPending(w)
		w.begin("model")
	default:
		w.begin("user")
	}
	firstCall := true
	for i := range m.Content {
		e.block(w, &m.Content[i], &firstCall)
	}
	if m.Role != ir.RoleAssistant && len(e.pending) > 0 {
		w.raw(e.pending)
		e.pending = e.pending[:0]
	}
	w.end()
}

// flushPending places held system text before a model turn or at the end.
func (e *reqEncoder) flushPending(w *turnWriter) {
	if len(e.pending) == 0 {
		return
	}
	if w.role == "user" {
		w.raw(e.pending)
	} else {
		if len(e.sysExtra) > 0 {
			e.sysExtra = append(e.sysExtra, ',')
		}
		e.sysExtra = append(e.sysExtra, e.pending...)
	}
	e.pending = e.pending[:0]
}

func (e *reqEncoder) block(w *turnWriter, b *ir.Block, firstCall *bool) {
	switch b.Type {
	case ir.BlockText:
		if sig := geminiSig(b); b.Text != "" || sig != "" {
			w.part()
			w.dst = appendBlockTextPart(w.dst, b, false, sig)
		}
	case ir.BlockThinking:
		// Foreign reasoning is dropped; unsigned or Gemini thoughts go back
		// as thought parts.
		if b.Origin != ir.OriginGemini && b.Origin != ir.OriginNone {
			return
		}
		if sig := geminiSig(b); b.Text != "" || sig != "" {
			w.part()
			w.dst = appendBlockTextPart(w.dst, b, b.Text != "", sig)
		}
	case ir.BlockImage:
		if imageOK(b) {
			w.part()
			w.dst = appendImage(w.dst, b)
		}
	case ir.BlockToolUse:
		w.part()
		w.dst = e.appendCall(w.dst, b, firstCall)
	case ir.BlockToolResult:
		e.toolResult(w, b)
	}
}

// geminiSig is the block's signature when Gemini made it, else "".
func geminiSig(b *ir.Block) string {
	if b.Origin == ir.OriginGemini {
		return b.Signature
	}
	return ""
}

func appendTextPart(dst []byte, text string, thought bool, sig string) []byte {
	dst = append(dst, `{"text":`...)
	return closeTextPart(appendString(dst, text), thought, sig)
}

// appendBlockTextPart is appendTextPart for a block's text (copied as the
// client wrote it when a decoder kept that, see jsonw.AppendText).
func appendBlockTextPart(dst []byte, b *ir.Block, thought bool, sig string) []byte {
	dst = append(dst, `{"text":`...)
	return closeTextPart(jsonw.AppendText(dst, b), thought, sig)
}

func closeTextPart(dst []byte, thought bool, sig string) []byte {
	if thought {
		dst = append(dst, `,"thought":true`...)
	}
	if sig != "" {
		dst = appendStringField(dst, "thoughtSignature", sig)
	}
	return append(dst, '}')
}

func appendTextParts(dst []byte, blocks []ir.Block) []byte {
	for i := range blocks {
		if blocks[i].Type != ir.BlockText || blocks[i].Text == "" {
			continue
		}
		if len(dst) > 0 {
			dst = append(dst, ',')
		}
		dst = appendBlockTextPart(dst, &blocks[i], false, "")
	}
	return dst
}

// appendCall writes a functionCall part. Its id is echoed only when Gemini
// made the call; its thoughtSignature only when Gemini signed it. The first
// call of a model turn without a Gemini signature gets SkipSignature, which
// Gemini 3 needs to accept history made elsewhere.
func (e *reqEncoder) appendCall(dst []byte, b *ir.Block, first *bool) []byte {
	dst = append(dst, `{"functionCall":{`...)
	if b.Origin == ir.OriginGemini && b.ToolCallID != "" {
		dst = appendStringField(dst, "id", b.ToolCallID)
	}
	dst = appendStringField(dst, "name", b.ToolName)
	dst = appendObject(appendKey(dst, "args"), b.Input)
	dst = append(dst, '}')
	sig := geminiSig(b)
	if sig == "" && *first {
		sig = SkipSignature
	}
	*first = false
	if sig != "" {
		dst = appendStringField(dst, "thoughtSignature", sig)
	}
	return append(dst, '}')
}

// toolResult writes a functionResponse (named after its call, which Gemini
// requires) and then any images of the result as sibling parts.
func (e *reqEncoder) toolResult(w *turnWriter, b *ir.Block) {
	info, known := e.calls[b.ToolCallID]
	name := info.name
	if name == "" {
		name = b.ToolName
	}
	if name == "" {
		name = "unknown_tool"
	}
	w.part()
	w.dst = append(w.dst, `{"functionResponse":{`...)
	if known && info.gemini {
		w.dst = appendStringField(w.dst, "id", b.ToolCallID)
	}
	w.dst = appendStringField(w.dst, "name", name)
	key := "result"
	if b.IsError {
		key = "error"
	}
	w.dst = append(w.dst, `,"response":{`...)
	if one := singleText(b.Content); one != nil {
		w.dst = jsonw.AppendText(appendKey(w.dst, key), one)
	} else {
		w.dst = appendStringField(w.dst, key, resultText(b.Content))
	}
	w.dst = append(w.dst, "}}}"...)
	for i := range b.Content {
		if c := &b.Content[i]; c.Type == ir.BlockImage && imageOK(c) {
			w.part()
			w.dst = appendImage(w.dst, c)
		}
	}
}

// singleText is the one text block of content, or nil.
func singleText(content []ir.Block) *ir.Block {
	var one *ir.Block
	for i := range content {
		if content[i].Type == ir.BlockText {
			if one != nil {
				return nil
			}
			one = &content[i]
		}
	}
	return one
}

func resultText(content []ir.Block) string {
	n, last := 0, -1
	for i := range content {
		if content[i].Type == ir.BlockText {
			n++
			last = i
		}
	}
	if n == 1 {
		return content[last].Text
	}
	var sb strings.Builder
	for i := range content {
		if content[i].Type == ir.BlockText {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(content[i].Text)
		}
	}
	return sb.String()
}

func imageOK(b *ir.Block) bool { return b.Data != "" || b.URL != "" }

// appendImage writes inlineData for base64 data (or a data: URL) and
// fileData for a URL.
func appendImage(dst []byte, b *ir.Block) []byte {
	mime, data := b.MediaType, b.Data
	if data == "" {
		if m, d, ok := parseDataURL(b.URL); ok {
			mime, data = m, d
		}
	}
	if data != "" {
		if mime == "" {
			mime = "image/png"
		}
		dst = append(dst, `{"inlineData":{`...)
		dst = appendStringField(dst, "mimeType", mime)
		dst = appendStringField(dst, "data", data)
		return append(dst, "}}"...)
	}
	if mime == "" {
		mime = mimeFromURL(b.URL)
	}
	dst = append(dst, `{"fileData":{`...)
	if mime != "" {
		dst = appendStringField(dst, "mimeType", mime)
	}
	dst = appendStringField(dst, "fileUri", b.URL)
	return append(dst, "}}"...)
}

// parseDataURL splits "data:<mime>;base64,<data>".
func parseDataURL(u string) (mime, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return "", "", false
	}
	return strings.TrimSuffix(meta, ";base64"), data, true
}

var extMIME = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".heic": "image/heic", ".heif": "image/heif", ".pdf": "application/pdf",
}

func mimeFromURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '.'); i >= 0 {
		return extMIME[strings.ToLower(u[i:])]
	}
	return ""
}

func (e *reqEncoder) appendSystem(dst []byte) []byte {
	var parts []byte
	parts = appendTextParts(parts, e.req.System)
	if len(e.sysExtra) > 0 {
		if len(parts) > 0 {
			parts = append(parts, ',')
		}
		parts = append(parts, e.sysExtra...)
	}
	if len(parts) == 0 {
		return dst
	}
	dst = append(dst, `,"systemInstruction":{"parts":[`...)
	dst = append(dst, parts...)
	return append(dst, "]}"...)
}

// turnWriter writes contents[] straight into the body, merging consecutive
// turns of the same role (Gemini wants them alternating) and taking back a
// turn that ended up with no parts.
type turnWriter struct {
	dst  []byte
	role string // role of the open turn, "" before the first
	n    int    // parts in the open turn

	opened   bool // the last begin opened a new turn…
	mark     int  // …at this offset,
	prevRole string
	prevN    int
}

func (w *turnWriter) begin(role string) {
	w.opened = false
	if w.role == role {
		return
	}
	w.opened, w.mark, w.prevRole, w.prevN = true, len(w.dst), w.role, w.n
	if w.role != "" {
		w.dst = append(w.dst, "]},"...)
	}
	w.dst = append(w.dst, `{"role":"`...)
	w.dst = append(w.dst, role...)
	w.dst = append(w.dst, `","parts":[`...)
	w.role, w.n = role, 0
}

// part is called before writing each part.
func (w *turnWriter) part() {
	if w.n > 0 {
		w.dst = append(w.dst, ',')
	}
	w.n++
}

// raw appends already-encoded, comma-separated parts.
func (w *turnWriter) raw(parts []byte) {
	w.part()
	w.dst = append(w.dst, parts...)
}

// end takes back a turn opened by the last begin if nothing went in it.
func (w *turnWriter) end() {
	if w.opened && w.n == 0 {
		w.dst = w.dst[:w.mark]
		w.role, w.n = w.prevRole, w.prevN
	}
	w.opened = false
}

func (w *turnWriter) close() {
	if w.role != "" {
		w.dst = append(w.dst, "]}"...)
	}
}
