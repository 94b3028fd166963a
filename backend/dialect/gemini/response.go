package gemini

import (
	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeResponse reads a generateContent answer. A JSON array (what
// streamGenerateContent returns without alt=sse) is folded chunk by chunk.
func (codec) DecodeResponse(body []byte) (*ir.Response, error) {
	if !jsonscan.Valid(body) {
		return nil, badRequest("upstream response is not valid JSON")
	}
	root := gjson.Parse(string(body))
	var r respFolder
	switch {
	case root.IsArray():
		root.ForEach(func(_, c gjson.Result) bool {
			r.chunk(c)
			return r.err == nil
		})
	case root.IsObject():
		r.chunk(root)
	default:
		return nil, badRequest("upstream response must be a JSON object")
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.response(), nil
}

// respFolder folds one or more GenerateContentResponse objects.
type respFolder struct {
	resp    ir.Response
	asm     assembler
	finish  string
	blocked string
	err     *ir.Error
}

func (f *respFolder) chunk(c gjson.Result) {
	var ch chunk
	ch.read(c)
	if ch.err.Exists() {
		f.err = classify(0, ch.err)
		return
	}
	if ch.id != "" {
		f.resp.ID = ch.id
	}
	if ch.model != "" {
		f.resp.Model = ch.model
	}
	if ch.usage.Exists() {
		f.resp.Usage = readUsage(ch.usage)
	}
	ch.parts.ForEach(func(_, p gjson.Result) bool {
		wp := parsePart(nil, p)
		f.asm.add(&wp)
		return true
	})
	if ch.finish != "" {
		f.finish = ch.finish
	}
	if ch.blocked != "" {
		f.blocked = ch.blocked
	}
}

func (f *respFolder) response() *ir.Response {
	r := f.resp
	r.Content = f.asm.blocks
	if r.Content == nil {
		r.Content = []ir.Block{}
	}
	r.StopReason = stopReason(f.finish, f.asm.calls > 0)
	if f.blocked != "" && f.finish == "" {
		r.StopReason = ir.StopContentFilter
	}
	return &r
}

// chunk is the part of a GenerateContentResponse the codec reads: only the
// first candidate (candidateCount > 1 is not supported through the hub).
type chunk struct {
	parts   gjson.Result
	finish  string
	usage   gjson.Result
	id      string
	model   string
	blocked string
	err     gjson.Result
}

func (c *chunk) read(r gjson.Result) {
	r.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "candidates":
			c.candidate(v.Get("0"))
		case "usageMetadata", "usage_metadata":
			c.usage = v
		case "responseId", "response_id":
			c.id = v.String()
		case "modelVersion", "model_version":
			c.model = v.String()
		case "promptFeedback", "prompt_feedback":
			c.blocked = v.Get("blockReason").String()
		case "error":
			c.err = v
		}
		return true
	})
}

func (c *chunk) candidate(v gjson.Result) {
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "content":
			c.parts = val.Get("parts")
		case "finishReason", "finish_reason":
			c.finish = val.String()
		}
		return true
	})
}

// stopReason maps a Gemini finishReason. Gemini says STOP after function
// calls too, so a call seen in the message makes it tool_use.
func stopReason(finish string, calledTools bool) ir.StopReason {
	switch finish {
	case "MAX_TOKENS":
		return ir.StopMaxTokens
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return ir.StopContentFilter
	}
	if calledTools {
		return ir.StopToolUse
	}
	return ir.StopEndTurn
}

// finishReason is the inverse, for Gemini clients.
func finishReason(s ir.StopReason) string {
	switch s {
	case ir.StopMaxTokens:
		return "MAX_TOKENS"
	case ir.StopContentFilter, ir.StopRefusal:
		return "SAFETY"
	}
	return "STOP"
}

// readUsage maps usageMetadata to ir conventions: promptTokenCount already
// includes cached tokens; tool-use prompt tokens (search results…) are input
// too; thoughts are part of the output.
func readUsage(u gjson.Result) ir.Usage {
	var prompt, cached, cand, thoughts, toolUse int
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "promptTokenCount":
			prompt = int(v.Int())
		case "cachedContentTokenCount":
			cached = int(v.Int())
		case "candidatesTokenCount":
			cand = int(v.Int())
		case "thoughtsTokenCount":
			thoughts = int(v.Int())
		case "toolUsePromptTokenCount":
			toolUse = int(v.Int())
		}
		return true
	})
	return ir.Usage{InputTokens: prompt + toolUse, CachedTokens: cached,
		OutputTokens: cand + thoughts, ReasoningTokens: thoughts}
}

func appendUsage(dst []byte, u *ir.Usage) []byte {
	dst = append(dst, `"usageMetadata":{`...)
	dst = appendIntField(dst, "promptTokenCount", u.InputTokens)
	dst = appendIntField(dst, "candidatesTokenCount", max(u.OutputTokens-u.ReasoningTokens, 0))
	dst = appendIntField(dst, "totalTokenCount", u.InputTokens+u.OutputTokens)
	if u.CachedTokens > 0 {
		dst = appendIntField(dst, "cachedContentTokenCount", u.CachedTokens)
	}
	if u.ReasoningTokens > 0 {
		dst = appendIntField(dst, "thoughtsTokenCount", u.ReasoningTokens)
	}
	return append(dst, '}')
}

// assembler turns parts into ir blocks the way the stream decoder turns
// them into events: consecutive text parts of one kind (thought or not)
// form one block, a signature stays with the block its part went into, and
// a bare signature part joins the block before it (or stands alone).
type assembler struct {
	blocks []ir.Block
	calls  int
}

func (a *assembler) add(p *wirePart) {
	switch p.kind {
	case partText:
		a.text(p)
	case partInline, partFile:
		a.blocks = append(a.blocks, p.imageBlock())
	case partCall:
		a.calls++
		a.blocks = append(a.blocks, toolUseBlock(p))
	}
}

func (a *assembler) text(p *wirePart) {
	var last *ir.Block
	if n := len(a.blocks); n > 0 {
		last = &a.blocks[n-1]
	}
	open := last != nil && (last.Type == ir.BlockText || last.Type == ir.BlockThinking)
	if p.text == "" {
		if p.sig == "" {
			return
		}
		if open && last.Signature == "" {
			last.Signature, last.Origin = p.sig, ir.OriginGemini
			return
		}
	}
	kind := ir.BlockText
	if p.thought || p.text == "" {
		kind = ir.BlockThinking
	}
	if open && last.Type == kind && (p.sig == "" || last.Signature == "") {
		last.Text += p.text
		if p.sig != "" {
			last.Signature, last.Origin = p.sig, ir.OriginGemini
		}
		return
	}
	b := ir.Block{Type: kind, Text: p.text, Signature: p.sig}
	if p.sig != "" {
		b.Origin = ir.OriginGemini
	}
	a.blocks = append(a.blocks, b)
}

// toolUseBlock maps a functionCall of a model answer; a call without an id
// gets a random one (ids must stay unique across the conversation).
func toolUseBlock(p *wirePart) ir.Block {
	b := ir.Block{Type: ir.BlockToolUse, ToolCallID: p.id, ToolName: p.name, Input: p.args(), Signature: p.sig}
	if p.id != "" || p.sig != "" {
		b.Origin = ir.OriginGemini
	}
	if b.ToolCallID == "" {
		b.ToolCallID = newCallID()
	}
	return b
}

// EncodeResponse writes a GenerateContentResponse for a Gemini client.
func (codec) EncodeResponse(resp *ir.Response) ([]byte, error) {
	if resp == nil {
		return nil, badRequest("no response to encode")
	}
	dst := make([]byte, 0, 256+responseSize(resp))
	dst = append(dst, `{"candidates":[{"content":{"role":"model"`...)
	n := 0
	for i := range resp.Content {
		b := &resp.Content[i]
		if !partOK(b) {
			continue
		}
		if n == 0 {
			dst = append(dst, `,"parts":[`...)
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = appendOutPart(dst, b, b.Input)
	}
	if n > 0 {
		dst = append(dst, ']')
	}
	dst = append(dst, `},"finishReason":"`...)
	dst = append(dst, finishReason(resp.StopReason)...)
	dst = append(dst, `","index":0}],`...)
	dst = appendUsage(dst, &resp.Usage)
	if resp.Model != "" {
		dst = appendStringField(dst, "modelVersion", resp.Model)
	}
	if resp.ID != "" {
		dst = appendStringField(dst, "responseId", resp.ID)
	}
	return append(dst, '}'), nil
}

func responseSize(r *ir.Response) int {
	n := 0
	for i := range r.Content {
		n += len(r.Content[i].Text) + len(r.Content[i].Input) + len(r.Content[i].Signature) + len(r.Content[i].Data) + 32
	}
	return n
}

// partOK reports whether a response block becomes a part for a Gemini
// client: foreign reasoning and redacted thinking do not.
func partOK(b *ir.Block) bool {
	switch b.Type {
	case ir.BlockText:
		return b.Text != "" || geminiSig(b) != ""
	case ir.BlockThinking:
		return b.Text != "" || geminiSig(b) != ""
	case ir.BlockImage:
		return imageOK(b)
	case ir.BlockToolUse:
		return true
	}
	return false
}

// appendOutPart writes one part of a model answer (response or stream).
// Only Gemini-made signatures are sent: a Gemini client would replay any
// other to Gemini, which rejects foreign signatures.
func appendOutPart(dst []byte, b *ir.Block, args []byte) []byte {
	switch b.Type {
	case ir.BlockText, ir.BlockThinking:
		return appendTextPart(dst, b.Text, b.Type == ir.BlockThinking && b.Text != "", geminiSig(b))
	case ir.BlockImage:
		return appendImage(dst, b)
	}
	dst = append(dst, `{"functionCall":{`...)
	id := b.ToolCallID
	if id == "" {
		id = newCallID()
	}
	dst = appendStringField(dst, "id", id)
	dst = appendStringField(dst, "name", b.ToolName)
	dst = appendObject(appendKey(dst, "args"), args)
	dst = append(dst, '}')
	if sig := geminiSig(b); sig != "" {
		dst = appendStringField(dst, "thoughtSignature", sig)
	}
	return append(dst, '}')
}

// ReadUsage maps a usageMetadata object to the hub's convention (the
// gateway reads pass-through answers with it).
func ReadUsage(u gjson.Result) ir.Usage { return readUsage(u) }
