package openai

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeRequest reads a Chat Completions request. Required structure
// (messages, roles, content shapes) is checked; optional scalars of the
// wrong type are ignored rather than failing the request, like unknown
// fields.
func (codec) DecodeRequest(body []byte) (*ir.Request, error) {
	if !jsonscan.Valid(body) {
		return nil, badRequest("request body is not valid JSON")
	}
	return decodeValid(body, nil)
}

// DecodeValidRequest is DecodeRequest for a body known to be valid JSON.
// spans (may be nil) holds where the validation pass found each container
// and long string ends, so the body is walked without scanning it again.
func (codec) DecodeValidRequest(body []byte, spans *jsonscan.Walker) (*ir.Request, error) {
	return decodeValid(body, spans)
}

func decodeValid(body []byte, w *jsonscan.Walker) (*ir.Request, error) {
	root, err := objectOf(body)
	if err != nil {
		return nil, err
	}
	if w == nil {
		w = &jsonscan.Walker{} // records the spans as it walks
	}
	req := &ir.Request{}
	var messages, functions, functionCall gjson.Result
	w.Each(root, func(k, v gjson.Result) bool {
		switch k.Str {
		case "messages":
			messages = v
		case "functions":
			functions = v
		case "function_call":
			functionCall = v
		default:
			decodeParam(req, k.Str, v)
		}
		return true
	})
	if req.Model == "" {
		return nil, badRequest("model is required")
	}
	if !messages.IsArray() {
		return nil, badRequest("messages must be a non-empty array")
	}
	if err := decodeMessages(req, messages, w); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 && len(req.System) == 0 {
		return nil, badRequest("messages must be a non-empty array")
	}
	decodeLegacyFunctions(req, functions, functionCall)
	return req, nil
}

// parseObject validates body and parses it once; every string taken from
// the result aliases this single copy of the body.
func parseObject(body []byte) (gjson.Result, error) {
	if !jsonscan.Valid(body) {
		return gjson.Result{}, badRequest("request body is not valid JSON")
	}
	return objectOf(body)
}

// objectOf is parseObject for a body known to be valid JSON.
func objectOf(body []byte) (gjson.Result, error) {
	root := gjson.Parse(jsonscan.View(body))
	if !root.IsObject() {
		return gjson.Result{}, badRequest("request body must be a JSON object")
	}
	return root, nil
}

// decodeParam maps one top-level field other than messages.
func decodeParam(req *ir.Request, key string, v gjson.Result) {
	switch key {
	case "model":
		req.Model = v.Str
	case "tools":
		req.Tools = decodeTools(v)
	case "tool_choice":
		req.ToolChoice = decodeToolChoice(v)
	case "parallel_tool_calls":
		req.ParallelToolCalls = optBool(v)
	case "max_tokens":
		if v.Type == gjson.Number && req.MaxTokens == 0 {
			req.MaxTokens = int(v.Int())
		}
	case "max_completion_tokens": // the newer name wins over max_tokens
		if v.Type == gjson.Number {
			req.MaxTokens = int(v.Int())
		}
	case "temperature":
		req.Temperature = optFloat(v)
	case "top_p":
		req.TopP = optFloat(v)
	case "top_k": // not OpenAI, but sent by clients of compatible vendors
		if v.Type == gjson.Number {
			k := int(v.Int())
			req.TopK = &k
		}
	case "stop":
		req.Stop = decodeStop(v)
	case "seed":
		if v.Type == gjson.Number {
			s := v.Int()
			req.Seed = &s
		}
	case "stream":
		req.Stream = v.Type == gjson.True
	case "stream_options":
		req.IncludeUsage = v.Get("include_usage").Type == gjson.True
	case "response_format":
		req.ResponseFormat = decodeResponseFormat(v)
	case "reasoning_effort":
		req.Reasoning = decodeEffort(req.Reasoning, v.Str)
	case "reasoning": // OpenRouter's {"effort": …}
		if req.Reasoning == nil {
			req.Reasoning = decodeEffort(nil, v.Get("effort").Str)
		}
	case "user":
		req.User = v.Str
	case "prompt_cache_key":
		req.PromptCacheKey = v.Str
	}
}

func optFloat(v gjson.Result) *float64 {
	if v.Type != gjson.Number {
		return nil
	}
	f := v.Num
	return &f
}

func optBool(v gjson.Result) *bool {
	if v.Type != gjson.True && v.Type != gjson.False {
		return nil
	}
	b := v.Type == gjson.True
	return &b
}

func decodeStop(v gjson.Result) []string {
	if v.Type == gjson.String {
		if v.Str == "" {
			return nil
		}
		return []string{v.Str}
	}
	var out []string
	jsonscan.Each(v, func(_, s gjson.Result) bool {
		if s.Type == gjson.String && s.Str != "" {
			out = append(out, s.Str)
		}
		return true
	})
	return out
}

// decodeEffort maps reasoning_effort. "none" is both the effort the client
// named and a request to turn reasoning off, so dialects without an effort
// scale (Anthropic, Gemini) see Disabled.
func decodeEffort(r *ir.Reasoning, effort string) *ir.Reasoning {
	if effort == "" {
		return r
	}
	if r == nil {
		r = &ir.Reasoning{}
	}
	r.Effort = effort
	r.Disabled = effort == "none"
	return r
}

func decodeResponseFormat(v gjson.Result) *ir.ResponseFormat {
	t := v.Get("type").Str
	if t == "" {
		return nil
	}
	rf := &ir.ResponseFormat{Type: t}
	if t == "json_schema" {
		js := v.Get("json_schema")
		rf.Name = js.Get("name").Str
		rf.Strict = js.Get("strict").Type == gjson.True
		if s := js.Get("schema"); s.IsObject() {
			rf.Schema = json.RawMessage(s.Raw)
		}
	}
	return rf
}

func decodeTools(v gjson.Result) []ir.Tool {
	var out []ir.Tool
	jsonscan.Each(v, func(_, t gjson.Result) bool {
		if !t.IsObject() {
			return true
		}
		kind := t.Get("type").Str
		if kind != ir.ToolKindFunction {
			// Hosted and custom tools: kept whole so an upstream of the
			// same family may get them back; others drop them.
			if kind != "" {
				out = append(out, ir.Tool{Kind: kind, Name: t.Get(kind + ".name").Str, Raw: json.RawMessage(t.Raw)})
			}
			return true
		}
		fn := t.Get("function")
		if !fn.IsObject() {
			fn = t // the flat Responses shape, sent by some clients
		}
		if tool := decodeFunction(fn); tool.Name != "" { // a nameless tool cannot be called
			out = append(out, tool)
		}
		return true
	})
	return out
}

// decodeFunction reads a function definition ({name, description,
// parameters, strict}), shared by tools[] and the deprecated functions[].
func decodeFunction(f gjson.Result) ir.Tool {
	tool := ir.Tool{Kind: ir.ToolKindFunction}
	jsonscan.Each(f, func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			tool.Name = v.Str
		case "description":
			tool.Description = v.Str
		case "strict":
			tool.Strict = v.Type == gjson.True
		case "parameters":
			if v.IsObject() {
				tool.Parameters = json.RawMessage(v.Raw)
			}
		}
		return true
	})
	return tool
}

func decodeToolChoice(v gjson.Result) *ir.ToolChoice {
	switch {
	case v.Type == gjson.String:
		switch v.Str {
		case "auto", "none", "required":
			return &ir.ToolChoice{Mode: v.Str}
		}
	case v.IsObject():
		name := v.Get("function.name").Str
		if name == "" && v.Get("type").Str == "function" {
			name = v.Get("name").Str // the flat Responses shape
		}
		if name != "" {
			return &ir.ToolChoice{Mode: "tool", Name: name}
		}
		if v.Get("type").Str == "allowed_tools" {
			if mode := v.Get("allowed_tools.mode").Str; mode == "auto" || mode == "required" {
				return &ir.ToolChoice{Mode: mode}
			}
		}
	}
	return nil
}

// decodeLegacyFunctions maps the deprecated functions/function_call pair
// when the client did not use tools/tool_choice.
func decodeLegacyFunctions(req *ir.Request, functions, choice gjson.Result) {
	if len(req.Tools) == 0 {
		jsonscan.Each(functions, func(_, f gjson.Result) bool {
			if f.IsObject() {
				req.Tools = append(req.Tools, decodeFunction(f))
			}
			return true
		})
	}
	if req.ToolChoice == nil && choice.Exists() {
		if choice.Type == gjson.String && (choice.Str == "auto" || choice.Str == "none") {
			req.ToolChoice = &ir.ToolChoice{Mode: choice.Str}
		} else if name := choice.Get("name").Str; name != "" {
			req.ToolChoice = &ir.ToolChoice{Mode: "tool", Name: name}
		}
	}
}

// toolInput turns a function's arguments into the JSON object the IR
// wants. Arguments are a JSON string by the spec; some compatible servers
// send the object itself, which is taken as is. Arguments that are not a
// JSON object (a model that produced broken JSON) become "{}": every other
// dialect requires an object there.
func toolInput(args gjson.Result) json.RawMessage {
	if args.IsObject() {
		return json.RawMessage(args.Raw)
	}
	return dialect.ArgumentsObject(args.Str)
}

// parseImageURL turns an image_url into an image block: data URLs become
// inline base64 data, anything else stays a URL.
func parseImageURL(u string) ir.Block {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok {
			if mt, b64 := strings.CutSuffix(meta, ";base64"); b64 {
				return ir.Block{Type: ir.BlockImage, MediaType: mt, Data: data}
			}
		}
	}
	return ir.Block{Type: ir.BlockImage, URL: u}
}

func itoa(i int) string { return strconv.Itoa(i) }
