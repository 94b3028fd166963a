package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"google.golang.org/genai"
)

// outcome is one model turn as an SDK returned it, normalized.
type outcome struct {
	Text     string
	ToolID   string
	ToolName string
	ToolArgs string // JSON
	Finish   string // "stop" | "tool" | the raw value when neither
	In, Out  int64  // usage as the SDK exposes it
	HasUsage bool
}

// convo is a conversation held by one official SDK: ask sends the history
// (with the get_weather tool when asked) and records the assistant's turn;
// answerTool adds the tool result for the last call and asks again.
type convo interface {
	ask(ctx context.Context, stream bool) (outcome, error)
	answerTool(ctx context.Context, stream bool) (outcome, error)
	// raw is the last response body exactly as the SDK read it.
	raw() []byte
	// reason asks for reasoning on every turn and makes the client keep
	// what its real counterpart keeps of it (see reasoningStyle).
	reason(reasoningStyle)
}

// reasoningStyle is how a client treats reasoning between turns, as the
// real coding agents do.
type reasoningStyle struct {
	// codex: Responses clients replay reasoning items and call ids as Codex
	// does (otherwise only messages and calls go back).
	codex bool
	// claudeCode: Anthropic clients drop the answer's thinking blocks from
	// the history when its model differs from the one asked for, as Claude
	// Code does.
	claudeCode bool
}

// The client dialects, named as in subtests.
var clientName = map[string]string{dOpenAI: "openai_client", dResponses: "responses_client",
	dAnthropic: "anthropic_client", dGemini: "gemini_client"}

func newConvo(g *gateway, client, model, prompt string, withTool bool) convo {
	return newConvoVia(g, g.hc.Transport, client, model, prompt, withTool)
}

// newConvoVia is newConvo over a custom transport.
func newConvoVia(g *gateway, rt http.RoundTripper, client, model, prompt string, withTool bool) convo {
	tap := &tapTransport{base: rt}
	hc := &http.Client{Transport: tap, Timeout: g.hc.Timeout}
	switch client {
	case dOpenAI:
		c := openai.NewClient(option.WithBaseURL(g.base+"/v1/"), option.WithAPIKey(g.key), option.WithMaxRetries(0), option.WithHTTPClient(hc))
		cv := &chatConvo{c: c, tap: tap, model: model, msgs: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}}
		if withTool {
			cv.tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name: toolName, Description: openai.String("Current weather for a city"), Parameters: weatherSchema()})}
		}
		return cv
	case dResponses:
		c := openai.NewClient(option.WithBaseURL(g.base+"/v1/"), option.WithAPIKey(g.key), option.WithMaxRetries(0), option.WithHTTPClient(hc))
		cv := &respConvo{c: c, tap: tap, model: model, input: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage(prompt, responses.EasyInputMessageRoleUser)}}
		if withTool {
			cv.tools = []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: toolName,
				Description: openai.String("Current weather for a city"), Parameters: weatherSchema(), Strict: openai.Bool(false)}}}
		}
		return cv
	case dAnthropic:
		c := anthropic.NewClient(aoption.WithBaseURL(g.base), aoption.WithAPIKey(g.key), aoption.WithMaxRetries(0), aoption.WithHTTPClient(hc))
		cv := &anthConvo{c: c, tap: tap, model: model, msgs: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}}
		if withTool {
			cv.tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: toolName, Description: anthropic.String("Current weather for a city"),
				InputSchema: anthropic.ToolInputSchemaParam{Properties: weatherSchema()["properties"], Required: []string{"city"}}}}}
		}
		return cv
	case dGemini:
		c, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: g.key, Backend: genai.BackendGeminiAPI,
			HTTPClient: hc, HTTPOptions: genai.HTTPOptions{BaseURL: g.base}})
		if err != nil {
			panic(err)
		}
		cv := &gemConvo{c: c, tap: tap, model: model, contents: []*genai.Content{genai.NewContentFromText(prompt, genai.RoleUser)}}
		if withTool {
			cv.cfg = &genai.GenerateContentConfig{Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
				Name: toolName, Description: "Current weather for a city", ParametersJsonSchema: weatherSchema()}}}}}
		}
		return cv
	}
	panic("unknown client " + client)
}

func weatherSchema() map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required": []string{"city"}}
}

// --- OpenAI Chat Completions (openai-go) ---

type chatConvo struct {
	c      openai.Client
	tap    *tapTransport
	model  string
	msgs   []openai.ChatCompletionMessageParamUnion
	tools  []openai.ChatCompletionToolUnionParam
	call   outcome
	effort bool
}

func (cv *chatConvo) raw() []byte { return cv.tap.last() }

func (cv *chatConvo) reason(reasoningStyle) { cv.effort = true }

func (cv *chatConvo) ask(ctx context.Context, stream bool) (outcome, error) {
	p := openai.ChatCompletionNewParams{Model: cv.model, Messages: cv.msgs, Tools: cv.tools}
	if cv.effort {
		p.ReasoningEffort = shared.ReasoningEffortMedium
	}
	var msg openai.ChatCompletionMessage
	var out outcome
	var finish string
	if stream {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		s := cv.c.Chat.Completions.NewStreaming(ctx, p)
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			if !acc.AddChunk(s.Current()) {
				return out, fmt.Errorf("accumulator rejected chunk %s", s.Current().RawJSON())
			}
		}
		if err := s.Err(); err != nil {
			return out, err
		}
		if err := terminalOK(dOpenAI, cv.raw()); err != nil {
			return out, err
		}
		if len(acc.Choices) == 0 {
			return out, fmt.Errorf("stream had no choices")
		}
		msg, finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
		out.In, out.Out, out.HasUsage = acc.Usage.PromptTokens, acc.Usage.CompletionTokens, acc.JSON.Usage.Valid() || acc.Usage.TotalTokens > 0
	} else {
		r, err := cv.c.Chat.Completions.New(ctx, p)
		if err != nil {
			return out, err
		}
		if len(r.Choices) == 0 {
			return out, fmt.Errorf("no choices in %s", r.RawJSON())
		}
		msg, finish = r.Choices[0].Message, r.Choices[0].FinishReason
		out.In, out.Out, out.HasUsage = r.Usage.PromptTokens, r.Usage.CompletionTokens, r.JSON.Usage.Valid()
	}
	out.Text = msg.Content
	if len(msg.ToolCalls) > 0 {
		tc := msg.ToolCalls[0]
		out.ToolID, out.ToolName, out.ToolArgs = tc.ID, tc.Function.Name, tc.Function.Arguments
	}
	out.Finish = map[string]string{"stop": "stop", "tool_calls": "tool"}[finish]
	if out.Finish == "" {
		out.Finish = finish
	}
	cv.msgs = append(cv.msgs, msg.ToParam())
	cv.call = out
	return out, nil
}

func (cv *chatConvo) answerTool(ctx context.Context, stream bool) (outcome, error) {
	cv.msgs = append(cv.msgs, openai.ToolMessage(toolResult, cv.call.ToolID))
	return cv.ask(ctx, stream)
}

// --- OpenAI Responses (openai-go) ---

type respConvo struct {
	c      openai.Client
	tap    *tapTransport
	model  string
	input  responses.ResponseInputParam
	tools  []responses.ToolUnionParam
	call   outcome
	effort bool
	codex  bool
}

func (cv *respConvo) raw() []byte { return cv.tap.last() }

func (cv *respConvo) reason(st reasoningStyle) { cv.effort, cv.codex = true, st.codex }

func (cv *respConvo) ask(ctx context.Context, stream bool) (outcome, error) {
	p := responses.ResponseNewParams{Model: cv.model, Input: responses.ResponseNewParamsInputUnion{OfInputItemList: cv.input},
		Tools: cv.tools, Store: openai.Bool(false)}
	if cv.effort {
		p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortMedium}
		p.Include = []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent}
	}
	var r *responses.Response
	var out outcome
	if stream {
		s := cv.c.Responses.NewStreaming(ctx, p)
		var deltas strings.Builder
		for s.Next() {
			ev := s.Current()
			switch ev.Type {
			case "response.output_text.delta":
				deltas.WriteString(ev.Delta)
			case "response.completed":
				cp := ev.Response
				r = &cp
			case "response.failed", "response.incomplete", "error":
				return out, fmt.Errorf("stream ended with %s: %s", ev.Type, ev.RawJSON())
			}
		}
		if err := s.Err(); err != nil {
			return out, err
		}
		if err := terminalOK(dResponses, cv.raw()); err != nil {
			return out, err
		}
		if r == nil {
			return out, fmt.Errorf("stream ended without response.completed")
		}
		if got := deltas.String(); got != r.OutputText() {
			return out, fmt.Errorf("streamed text %q differs from response.completed output %q", got, r.OutputText())
		}
	} else {
		var err error
		if r, err = cv.c.Responses.New(ctx, p); err != nil {
			return out, err
		}
	}
	out.Text = r.OutputText()
	out.Finish = string(r.Status)
	if r.Status == "completed" {
		out.Finish = "stop"
	}
	for _, it := range r.Output {
		switch it.Type {
		case "reasoning":
			if cv.codex {
				rp := it.AsReasoning().ToParam()
				cv.input = append(cv.input, responses.ResponseInputItemUnionParam{OfReasoning: &rp})
			}
		case "function_call":
			fc := it.AsFunctionCall()
			out.ToolID, out.ToolName, out.ToolArgs = fc.CallID, fc.Name, fc.Arguments
			out.Finish = "tool"
			item := responses.ResponseInputItemParamOfFunctionCall(fc.Arguments, fc.CallID, fc.Name)
			if cv.codex {
				item.OfFunctionCall.ID = openai.String(fc.ID)
			}
			cv.input = append(cv.input, item)
		case "message":
			cv.input = append(cv.input, responses.ResponseInputItemParamOfMessage(r.OutputText(), responses.EasyInputMessageRoleAssistant))
		}
	}
	out.In, out.Out, out.HasUsage = r.Usage.InputTokens, r.Usage.OutputTokens, r.JSON.Usage.Valid()
	cv.call = out
	return out, nil
}

func (cv *respConvo) answerTool(ctx context.Context, stream bool) (outcome, error) {
	item := responses.ResponseInputItemParamOfFunctionCallOutput(toolResult)
	item.OfFunctionCallOutput.CallID = openai.String(cv.call.ToolID)
	cv.input = append(cv.input, item)
	return cv.ask(ctx, stream)
}

// --- Anthropic Messages (anthropic-sdk-go) ---

type anthConvo struct {
	c          anthropic.Client
	tap        *tapTransport
	model      string
	msgs       []anthropic.MessageParam
	tools      []anthropic.ToolUnionParam
	call       outcome
	thinking   bool
	claudeCode bool
}

func (cv *anthConvo) raw() []byte { return cv.tap.last() }

func (cv *anthConvo) reason(st reasoningStyle) { cv.thinking, cv.claudeCode = true, st.claudeCode }

func (cv *anthConvo) ask(ctx context.Context, stream bool) (outcome, error) {
	p := anthropic.MessageNewParams{Model: cv.model, MaxTokens: 512, Messages: cv.msgs, Tools: cv.tools}
	if cv.thinking {
		p.MaxTokens, p.Thinking = 4096, anthropic.ThinkingConfigParamOfEnabled(2048)
	}
	var m anthropic.Message
	var out outcome
	if stream {
		s := cv.c.Messages.NewStreaming(ctx, p)
		for s.Next() {
			if err := m.Accumulate(s.Current()); err != nil {
				return out, fmt.Errorf("accumulate: %w", err)
			}
		}
		if err := s.Err(); err != nil {
			return out, err
		}
		if err := terminalOK(dAnthropic, cv.raw()); err != nil {
			return out, err
		}
	} else {
		r, err := cv.c.Messages.New(ctx, p)
		if err != nil {
			return out, err
		}
		m = *r
	}
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			out.Text += b.Text
		case "tool_use":
			out.ToolID, out.ToolName, out.ToolArgs = b.ID, b.Name, string(b.Input)
		}
	}
	out.Finish = map[string]string{"end_turn": "stop", "tool_use": "tool"}[string(m.StopReason)]
	if out.Finish == "" {
		out.Finish = string(m.StopReason)
	}
	out.In, out.Out, out.HasUsage = m.Usage.InputTokens, m.Usage.OutputTokens, m.JSON.Usage.Valid()
	turn := m.ToParam()
	if a := turn.OfAssistant; a != nil && cv.claudeCode && string(m.Model) != cv.model {
		var kept []anthropic.ContentBlockParamUnion
		for _, b := range a.Content {
			if b.OfThinking == nil && b.OfRedactedThinking == nil {
				kept = append(kept, b)
			}
		}
		a.Content = kept
	}
	cv.msgs = append(cv.msgs, turn)
	cv.call = out
	return out, nil
}

func (cv *anthConvo) answerTool(ctx context.Context, stream bool) (outcome, error) {
	cv.msgs = append(cv.msgs, anthropic.NewUserMessage(anthropic.NewToolResultBlock(cv.call.ToolID, toolResult, false)))
	return cv.ask(ctx, stream)
}

// --- Gemini (google.golang.org/genai) ---

type gemConvo struct {
	c        *genai.Client
	tap      *tapTransport
	model    string
	contents []*genai.Content
	cfg      *genai.GenerateContentConfig
	calls    []*genai.FunctionCall
}

func (cv *gemConvo) raw() []byte { return cv.tap.last() }

func (cv *gemConvo) reason(reasoningStyle) {
	if cv.cfg == nil {
		cv.cfg = &genai.GenerateContentConfig{}
	}
	budget := int32(2048)
	cv.cfg.ThinkingConfig = &genai.ThinkingConfig{IncludeThoughts: true, ThinkingBudget: &budget}
}

func (cv *gemConvo) ask(ctx context.Context, stream bool) (outcome, error) {
	var out outcome
	var parts []*genai.Part
	var finish genai.FinishReason
	var um *genai.GenerateContentResponseUsageMetadata
	take := func(r *genai.GenerateContentResponse) {
		if r.UsageMetadata != nil {
			um = r.UsageMetadata
		}
		for _, c := range r.Candidates {
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
			if c.Content != nil {
				parts = append(parts, c.Content.Parts...)
			}
		}
	}
	if stream {
		n := 0
		for r, err := range cv.c.Models.GenerateContentStream(ctx, cv.model, cv.contents, cv.cfg) {
			if err != nil {
				return out, err
			}
			n++
			take(r)
		}
		if n == 0 {
			return out, fmt.Errorf("stream yielded no chunk")
		}
		if err := terminalOK(dGemini, cv.raw()); err != nil {
			return out, err
		}
	} else {
		r, err := cv.c.Models.GenerateContent(ctx, cv.model, cv.contents, cv.cfg)
		if err != nil {
			return out, err
		}
		take(r)
	}
	cv.calls = nil
	var kept []*genai.Part
	for _, p := range parts {
		switch {
		case p.FunctionCall != nil:
			fc := p.FunctionCall
			b, _ := json.Marshal(fc.Args)
			out.ToolID, out.ToolName, out.ToolArgs = fc.ID, fc.Name, string(b)
			cv.calls = append(cv.calls, fc)
			kept = append(kept, p)
		case p.Text != "" && !p.Thought:
			out.Text += p.Text
			kept = append(kept, p)
		}
	}
	out.Finish = strings.ToLower(string(finish))
	if um != nil {
		out.In, out.Out, out.HasUsage = int64(um.PromptTokenCount), int64(um.CandidatesTokenCount), true
	}
	cv.contents = append(cv.contents, &genai.Content{Role: genai.RoleModel, Parts: kept})
	return out, nil
}

func (cv *gemConvo) answerTool(ctx context.Context, stream bool) (outcome, error) {
	var parts []*genai.Part
	for _, fc := range cv.calls {
		parts = append(parts, &genai.Part{FunctionResponse: &genai.FunctionResponse{ID: fc.ID, Name: fc.Name,
			Response: map[string]any{"output": toolResult}}})
	}
	cv.contents = append(cv.contents, &genai.Content{Role: genai.RoleUser, Parts: parts})
	return cv.ask(ctx, stream)
}

// tapTransport keeps a copy of the last response body an SDK read, so tests
// can check the exact frames behind what the SDK reported.
type tapTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	buf  *bytes.Buffer
}

func (t *tapTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b := &bytes.Buffer{}
	t.mu.Lock()
	t.buf = b
	t.mu.Unlock()
	resp.Body = &tapBody{rc: resp.Body, t: t, buf: b}
	return resp, nil
}

func (t *tapTransport) last() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buf == nil {
		return nil
	}
	return append([]byte(nil), t.buf.Bytes()...)
}

type tapBody struct {
	rc  io.ReadCloser
	t   *tapTransport
	buf *bytes.Buffer
}

func (b *tapBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.t.mu.Lock()
	b.buf.Write(p[:n])
	b.t.mu.Unlock()
	return n, err
}

func (b *tapBody) Close() error { return b.rc.Close() }

// splitSSE parses an SSE body; it reports lines no SSE client expects.
func splitSSE(body []byte) ([]frame, error) {
	var out []frame
	var cur frame
	var data []string
	for _, line := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		switch {
		case line == "":
			if data != nil || cur.Event != "" {
				cur.Data = strings.Join(data, "\n")
				out = append(out, cur)
			}
			cur, data = frame{}, nil
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "id:"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "event:"):
			cur.Event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		default:
			return out, fmt.Errorf("SSE line no client expects: %q", line)
		}
	}
	if data != nil || cur.Event != "" {
		return out, fmt.Errorf("SSE body does not end with a blank line")
	}
	return out, nil
}

// terminalOK checks that a successful stream ends with the dialect's
// terminal frame and nothing after it.
func terminalOK(d string, body []byte) error {
	fs, err := splitSSE(body)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, shorten(body))
	}
	if len(fs) == 0 {
		return errors.New("empty stream")
	}
	last := fs[len(fs)-1]
	switch d {
	case dOpenAI:
		if last.Data != "[DONE]" {
			return fmt.Errorf("OpenAI stream does not end with [DONE]:\n%s", shorten(body))
		}
	case dAnthropic:
		if last.Event != "message_stop" {
			return fmt.Errorf("Anthropic stream does not end with message_stop:\n%s", shorten(body))
		}
	case dResponses:
		if last.Event != "response.completed" {
			return fmt.Errorf("Responses stream does not end with response.completed:\n%s", shorten(body))
		}
	case dGemini:
		var c map[string]any
		if err := json.Unmarshal([]byte(last.Data), &c); err != nil {
			return fmt.Errorf("Gemini stream's last chunk is not JSON: %v", err)
		}
		if cands := arr(c["candidates"]); len(cands) == 0 || str(obj(cands[0])["finishReason"]) == "" {
			return fmt.Errorf("Gemini stream's last chunk has no finishReason:\n%s", shorten(body))
		}
	}
	return nil
}
