// Package playground is the dashboard's translator playground: a request in
// any client dialect is decoded by the real codecs into the hub and encoded
// into the other three, and it can be sent through the gateway's routing
// to show what the upstream answered (raw, as it arrived) and what the
// client got back, frame by frame with timings.
package playground

import (
	"embed"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
)

// MaxBody bounds a playground request body (the management API takes a
// megabyte at most; an example request is a few kilobytes).
const MaxBody = 256 << 10

// ErrInvalid marks a request the playground cannot take (unknown dialect,
// empty or oversized body, no model): the user's to fix.
var ErrInvalid = errors.New("invalid")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Dialects are the client dialects, in the order the page shows them.
var Dialects = []dialect.Name{dialect.OpenAIChat, dialect.Responses, dialect.Anthropic, dialect.Gemini}

var codecs = map[dialect.Name]dialect.Codec{
	dialect.OpenAIChat: openai.Codec,
	dialect.Responses:  responses.Codec,
	dialect.Anthropic:  anthropic.Codec,
	dialect.Gemini:     gemini.Codec,
}

func codecOf(d string) (dialect.Codec, error) {
	c, ok := codecs[dialect.Name(d)]
	if !ok {
		return nil, invalid("unknown dialect %q (one of openai, responses, anthropic, gemini)", d)
	}
	return c, nil
}

// endpoint is the path a client of d posts a request for model to.
func endpoint(d dialect.Name, model string, stream bool) string {
	switch d {
	case dialect.Responses:
		return "/v1/responses"
	case dialect.Anthropic:
		return "/v1/messages"
	case dialect.Gemini:
		// The gateway takes the model raw, slashes included (prefix/model).
		m := url.PathEscape(model)
		m = strings.ReplaceAll(m, "%2F", "/")
		if stream {
			return "/v1beta/models/" + m + ":streamGenerateContent?alt=sse"
		}
		return "/v1beta/models/" + m + ":generateContent"
	}
	return "/v1/chat/completions"
}

// Example is a request shaped like one a real client sends.
type Example struct {
	ID      string `json:"id"`
	Dialect string `json:"dialect"`
	Client  string `json:"client"`
	Title   string `json:"title"`
	// Model is the example's model; Gemini's travels in the URL.
	Model string `json:"model"`
	Body  string `json:"body"`
}

//go:embed examples/*.json
var exampleFiles embed.FS

// exampleMeta describes each file of examples/ (named dialect.id.json).
var exampleMeta = map[string]struct{ client, title, model string }{
	"anthropic.claude-code": {"Claude Code", "Agent turn with a tool result, adaptive thinking, cached system", "claude-sonnet-4-5"},
	"anthropic.sdk":         {"Anthropic SDK", "One question, string system prompt", "claude-haiku-4-5"},
	"responses.codex":       {"Codex", "Agent turn with a function call and its output, reasoning summary", "gpt-5-codex"},
	"responses.sdk":         {"OpenAI SDK", "String input with a JSON schema output format", "gpt-5-mini"},
	"openai.opencode":       {"OpenCode", "Agent turn with a tool call, usage in the stream", "qwen3-coder"},
	"openai.sdk":            {"OpenAI SDK", "Image by URL, stop sequence", "gpt-4.1-mini"},
	"gemini.gemini-cli":     {"Gemini CLI", "Agent turn with a function response, thoughts included", "gemini-2.5-pro"},
	"gemini.sdk":            {"Gen AI SDK", "One prompt with generation settings", "gemini-2.5-flash"},
}

// Examples lists the example requests, grouped by dialect in page order.
func Examples() []Example {
	out := make([]Example, 0, len(exampleMeta))
	for name, m := range exampleMeta {
		b, err := exampleFiles.ReadFile("examples/" + name + ".json")
		if err != nil {
			panic("playground: example " + name + " is missing") // embedded: a build error in effect
		}
		d, _, _ := strings.Cut(name, ".")
		out = append(out, Example{ID: name, Dialect: d, Client: m.client, Title: m.title, Model: m.model, Body: string(b)})
	}
	order := map[string]int{}
	for i, d := range Dialects {
		order[string(d)] = i
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dialect != out[j].Dialect {
			return order[out[i].Dialect] < order[out[j].Dialect]
		}
		return out[i].ID < out[j].ID
	})
	return out
}
