package anthropic

import (
	"encoding/json"
	"strconv"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// Request bodies are read with gjson rather than encoding/json: Claude Code
// sends ~80 KB of tools and prompts per turn, and one validation pass plus
// one walk is several times cheaper than encoding/json's nested decoding.
// The IR's strings share the body's memory (see dialect.Codec), and levels
// are walked with a jsonscan.Walker, which looks up where nested values end
// (the spans the gateway's validation pass left, when it has them) instead
// of scanning them again, and decodes escaped strings into one arena.
//
// Fields we cannot carry (context_management, container, mcp_servers,
// service_tier…) are skipped: unknown fields never fail a request. Known
// fields of the wrong type do, with the field's path in the message.

// DecodeRequest decodes a client's POST /v1/messages body. max_tokens is not
// required here (the upstream encoder supplies a default), so the same
// function serves count_tokens.
func (codec) DecodeRequest(body []byte) (*ir.Request, error) { return decodeRequest(body) }

// DecodeCountTokens decodes a POST /v1/messages/count_tokens body: the same
// shape as a messages request without max_tokens.
func DecodeCountTokens(body []byte) (*ir.Request, error) { return decodeRequest(body) }

// DecodeValidRequest is DecodeRequest for a body known to be valid JSON.
func (codec) DecodeValidRequest(body []byte, spans *jsonscan.Walker) (*ir.Request, error) {
	return decodeValid(body, spans)
}

func decodeRequest(body []byte) (*ir.Request, error) {
	if !jsonscan.Valid(body) {
		return nil, ir.Errorf(ir.KindBadRequest, "invalid JSON body")
	}
	return decodeValid(body, nil)
}

// decodeValid decodes a valid body, walking it with spans when given.
func decodeValid(body []byte, spans *jsonscan.Walker) (*ir.Request, error) {
	root := gjson.Parse(unsafeString(body))
	if !root.IsObject() {
		return nil, ir.Errorf(ir.KindBadRequest, "body: expected a JSON object")
	}
	req := &ir.Request{}
	var messages, tools, toolChoice, thinking, outputConfig, outputFormat gjson.Result
	var err error
	if spans == nil {
		spans = &jsonscan.Walker{}
	}
	sc := &decodeState{Walker: spans}
	sc.Each(root, func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			req.Model, err = str(v, "model")
		case "max_tokens":
			req.MaxTokens, err = integer(v, "max_tokens")
		case "system":
			req.System, err = decodeSystem(sc, v)
		case "messages":
			messages = v
		case "tools":
			tools = v
		case "tool_choice":
			toolChoice = v
		case "thinking":
			thinking = v
		case "output_config":
			outputConfig = v
		case "output_format": // the structured-outputs beta spelling
			outputFormat = v
		case "metadata":
			req.User, err = str(v.Get("user_id"), "metadata.user_id")
		case "stop_sequences":
			req.Stop, err = stringList(v, "stop_sequences")
		case "temperature":
			req.Temperature, err = float(v, "temperature")
		case "top_p":
			req.TopP, err = float(v, "top_p")
		case "top_k":
			req.TopK, err = intPtr(v, "top_k")
		case "stream":
			req.Stream, err = boolean(v, "stream")
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if err = decodeMessages(sc, req, messages); err != nil {
		return nil, err
	}
	if req.Tools, err = decodeTools(sc, tools); err != nil {
		return nil, err
	}
	decodeToolChoice(req, toolChoice)
	req.Reasoning = decodeReasoning(thinking, outputConfig)
	req.ResponseFormat = decodeFormat(outputConfig, outputFormat)
	return req, nil
}

// decodeSystem reads the top-level system prompt: a string or text blocks.
func decodeSystem(sc *decodeState, v gjson.Result) ([]ir.Block, error) {
	switch {
	case v.Type == gjson.Null:
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []ir.Block{dialect.TextBlock(v)}, nil
	case v.IsArray():
		blocks, err := decodeBlocks(sc, v, "system")
		if err != nil {
			return nil, err
		}
		return textOnly(blocks), nil
	}
	return nil, ir.Errorf(ir.KindBadRequest, "system: expected a string or an array of text blocks")
}

func textOnly(blocks []ir.Block) []ir.Block {
	out := blocks[:0]
	for _, b := range blocks {
		if b.Type == ir.BlockText {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// decodeMessages converts the conversation. System messages before the
// first user/assistant turn join the system prompt; later ones stay in
// place as ir.RoleSystem (Claude Code sends them mid-conversation).
func decodeMessages(sc *decodeState, req *ir.Request, v gjson.Result) error {
	if !v.Exists() || v.Type == gjson.Null {
		return ir.Errorf(ir.KindBadRequest, "messages: field required")
	}
	if !v.IsArray() {
		return ir.Errorf(ir.KindBadRequest, "messages: expected an array")
	}
	req.Messages = make([]ir.Message, 0, 16)
	i := 0
	var err error
	sc.Each(v, func(_, m gjson.Result) bool {
		err = decodeMessage(sc, req, m, i)
		i++
		return err == nil
	})
	if err == nil && i == 0 {
		err = ir.Errorf(ir.KindBadRequest, "messages: at least one message is required")
	}
	return err
}

// decodeMessage appends the i-th message to req.
func decodeMessage(sc *decodeState, req *ir.Request, m gjson.Result, i int) error {
	where := "messages." + strconv.Itoa(i)
	if !m.IsObject() {
		return ir.Errorf(ir.KindBadRequest, "%s: expected a message object", where)
	}
	var roleName, content gjson.Result
	sc.Each(m, func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			roleName = v
		case "content":
			content = v
		}
		return true
	})
	role, ok := decodeRole(roleName.Str)
	if !ok {
		return ir.Errorf(ir.KindBadRequest, "%s.role: unknown role %q", where, roleName.Str)
	}
	blocks, err := decodeContent(sc, content, where+".content")
	if err != nil {
		return err
	}
	if role == ir.RoleSystem {
		blocks = textOnly(blocks)
		if len(req.Messages) == 0 {
			req.System = append(req.System, blocks...)
			return nil
		}
	}
	req.Messages = append(req.Messages, ir.Message{Role: role, Content: blocks})
	return nil
}

func decodeRole(r string) (ir.Role, bool) {
	switch r {
	case "user":
		return ir.RoleUser, true
	case "assistant":
		return ir.RoleAssistant, true
	case "system", "developer":
		return ir.RoleSystem, true
	}
	return "", false
}

// decodeContent reads message content: a string or an array of blocks.
func decodeContent(sc *decodeState, v gjson.Result, where string) ([]ir.Block, error) {
	switch {
	case v.Type == gjson.Null:
		return []ir.Block{}, nil
	case v.Type == gjson.String:
		return []ir.Block{dialect.TextBlock(v)}, nil
	case v.IsArray():
		return decodeBlocks(sc, v, where)
	}
	return nil, ir.Errorf(ir.KindBadRequest, "%s: expected a string or an array of content blocks", where)
}

// decodeBlocks reads an array of content blocks, skipping types the IR
// cannot carry (server tool results, search results, containers…).
func decodeBlocks(sc *decodeState, v gjson.Result, where string) ([]ir.Block, error) {
	// Blocks collect in the shared scratch (a stack: a tool result's own
	// blocks go on top while its block is being built) and leave it in a
	// slice of their exact count.
	start := len(sc.scratch)
	defer func() { sc.scratch = sc.scratch[:start] }()
	i := 0
	var err error
	sc.Each(v, func(_, item gjson.Result) bool {
		if !item.IsObject() {
			err = ir.Errorf(ir.KindBadRequest, "%s.%d: expected a content block object", where, i)
			return false
		}
		var b ir.Block
		var ok bool
		if b, ok, err = blockToIR(sc, item, blockPath{where, i}); ok {
			sc.scratch = append(sc.scratch, b)
		}
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]ir.Block, len(sc.scratch)-start)
	copy(out, sc.scratch[start:])
	clear(sc.scratch[start:]) // the scratch must not keep strings alive
	return out, nil
}

// decodeState is what one request's decoding shares: the string arena
// and the block scratch.
type decodeState struct {
	*jsonscan.Walker
	scratch []ir.Block
}

// blockPath names a content block in error messages; the string is built
// only when there is an error to report.
type blockPath struct {
	parent string
	index  int
}

func (p blockPath) field(name string) string {
	return p.parent + "." + strconv.Itoa(p.index) + "." + name
}

// wireBlock holds the fields of a content block in one pass over it (an
// image block can carry megabytes of base64; it is scanned once).
type wireBlock struct {
	typ, text, thinking, signature, data, id, name, toolUseID gjson.Result
	source, input, content, isError, cacheControl             gjson.Result
}

func readBlock(sc *decodeState, item gjson.Result) wireBlock {
	var w wireBlock
	sc.Each(item, func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			w.typ = v
		case "text":
			w.text = v
		case "thinking":
			w.thinking = v
		case "signature":
			w.signature = v
		case "data":
			w.data = v
		case "id":
			w.id = v
		case "name":
			w.name = v
		case "tool_use_id":
			w.toolUseID = v
		case "source":
			w.source = v
		case "input":
			w.input = v
		case "content":
			w.content = v
		case "is_error":
			w.isError = v
		case "cache_control":
			w.cacheControl = v
		}
		return true
	})
	return w
}

// blockToIR converts one block. ok is false when the block is dropped.
func blockToIR(sc *decodeState, item gjson.Result, where blockPath) (b ir.Block, ok bool, err error) {
	w := readBlock(sc, item)
	b.CacheControl = rawObject(w.cacheControl)
	switch w.typ.Str {
	case "text":
		b.Type = ir.BlockText
		if _, ok = strOK(w.text); !ok {
			err = wrongType(where.field("text"), "a string")
		}
		b.Text, b.Escaped = dialect.TextOf(w.text)
	case "image", "document":
		return mediaToIR(w, b, where)
	case "tool_use":
		b.Type, b.ToolCallID, b.ToolName = ir.BlockToolUse, w.id.Str, w.name.Str
		b.Input = toolInput(w.input)
	case "tool_result":
		b.Type, b.ToolCallID, b.IsError = ir.BlockToolResult, w.toolUseID.Str, w.isError.Bool()
		if b.Content, err = decodeContent(sc, w.content, where.field("content")); err == nil {
			b.Content = resultContent(b.Content)
		}
	case "thinking":
		b.Type = ir.BlockThinking
		b.Text, b.Escaped = dialect.TextOf(w.thinking)
		b.Signature, b.Origin = unwrapSignature(w.signature.Str)
	case "redacted_thinking":
		b.Type, b.Data, b.Origin = ir.BlockRedactedThinking, w.data.Str, ir.OriginAnthropic
	default:
		return b, false, nil
	}
	return b, err == nil, err
}

// toolInput returns a call's input object. Some clients replay the
// arguments as a JSON string (OpenAI habit); those are unwrapped.
func toolInput(v gjson.Result) json.RawMessage {
	switch {
	case v.IsObject():
		return json.RawMessage(v.Raw)
	case v.Type == gjson.String:
		return dialect.ArgumentsObject(v.Str)
	}
	return emptyObject
}

// resultContent keeps the text and image blocks of a tool result.
func resultContent(blocks []ir.Block) []ir.Block {
	out := blocks[:0]
	for _, b := range blocks {
		if b.Type == ir.BlockText || b.Type == ir.BlockImage {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mediaToIR converts image and document blocks. A document's media type
// (application/pdf) rides on an image block so an Anthropic upstream gets a
// document back; plain-text documents become text.
func mediaToIR(w wireBlock, b ir.Block, where blockPath) (ir.Block, bool, error) {
	if w.source.Exists() && !w.source.IsObject() {
		return b, false, ir.Errorf(ir.KindBadRequest, "%s: expected an object", where.field("source"))
	}
	src := w.source
	b.Type = ir.BlockImage
	switch src.Get("type").Str {
	case "base64":
		b.MediaType, b.Data = src.Get("media_type").Str, src.Get("data").Str
	case "url":
		b.URL = src.Get("url").Str
	case "text":
		if w.typ.Str == "document" {
			return ir.Block{Type: ir.BlockText, Text: src.Get("data").Str, CacheControl: b.CacheControl}, true, nil
		}
		return b, false, nil
	default: // file ids and content sources cannot cross dialects
		return b, false, nil
	}
	if w.typ.Str == "document" && b.MediaType == "" {
		b.MediaType = "application/pdf"
	}
	return b, true, nil
}
