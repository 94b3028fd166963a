package anthropic

import (
	"bytes"
	"encoding/json"

	"switchboard/backend/ir"
)

// Defaults for what the Messages API requires and other dialects may omit.
const (
	// DefaultMaxTokens is max_tokens when the IR has none (max_tokens is
	// required by Anthropic). Agentic requests (with tools) write whole files
	// in one tool call, so they get more room.
	DefaultMaxTokens      = 8192
	DefaultMaxTokensTools = 32000
	// minThinkingBudget is the smallest budget_tokens the API accepts.
	minThinkingBudget = 1024
)

// thinkingBudgets maps a reasoning effort from another dialect onto
// thinking.budget_tokens.
var thinkingBudgets = map[string]int{
	"minimal": minThinkingBudget,
	"low":     minThinkingBudget,
	"medium":  8192,
	"high":    24576,
	"xhigh":   32768,
}

// jsonObjectInstruction stands in for json_object mode, which the Messages
// API has no switch for.
const jsonObjectInstruction = "Respond only with a single valid JSON object, with no text before or after it."

// outRequest is what goes upstream, before it is written (write.go).
// Messages are already normalised; System and Tools hold only what is sent.
type outRequest struct {
	Model         string
	MaxTokens     int
	System        []ir.Block
	Messages      []ir.Message
	Tools         []ir.Tool
	ToolChoice    *outChoice
	Thinking      *thinkingConfig
	OutputConfig  *outConfig
	UserID        string // metadata.user_id
	StopSequences []string
	Temperature   *float64
	TopP          *float64
	TopK          *int
	Stream        bool
}

type outChoice struct {
	Type                   string
	Name                   string
	DisableParallelToolUse bool
}

// outConfig is output_config: the effort and a json_schema format's schema.
type outConfig struct {
	Effort string
	Schema json.RawMessage
}

// EncodeRequest builds the body for an Anthropic upstream from an IR of any
// origin, enforcing what the public API insists on:
//   - max_tokens is always set (DefaultMaxTokens / DefaultMaxTokensTools);
//   - the conversation is normalised (normalizeMessages): strict
//     alternation, tool pairs, mid-conversation system text carried inside
//     user turns, only Anthropic-signed thinking replayed;
//   - reasoning becomes thinking / output_config (applyReasoning);
//   - temperature is clamped to 1 and never sent together with top_p;
//   - tool_choice only with tools; foreign hosted tools are dropped;
//   - json_schema output uses output_config.format; json_object mode, which
//     has no switch here, becomes a system instruction.
func (codec) EncodeRequest(req *ir.Request) ([]byte, error) {
	return EncodeRequestWith(req, RequestOptions{})
}

// RequestOptions carry what the catalog knows about the target model.
type RequestOptions struct {
	// MaxOutput is the model's largest max_tokens (0: unknown). A thinking
	// budget raises max_tokens above the answer's room, which can pass the
	// model's limit: the API then refuses the request, so both are capped.
	MaxOutput int
}

// EncodeRequestWith is EncodeRequest with what the catalog knows.
func EncodeRequestWith(req *ir.Request, o RequestOptions) ([]byte, error) {
	if req == nil {
		return nil, ir.Errorf(ir.KindInternal, "anthropic: nil request")
	}
	extraSystem, msgs := normalizeMessages(req.Messages)
	if len(msgs) == 0 {
		return nil, ir.Errorf(ir.KindBadRequest, "messages: nothing to send after the system prompt")
	}
	out := outRequest{
		Model:         req.Model,
		Messages:      msgs,
		StopSequences: req.Stop,
		Temperature:   clampTemperature(req.Temperature),
		TopP:          req.TopP,
		TopK:          req.TopK,
		Stream:        req.Stream,
	}
	out.Tools = sendableTools(req.Tools)
	if len(out.Tools) > 0 {
		out.ToolChoice = encodeToolChoice(req.ToolChoice, req.ParallelToolCalls)
	}
	out.OutputConfig = encodeFormat(req.ResponseFormat)
	system := append(append([]ir.Block(nil), req.System...), extraSystem...)
	if rf := req.ResponseFormat; rf != nil && out.OutputConfig == nil && rf.Type != "" && rf.Type != "text" {
		system = append(system, ir.Block{Type: ir.BlockText, Text: jsonObjectInstruction})
	}
	out.System = system
	out.UserID = req.User
	out.MaxTokens = req.MaxTokens
	if out.MaxTokens <= 0 {
		out.MaxTokens = DefaultMaxTokens
		if len(out.Tools) > 0 {
			out.MaxTokens = DefaultMaxTokensTools
		}
	}
	applyReasoning(&out, req, msgs)
	capOutput(&out, o.MaxOutput)
	if out.Temperature != nil && out.TopP != nil {
		out.TopP = nil // recent models reject both; temperature is the one clients mean
	}
	// Sized by what is sent: normalising drops other vendors' reasoning,
	// which is most of a Codex body.
	sent := ir.Request{System: out.System, Messages: out.Messages, Tools: out.Tools, Scratch: req.Scratch}
	w := bodyWriter{b: sent.EncodeBuffer()}
	w.request(&out)
	if w.bad != "" { // invalid raw JSON in the IR (a schema, cache_control…)
		return nil, ir.Errorf(ir.KindBadRequest, "anthropic: cannot encode request: %s is not valid JSON", w.bad)
	}
	return w.b, nil
}

// capOutput keeps max_tokens within the model's limit and the thinking
// budget below max_tokens (the API requires budget_tokens < max_tokens),
// leaving at least a quarter of the room for the answer; thinking goes
// when even the smallest budget no longer fits.
func capOutput(out *outRequest, limit int) {
	if limit <= 0 || out.MaxTokens <= limit {
		return
	}
	out.MaxTokens = limit
	if th := out.Thinking; th != nil && th.BudgetTokens > limit*3/4 {
		if b := limit * 3 / 4; b >= minThinkingBudget {
			th.BudgetTokens = b
		} else {
			out.Thinking = nil
		}
	}
}

func clampTemperature(t *float64) *float64 {
	if t == nil || *t <= 1 {
		return t
	}
	one := 1.0 // OpenAI's range goes to 2; Anthropic's stops at 1
	return &one
}

// sendableTools keeps function tools and Anthropic's own server tools;
// hosted tools of other vendors are dropped (the request still succeeds).
// The slice is shared when nothing is dropped.
func sendableTools(tools []ir.Tool) []ir.Tool {
	for i := range tools {
		if !sendableTool(&tools[i]) {
			out := append([]ir.Tool(nil), tools[:i]...)
			for j := i + 1; j < len(tools); j++ {
				if sendableTool(&tools[j]) {
					out = append(out, tools[j])
				}
			}
			return out
		}
	}
	return tools
}

func sendableTool(t *ir.Tool) bool {
	return isFunctionTool(t) || isAnthropicServerTool(t)
}

func isFunctionTool(t *ir.Tool) bool { return t.Kind == ir.ToolKindFunction || t.Kind == "" }

// inputSchema returns the tool's schema; the API insists on an object schema
// with a type, which schemaless tools from other dialects lack.
func inputSchema(p json.RawMessage) json.RawMessage {
	if firstByte(p) != '{' || string(bytes.TrimSpace(p)) == "{}" {
		return emptyObjectSchema
	}
	return p
}

var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

func encodeToolChoice(tc *ir.ToolChoice, parallel *bool) *outChoice {
	c := &outChoice{Type: "auto"}
	if tc != nil {
		switch tc.Mode {
		case "required":
			c.Type = "any"
		case "tool":
			c = &outChoice{Type: "tool", Name: tc.Name}
		case "none":
			return &outChoice{Type: "none"}
		}
	}
	if parallel != nil && !*parallel {
		c.DisableParallelToolUse = true
	} else if tc == nil {
		return nil // the API default is auto
	}
	return c
}

func encodeFormat(rf *ir.ResponseFormat) *outConfig {
	if rf == nil || rf.Type != "json_schema" || firstByte(rf.Schema) != '{' {
		return nil
	}
	return &outConfig{Schema: rf.Schema}
}

type thinkingConfig struct {
	Type         string
	BudgetTokens int
	Display      string
}
