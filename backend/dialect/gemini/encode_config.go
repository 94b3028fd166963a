package gemini

import (
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// appendTools writes tools (one functionDeclarations entry plus Gemini's
// own hosted tools) and, when functions were written, toolConfig. Hosted
// tools of other vendors (web_search, code_interpreter, namespace…) are
// dropped: Gemini has no equivalent it would accept next to functions.
func (e *reqEncoder) appendTools(dst []byte) []byte {
	mark := len(dst)
	dst = append(dst, `,"tools":[`...)
	start := len(dst)
	fns := 0
	for i := range e.req.Tools {
		t := &e.req.Tools[i]
		if t.Kind != ir.ToolKindFunction && t.Kind != "" || t.Name == "" {
			continue
		}
		if fns == 0 {
			dst = append(dst, `{"functionDeclarations":[`...)
		} else {
			dst = append(dst, ',')
		}
		fns++
		dst = appendDeclaration(dst, t)
	}
	if fns > 0 {
		dst = append(dst, "]}"...)
	}
	for i := range e.req.Tools {
		if raw := hostedRaw(&e.req.Tools[i]); raw != nil {
			if len(dst) > start {
				dst = append(dst, ',')
			}
			dst = appendObject(dst, raw)
		}
	}
	if len(dst) == start {
		return dst[:mark]
	}
	dst = append(dst, ']')
	if fns > 0 && e.req.ToolChoice != nil {
		dst = appendToolChoice(dst, e.req.ToolChoice)
	}
	return dst
}

func appendDeclaration(dst []byte, t *ir.Tool) []byte {
	dst = append(dst, '{')
	dst = appendStringField(dst, "name", t.Name)
	if t.Description != "" {
		dst = appendStringField(dst, "description", t.Description)
	}
	if params := cleanToolSchema(t.Parameters); params != nil {
		dst = append(appendKey(dst, "parameters"), params...)
	}
	return append(dst, '}')
}

// hostedRaw returns the raw definition of a Gemini hosted tool, or nil.
func hostedRaw(t *ir.Tool) []byte {
	key, ok := hostedKeys[t.Kind]
	if !ok || len(t.Raw) == 0 {
		return nil
	}
	r := gjson.ParseBytes(t.Raw)
	if !r.IsObject() || !r.Get(key).Exists() && !r.Get(t.Kind).Exists() {
		return nil // same kind name, another vendor's shape
	}
	return t.Raw
}

func appendToolChoice(dst []byte, tc *ir.ToolChoice) []byte {
	var mode string
	switch tc.Mode {
	case "none":
		mode = "NONE"
	case "required":
		mode = "ANY"
	case "tool":
		if tc.Name == "" {
			mode = "ANY"
			break
		}
		dst = append(dst, `,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":[`...)
		dst = appendString(dst, tc.Name)
		return append(dst, "]}}"...)
	default:
		mode = "AUTO"
	}
	dst = append(dst, `,"toolConfig":{"functionCallingConfig":{"mode":"`...)
	dst = append(dst, mode...)
	return append(dst, `"}}`...)
}

// maxStopSequences is Gemini's limit; extra sequences are dropped rather
// than failing the request.
const maxStopSequences = 5

// appendGenConfig writes generationConfig when any of it is set.
func appendGenConfig(dst []byte, req *ir.Request) []byte {
	mark := len(dst)
	dst = append(dst, `,"generationConfig":{`...)
	open := len(dst)
	if req.Temperature != nil {
		dst = appendFloat(appendKey(dst, "temperature"), *req.Temperature)
	}
	if req.TopP != nil {
		dst = appendFloat(appendKey(dst, "topP"), *req.TopP)
	}
	if req.TopK != nil {
		dst = appendIntField(dst, "topK", *req.TopK)
	}
	if req.MaxTokens > 0 {
		dst = appendIntField(dst, "maxOutputTokens", req.MaxTokens)
	}
	dst = appendStops(dst, req.Stop)
	if req.Seed != nil {
		dst = appendIntField(dst, "seed", int(*req.Seed))
	}
	dst = appendResponseFormat(dst, req.ResponseFormat)
	dst = appendThinking(dst, req.Reasoning)
	dst = appendOutput(dst, req.Output)
	if len(dst) == open {
		return dst[:mark]
	}
	return append(dst, '}')
}

// appendOutput writes responseModalities with the speech and image
// config that go with them.
func appendOutput(dst []byte, o *ir.Output) []byte {
	if o == nil {
		return dst
	}
	if len(o.Modalities) > 0 {
		dst = append(appendKey(dst, "responseModalities"), '[')
		for i, m := range o.Modalities {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, strings.ToUpper(m))
		}
		dst = append(dst, ']')
	}
	if o.Voice != "" || o.Language != "" {
		dst = append(appendKey(dst, "speechConfig"), '{')
		if o.Voice != "" {
			dst = append(dst, `"voiceConfig":{"prebuiltVoiceConfig":{`...)
			dst = append(appendStringField(dst, "voiceName", o.Voice), "}}"...)
		}
		if o.Language != "" {
			dst = appendStringField(dst, "languageCode", o.Language)
		}
		dst = append(dst, '}')
	}
	if o.AspectRatio != "" || o.ImageSize != "" {
		dst = append(appendKey(dst, "imageConfig"), '{')
		if o.AspectRatio != "" {
			dst = appendStringField(dst, "aspectRatio", o.AspectRatio)
		}
		if o.ImageSize != "" {
			dst = appendStringField(dst, "imageSize", o.ImageSize)
		}
		dst = append(dst, '}')
	}
	return dst
}

// appendStops writes stopSequences: empty ones are skipped and at most
// maxStopSequences are sent.
func appendStops(dst []byte, stops []string) []byte {
	n := 0
	for _, s := range stops {
		if s == "" || n == maxStopSequences {
			continue
		}
		if n == 0 {
			dst = append(appendKey(dst, "stopSequences"), '[')
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = appendString(dst, s)
	}
	if n > 0 {
		dst = append(dst, ']')
	}
	return dst
}

func appendResponseFormat(dst []byte, rf *ir.ResponseFormat) []byte {
	if rf == nil || rf.Type != "json_object" && rf.Type != "json_schema" {
		return dst
	}
	dst = appendStringField(dst, "responseMimeType", "application/json")
	if rf.Type == "json_schema" {
		if s := cleanResponseSchema(rf.Schema); s != nil {
			dst = append(appendKey(dst, "responseSchema"), s...)
		}
	}
	return dst
}

// effortBudgets maps an ir effort to a thinkingBudget. A budget works on
// every thinking Gemini model (thinkingLevel is Gemini 3 only).
var effortBudgets = map[string]int{
	"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 32768,
}

// thinkingBudget resolves the requested reasoning to a thinkingBudget;
// ok is false when none was asked for.
func thinkingBudget(r *ir.Reasoning) (budget int, ok bool) {
	switch {
	case r.Disabled:
		return 0, true
	case r.BudgetTokens != 0:
		return r.BudgetTokens, true
	case r.Adaptive:
		return -1, true
	}
	budget, ok = effortBudgets[r.Effort]
	return budget, ok
}

// appendThinking writes thinkingConfig. Thoughts are included whenever
// thinking is requested, so the client sees them.
func appendThinking(dst []byte, r *ir.Reasoning) []byte {
	if r == nil {
		return dst
	}
	budget, hasBudget := thinkingBudget(r)
	off := hasBudget && budget == 0
	include := (r.IncludeThoughts || hasBudget) && !off
	if !hasBudget && !include {
		return dst
	}
	dst = append(appendKey(dst, "thinkingConfig"), '{')
	if include {
		dst = append(dst, `"includeThoughts":true`...)
	}
	if hasBudget {
		dst = appendIntField(dst, "thinkingBudget", budget)
	}
	return append(dst, '}')
}
