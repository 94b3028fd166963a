package gemini

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// hostedTools maps the keys of Gemini's built-in tools to ir Tool kinds.
// The ir tool keeps {"<camelKey>": {...}} as Raw so a Gemini upstream gets
// it back; other upstreams drop it.
var hostedTools = map[string]string{
	"googleSearch": "google_search", "google_search": "google_search",
	"googleSearchRetrieval": "google_search_retrieval", "google_search_retrieval": "google_search_retrieval",
	"codeExecution": "code_execution", "code_execution": "code_execution",
	"urlContext": "url_context", "url_context": "url_context",
	"googleMaps": "google_maps", "google_maps": "google_maps",
	"fileSearch": "file_search", "file_search": "file_search",
	"computerUse": "computer_use", "computer_use": "computer_use",
	"enterpriseWebSearch": "enterprise_web_search", "enterprise_web_search": "enterprise_web_search",
}

// hostedKeys is the inverse: ir kind → the camelCase wire key.
var hostedKeys = map[string]string{
	"google_search": "googleSearch", "google_search_retrieval": "googleSearchRetrieval",
	"code_execution": "codeExecution", "url_context": "urlContext", "google_maps": "googleMaps",
	"file_search": "fileSearch", "computer_use": "computerUse", "enterprise_web_search": "enterpriseWebSearch",
}

func (d *reqDecoder) tools(v gjson.Result) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsArray() {
		return badRequest("tools must be an array")
	}
	var err error
	v.ForEach(func(_, t gjson.Result) bool {
		t.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "functionDeclarations", "function_declarations":
				err = d.functions(val)
			default:
				if kind, ok := hostedTools[k.Str]; ok {
					raw := `{"` + hostedKeys[kind] + `":` + string(compactRaw(val.Raw)) + `}`
					d.req.Tools = append(d.req.Tools, ir.Tool{Kind: kind, Raw: json.RawMessage(raw)})
				}
			}
			return err == nil
		})
		return err == nil
	})
	return err
}

func (d *reqDecoder) functions(v gjson.Result) error {
	var err error
	v.ForEach(func(_, f gjson.Result) bool {
		t := ir.Tool{Kind: ir.ToolKindFunction}
		f.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "name":
				t.Name = val.String()
			case "description":
				t.Description = val.String()
			case "parameters":
				if t.Parameters == nil && val.IsObject() {
					t.Parameters = toJSONSchema(val.Raw)
				}
			case "parametersJsonSchema", "parameters_json_schema":
				if val.IsObject() { // full JSON Schema: the better of the two
					t.Parameters = compactRaw(val.Raw)
				}
			}
			return true
		})
		if t.Name == "" {
			err = badRequest("tools[].functionDeclarations[].name is required")
			return false
		}
		d.req.Tools = append(d.req.Tools, t)
		return true
	})
	return err
}

// toolChoice reads toolConfig.functionCallingConfig. ANY with exactly one
// allowed name is "call that tool"; with several, ir can only say "some tool".
func toolChoice(v gjson.Result) *ir.ToolChoice {
	fc := v.Get("functionCallingConfig")
	if !fc.Exists() {
		fc = v.Get("function_calling_config")
	}
	mode := strings.ToUpper(fc.Get("mode").String())
	names := fc.Get("allowedFunctionNames")
	if !names.Exists() {
		names = fc.Get("allowed_function_names")
	}
	switch mode {
	case "AUTO", "VALIDATED":
		return &ir.ToolChoice{Mode: "auto"}
	case "NONE":
		return &ir.ToolChoice{Mode: "none"}
	case "ANY":
		if arr := names.Array(); len(arr) == 1 {
			return &ir.ToolChoice{Mode: "tool", Name: arr[0].String()}
		}
		return &ir.ToolChoice{Mode: "required"}
	}
	return nil
}

// genConfig reads generationConfig. Wrongly typed optional values are
// ignored rather than failing the request.
func (d *reqDecoder) genConfig(v gjson.Result) {
	r := d.req
	var mime string
	var schema gjson.Result
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "temperature":
			r.Temperature = floatPtr(val)
		case "topP", "top_p":
			r.TopP = floatPtr(val)
		case "topK", "top_k":
			if val.Type == gjson.Number {
				n := int(val.Float())
				r.TopK = &n
			}
		case "maxOutputTokens", "max_output_tokens":
			r.MaxTokens = int(val.Int())
		case "stopSequences", "stop_sequences":
			r.Stop = stringList(val)
		case "seed":
			if val.Type == gjson.Number {
				n := val.Int()
				r.Seed = &n
			}
		case "responseMimeType", "response_mime_type":
			mime = val.String()
		case "responseSchema", "response_schema":
			if !schema.Exists() && val.IsObject() {
				schema = gjson.Parse(string(toJSONSchema(val.Raw)))
			}
		case "responseJsonSchema", "response_json_schema", "_responseJsonSchema":
			if val.IsObject() {
				schema = val
			}
		case "thinkingConfig", "thinking_config":
			r.Reasoning = reasoning(val)
		case "responseModalities", "response_modalities":
			for _, m := range stringList(val) {
				out := d.output()
				out.Modalities = append(out.Modalities, strings.ToLower(m))
			}
		case "speechConfig", "speech_config":
			d.speech(val)
		case "imageConfig", "image_config":
			out := d.output()
			out.AspectRatio = firstString(val, "aspectRatio", "aspect_ratio")
			out.ImageSize = firstString(val, "imageSize", "image_size")
		}
		return true
	})
	r.ResponseFormat = responseFormat(mime, schema)
}

// output is the request's Output, created on first use.
func (d *reqDecoder) output() *ir.Output {
	if d.req.Output == nil {
		d.req.Output = &ir.Output{}
	}
	return d.req.Output
}

// speech reads speechConfig: the single speaker's prebuilt voice and the
// language (multi-speaker setups have no equivalent elsewhere).
func (d *reqDecoder) speech(v gjson.Result) {
	out := d.output()
	out.Language = firstString(v, "languageCode", "language_code")
	for _, p := range []string{"voiceConfig.prebuiltVoiceConfig.voiceName", "voice_config.prebuilt_voice_config.voice_name"} {
		if s := v.Get(p).String(); s != "" {
			out.Voice = s
		}
	}
}

func floatPtr(v gjson.Result) *float64 {
	if v.Type != gjson.Number {
		return nil
	}
	f := v.Float()
	return &f
}

func stringList(v gjson.Result) []string {
	var out []string
	v.ForEach(func(_, s gjson.Result) bool {
		if s.Type == gjson.String {
			out = append(out, s.Str)
		}
		return true
	})
	return out
}

func responseFormat(mime string, schema gjson.Result) *ir.ResponseFormat {
	if !strings.EqualFold(mime, "application/json") {
		return nil
	}
	if schema.Exists() {
		return &ir.ResponseFormat{Type: "json_schema", Name: "response", Schema: compactRaw(schema.Raw)}
	}
	return &ir.ResponseFormat{Type: "json_object"}
}

// reasoning reads thinkingConfig. thinkingBudget 0 turns thinking off, -1
// asks for Gemini's dynamic budget; thinkingLevel becomes an effort.
func reasoning(v gjson.Result) *ir.Reasoning {
	r := ir.Reasoning{}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "includeThoughts", "include_thoughts":
			r.IncludeThoughts = val.Bool()
		case "thinkingBudget", "thinking_budget":
			if val.Type == gjson.Number {
				if n := int(val.Int()); n == 0 {
					r.Disabled = true
				} else {
					r.BudgetTokens = n
				}
			}
		case "thinkingLevel", "thinking_level":
			if lvl := strings.ToLower(val.String()); lvl != "" && lvl != "thinking_level_unspecified" {
				r.Effort = lvl
			}
		}
		return true
	})
	if r == (ir.Reasoning{}) {
		return nil
	}
	return &r
}
