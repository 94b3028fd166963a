package openai

import (
	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/sse"
)

// DecodeCompletionRequest reads a legacy POST /v1/completions request. The
// prompt becomes one user message (an array of prompts becomes one text
// block each: the gateway answers with a single choice). suffix, echo,
// best_of, logprobs and n have no hub form and are ignored.
func DecodeCompletionRequest(body []byte) (*ir.Request, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	req := &ir.Request{}
	var prompt gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt":
			prompt = v
		case "model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream", "stream_options", "user":
			decodeParam(req, k.Str, v)
		}
		return true
	})
	if req.Model == "" {
		return nil, badRequest("model is required")
	}
	blocks, err := decodePrompt(prompt)
	if err != nil {
		return nil, err
	}
	req.Messages = []ir.Message{{Role: ir.RoleUser, Content: blocks}}
	return req, nil
}

func decodePrompt(p gjson.Result) ([]ir.Block, error) {
	if p.Type == gjson.String {
		if p.Str == "" {
			return nil, badRequest("prompt must not be empty")
		}
		return []ir.Block{{Type: ir.BlockText, Text: p.Str}}, nil
	}
	if !p.IsArray() {
		return nil, badRequest("prompt must be a string or an array of strings")
	}
	var out []ir.Block
	var err error
	p.ForEach(func(_, s gjson.Result) bool {
		if s.Type != gjson.String {
			err = badRequest("prompt as token arrays is not supported; send text")
			return false
		}
		if s.Str != "" {
			out = append(out, ir.Block{Type: ir.BlockText, Text: s.Str})
		}
		return true
	})
	if err == nil && len(out) == 0 {
		err = badRequest("prompt must not be empty")
	}
	return out, err
}

// EncodeCompletionResponse renders a text_completion object. Only text is
// carried; thinking and tool calls have no place in the legacy shape.
func EncodeCompletionResponse(resp *ir.Response) ([]byte, error) {
	if resp == nil {
		return nil, ir.Errorf(ir.KindInternal, "openai: nil response")
	}
	text := joinText(resp.Content, ir.BlockText, "")
	b := make([]byte, 0, 256+len(text))
	b = appendStringField(append(b, '{'), "id", completionID(resp.ID))
	b = append(b, `,"object":"text_completion"`...)
	b = appendIntField(b, "created", createdOr(resp.Created))
	b = appendStringField(b, "model", resp.Model)
	b = append(b, `,"choices":[{"text":`...)
	b = appendString(b, text)
	b = append(b, `,"index":0,"logprobs":null,"finish_reason":`...)
	b = appendString(b, legacyFinish(resp.StopReason))
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, &resp.Usage)
	return append(b, '}'), nil
}

func completionID(id string) string {
	if len(id) > len("cmpl-") && id[:len("cmpl-")] == "cmpl-" {
		return id
	}
	return newID("cmpl-")
}

// legacyFinish maps the stop reason to the legacy vocabulary (stop, length,
// content_filter; a tool call cannot happen there).
func legacyFinish(s ir.StopReason) string {
	if f := finishFromStop(s); f != "tool_calls" {
		return f
	}
	return "stop"
}

// NewCompletionStreamEncoder streams text_completion chunks for a legacy
// completions client: text deltas only, then a finish chunk, the usage
// chunk if asked for, and [DONE].
func NewCompletionStreamEncoder(req *ir.Request) dialect.StreamEncoder {
	e := &completionStreamEncoder{}
	if req != nil {
		e.model, e.includeUsage = req.Model, req.IncludeUsage
	}
	return e
}

type completionStreamEncoder struct {
	model        string
	includeUsage bool
	head, buf    []byte
	started      bool
	done         bool
	usage        ir.Usage
}

func (e *completionStreamEncoder) Encode(dst []byte, ev *ir.Event) []byte {
	if e.done {
		return dst
	}
	switch ev.Type {
	case ir.EvMessageStart:
		e.begin(ev.ID, ev.Model)
	case ir.EvTextDelta:
		e.begin("", "")
		if ev.Text != "" {
			dst = e.chunk(dst, ev.Text, "")
		}
	case ir.EvUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
	case ir.EvMessageStop:
		e.begin("", "")
		e.done = true
		dst = e.chunk(dst, "", legacyFinish(ev.Stop))
		dst = appendTail(dst, e.buf[:0], e.head, e.includeUsage, &e.usage)
	case ir.EvError:
		e.done = true
		e.buf = appendErrorBody(e.buf[:0], ev.Err)
		dst = append(sse.AppendData(dst, e.buf), sse.DoneFrame...)
	}
	return dst
}

func (e *completionStreamEncoder) begin(id, model string) {
	if e.started {
		return
	}
	e.started = true
	if e.model == "" {
		e.model = model
	}
	e.head = appendHead(e.head[:0], completionID(id), "text_completion", e.model)
}

func (e *completionStreamEncoder) chunk(dst []byte, text, finish string) []byte {
	e.buf = append(e.buf[:0], e.head...)
	e.buf = append(e.buf, `,"choices":[{"text":`...)
	e.buf = appendString(e.buf, text)
	e.buf = append(e.buf, `,"index":0,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		e.buf = append(e.buf, "null"...)
	} else {
		e.buf = appendString(e.buf, finish)
	}
	e.buf = append(e.buf, "}]}"...)
	return sse.AppendData(dst, e.buf)
}
