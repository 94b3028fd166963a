package anthropic

import (
	"strings"

	"switchboard/backend/dialect/jsonw"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// bodyWriter appends Anthropic Messages bodies by hand — requests for an
// upstream, complete answers for a client — members in the order the API
// documents them: encoding/json spent a third of a translation to
// Anthropic reflecting over interface slices and copying every raw schema
// and tool input through its compactor, and it escaped each long text again
// where the client's own escapes can be copied (jsonw.AppendText).
//
// Raw JSON the IR carries (schemas, cache_control, tool inputs, Anthropic's
// server tools) is checked as it is written; the first member that is not
// valid JSON is named in bad and the request fails as a bad request.
type bodyWriter struct {
	b   []byte
	bad string
}

func (w *bodyWriter) request(out *outRequest) {
	w.b = append(w.b, '{')
	w.str("model", out.Model)
	w.b = jsonw.AppendIntField(w.b, "max_tokens", int64(out.MaxTokens))
	w.system(out.System)
	w.messages(out.Messages)
	w.tools(out.Tools)
	if c := out.ToolChoice; c != nil {
		w.b = append(jsonw.AppendKey(w.b, "tool_choice"), '{')
		w.str("type", c.Type)
		w.strOmit("name", c.Name)
		if c.DisableParallelToolUse {
			w.b = jsonw.AppendBoolField(w.b, "disable_parallel_tool_use", true)
		}
		w.b = append(w.b, '}')
	}
	if th := out.Thinking; th != nil {
		w.b = append(jsonw.AppendKey(w.b, "thinking"), '{')
		w.str("type", th.Type)
		if th.BudgetTokens != 0 {
			w.b = jsonw.AppendIntField(w.b, "budget_tokens", int64(th.BudgetTokens))
		}
		w.strOmit("display", th.Display)
		w.b = append(w.b, '}')
	}
	if oc := out.OutputConfig; oc != nil {
		w.b = append(jsonw.AppendKey(w.b, "output_config"), '{')
		w.strOmit("effort", oc.Effort)
		if oc.Schema != nil {
			w.b = append(jsonw.AppendKey(w.b, "format"), `{"type":"json_schema"`...)
			w.raw("schema", oc.Schema)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, '}')
	}
	if out.UserID != "" {
		w.b = append(jsonw.AppendKey(w.b, "metadata"), '{')
		w.str("user_id", out.UserID)
		w.b = append(w.b, '}')
	}
	if len(out.StopSequences) > 0 {
		w.b = append(jsonw.AppendKey(w.b, "stop_sequences"), '[')
		for i, s := range out.StopSequences {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = jsonw.AppendString(w.b, s)
		}
		w.b = append(w.b, ']')
	}
	w.float("temperature", out.Temperature)
	w.float("top_p", out.TopP)
	if out.TopK != nil {
		w.b = jsonw.AppendIntField(w.b, "top_k", int64(*out.TopK))
	}
	if out.Stream {
		w.b = jsonw.AppendBoolField(w.b, "stream", true)
	}
	w.b = append(w.b, '}')
}

// system writes the system prompt as text blocks (empty texts and other
// block types are left out; no member at all when nothing is left).
func (w *bodyWriter) system(blocks []ir.Block) {
	mark := len(w.b)
	w.b = append(jsonw.AppendKey(w.b, "system"), '[')
	n := 0
	for i := range blocks {
		if b := &blocks[i]; b.Type == ir.BlockText && b.Text != "" {
			w.sep(n)
			w.text(b)
			n++
		}
	}
	if n == 0 {
		w.b = w.b[:mark]
		return
	}
	w.b = append(w.b, ']')
}

func (w *bodyWriter) messages(msgs []ir.Message) {
	w.b = append(jsonw.AppendKey(w.b, "messages"), '[')
	for i := range msgs {
		m := &msgs[i]
		w.sep(i)
		if m.Role == ir.RoleAssistant {
			w.b = append(w.b, `{"role":"assistant","content":[`...)
		} else {
			w.b = append(w.b, `{"role":"user","content":[`...)
		}
		n := 0
		for j := range m.Content {
			if w.block(&m.Content[j], n) {
				n++
			}
		}
		w.b = append(w.b, "]}"...)
	}
	w.b = append(w.b, ']')
}

// block writes one (already normalised) block, preceded by a comma unless
// it is the first (n == 0), and reports whether it wrote anything. Thinking
// text and signatures are replayed exactly as the upstream produced them.
func (w *bodyWriter) block(b *ir.Block, n int) bool {
	switch b.Type {
	case ir.BlockText:
		w.sep(n)
		w.text(b)
	case ir.BlockImage:
		w.sep(n)
		w.media(b)
	case ir.BlockToolUse:
		w.sep(n)
		w.toolUse(b, b.ToolCallID)
	case ir.BlockToolResult:
		w.sep(n)
		w.b = append(w.b, `{"type":"tool_result"`...)
		w.str("tool_use_id", b.ToolCallID)
		w.resultContent(b.Content)
		if b.IsError {
			w.b = jsonw.AppendBoolField(w.b, "is_error", true)
		}
		w.cacheControl(b.CacheControl)
		w.b = append(w.b, '}')
	case ir.BlockThinking:
		w.sep(n)
		w.thinking(b, b.Signature)
	case ir.BlockRedactedThinking:
		w.sep(n)
		w.redacted(b)
	default:
		return false
	}
	return true
}

func (w *bodyWriter) toolUse(b *ir.Block, id string) {
	w.b = append(w.b, `{"type":"tool_use"`...)
	w.str("id", id)
	w.str("name", b.ToolName)
	w.b = append(jsonw.AppendKey(w.b, "input"), validObject(b.Input)...)
	w.cacheControl(b.CacheControl)
	w.b = append(w.b, '}')
}

func (w *bodyWriter) thinking(b *ir.Block, signature string) {
	w.b = append(w.b, `{"type":"thinking","thinking":`...)
	w.b = jsonw.AppendText(w.b, b)
	w.str("signature", signature)
	w.b = append(w.b, '}')
}

func (w *bodyWriter) redacted(b *ir.Block) {
	w.b = append(w.b, `{"type":"redacted_thinking"`...)
	w.str("data", b.Data)
	w.b = append(w.b, '}')
}

// text writes a text block.
func (w *bodyWriter) text(b *ir.Block) {
	w.b = append(w.b, `{"type":"text","text":`...)
	w.b = jsonw.AppendText(w.b, b)
	w.cacheControl(b.CacheControl)
	w.b = append(w.b, '}')
}

// resultContent sends a lone text result as a plain string (what most
// clients send) and anything richer as blocks; no member when nothing is
// left.
func (w *bodyWriter) resultContent(blocks []ir.Block) {
	if len(blocks) == 1 && blocks[0].Type == ir.BlockText && blocks[0].CacheControl == nil {
		w.b = jsonw.AppendText(jsonw.AppendKey(w.b, "content"), &blocks[0])
		return
	}
	mark := len(w.b)
	w.b = append(jsonw.AppendKey(w.b, "content"), '[')
	n := 0
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Type == ir.BlockText && b.Text != "":
			w.sep(n)
			w.text(b)
		case b.Type == ir.BlockImage && (b.Data != "" || b.URL != ""):
			w.sep(n)
			w.media(b)
		default:
			continue
		}
		n++
	}
	if n == 0 {
		w.b = w.b[:mark]
		return
	}
	w.b = append(w.b, ']')
}

// media writes an image, or a PDF carried on an image block, with a
// base64 or url source. data: URLs from OpenAI-style clients are unpacked.
func (w *bodyWriter) media(b *ir.Block) {
	mediaType, data, url := b.MediaType, b.Data, b.URL
	if data == "" && strings.HasPrefix(url, "data:") {
		if mt, d, ok := parseDataURL(url); ok {
			mediaType, data, url = mt, d, ""
		}
	}
	if mediaType == "application/pdf" {
		w.b = append(w.b, `{"type":"document","source":{`...)
	} else {
		w.b = append(w.b, `{"type":"image","source":{`...)
	}
	if data != "" {
		w.str("type", "base64")
		w.strOmit("media_type", mediaType)
		w.str("data", data)
	} else {
		w.str("type", "url")
		w.strOmit("url", url)
	}
	w.b = append(w.b, '}')
	w.cacheControl(b.CacheControl)
	w.b = append(w.b, '}')
}

// tools writes function tools and Anthropic's server tools (sendableTools
// chose them); no member without any.
func (w *bodyWriter) tools(tools []ir.Tool) {
	if len(tools) == 0 {
		return
	}
	w.b = append(jsonw.AppendKey(w.b, "tools"), '[')
	for i := range tools {
		t := &tools[i]
		w.sep(i)
		if !isFunctionTool(t) { // a server tool, as the client defined it
			w.rawValue("tools", t.Raw)
			continue
		}
		w.b = append(w.b, '{')
		w.str("name", t.Name)
		w.strOmit("description", t.Description)
		w.raw("input_schema", inputSchema(t.Parameters))
		if t.Strict {
			w.b = jsonw.AppendBoolField(w.b, "strict", true)
		}
		w.cacheControl(t.CacheControl)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *bodyWriter) sep(n int) {
	if n > 0 {
		w.b = append(w.b, ',')
	}
}

func (w *bodyWriter) str(key, val string) { w.b = jsonw.AppendStringField(w.b, key, val) }

func (w *bodyWriter) strOmit(key, val string) {
	if val != "" {
		w.str(key, val)
	}
}

func (w *bodyWriter) float(key string, f *float64) {
	if f != nil {
		w.b = jsonw.AppendFloat(jsonw.AppendKey(w.b, key), *f, 64)
	}
}

func (w *bodyWriter) cacheControl(raw []byte) {
	if len(raw) > 0 {
		w.raw("cache_control", raw)
	}
}

func (w *bodyWriter) raw(key string, raw []byte) {
	w.b = jsonw.AppendKey(w.b, key)
	w.rawValue(key, raw)
}

// rawValue appends raw JSON as it is (schemas keep the client's spacing);
// invalid JSON becomes null and names the member in w.bad.
func (w *bodyWriter) rawValue(key string, raw []byte) {
	if len(raw) == 0 || !jsonscan.Valid(raw) {
		if w.bad == "" {
			w.bad = key
		}
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, raw...)
}

// parseDataURL splits "data:<media type>;base64,<data>".
func parseDataURL(u string) (mediaType, data string, ok bool) {
	meta, data, found := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !isBase64 {
		return "", "", false
	}
	return mediaType, data, true
}
