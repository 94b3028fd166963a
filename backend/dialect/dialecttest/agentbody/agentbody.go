// Package agentbody generates request bodies shaped like a coding agent's
// turn deep in a session, for benchmarks and the load bench
// (scripts/bench: `loadgen body`): a Claude Code-shaped Anthropic Messages
// request, a Codex-shaped OpenAI Responses request, a Gemini CLI-shaped
// generateContent request and an OpenCode-shaped Chat Completions request,
// at any size (about 100 KB and 1 MB in the bench).
//
// Only the shape follows the real clients (their recorded requests are the
// reference): the tools, prompts, file contents and outputs are synthetic
// text drawn from a seeded generator (prose with a word-frequency tail,
// Go-like source numbered the way file viewers print it, command output),
// so the same options always give the same bytes and nothing of a real
// client's prompt is copied.
//
// The bodies are compact JSON with "model" (where the dialect has one)
// first and no "model" or "stream" key anywhere else, so byte
// scanners (the bench's fake upstream) find the right ones.
package agentbody

import (
	"fmt"
	"strconv"
	"strings"

	"switchboard/backend/dialect/jsonw"
)

// Shape is the client a body imitates.
type Shape string

const (
	Claude   Shape = "claude"   // Claude Code: Anthropic Messages
	Codex    Shape = "codex"    // Codex CLI: OpenAI Responses
	Gemini   Shape = "gemini"   // Gemini CLI: Gemini generateContent
	OpenCode Shape = "opencode" // OpenCode: OpenAI Chat Completions
)

// Shapes lists every shape.
var Shapes = []Shape{Claude, Codex, Gemini, OpenCode}

// Dialect is the wire dialect the shape's client speaks (the names of
// package dialect: anthropic, responses, gemini, openai).
func (s Shape) Dialect() string {
	switch s {
	case Codex:
		return "responses"
	case Gemini:
		return "gemini"
	case OpenCode:
		return "openai"
	}
	return "anthropic"
}

// Options choose a body.
type Options struct {
	Shape Shape
	// Size is the body size to reach in bytes; the result is within a few
	// KB of it (a turn is added whole), and never smaller than the tools
	// and prompts alone (about 70 KB for Claude, 40 KB for Codex, 45 KB for
	// Gemini).
	Size int
	// Seed picks the content; the same options give the same bytes.
	Seed uint64
	// Model is the body's model (default "agent-model"); Gemini carries it
	// in the URL, not the body.
	Model string
	// Stream sets the body's stream flag (Anthropic, Responses, Chat).
	Stream bool
}

// Stats describes a generated body.
type Stats struct {
	Bytes    int `json:"bytes"`
	Tools    int `json:"tools"`
	Messages int `json:"messages"` // messages, input items or contents
	Calls    int `json:"tool_calls"`
}

// Generate returns the body and what it holds.
func Generate(o Options) ([]byte, Stats, error) {
	if o.Size <= 0 || o.Size > 64<<20 {
		return nil, Stats{}, fmt.Errorf("agentbody: size %d out of range (1 B..64 MiB)", o.Size)
	}
	if o.Model == "" {
		o.Model = "agent-model"
	}
	r := &rng{s: o.Seed*0x9e3779b97f4a7c15 + uint64(len(o.Shape))}
	var g generator
	switch o.Shape {
	case Claude:
		g = &claude{r: r}
	case Codex:
		g = &codex{r: r}
	case Gemini:
		g = &gemini{r: r}
	case OpenCode:
		g = &opencode{r: r}
	default:
		return nil, Stats{}, fmt.Errorf("agentbody: unknown shape %q (claude, codex, gemini, opencode)", o.Shape)
	}
	body, st := build(g, o)
	return body, st, nil
}

// generator is one shape: the fixed part (tools, prompts) and the turns of
// the tool loop, each a list of conversation items (messages, input items,
// contents).
type generator interface {
	// head is the body up to the opening of the conversation array, the
	// items that open it (the first user turn), the rest of the body after
	// the array, and the number of tools.
	head(o Options) (prefix []byte, first []obj, suffix []byte, tools int)
	// turn is one round of the loop: the model's call(s) and their results.
	turn(i int) (items []obj, calls int)
	// last is the final item as the client sends it (Claude Code marks it
	// for prompt caching).
	last(it obj) obj
}

func build(g generator, o Options) ([]byte, Stats) {
	prefix, items, suffix, tools := g.head(o)
	st := Stats{Tools: tools}
	var done [][]byte // encoded items; the last one stays an obj until the end
	n := len(prefix) + len(suffix)
	add := func(it obj) {
		b := enc(it)
		done = append(done, b)
		n += len(b) + 1
	}
	for _, it := range items {
		add(it)
	}
	for i := 0; n < o.Size; i++ {
		more, calls := g.turn(i)
		for _, it := range more {
			add(it)
		}
		items = more
		st.Calls += calls
	}
	if len(items) > 0 {
		done[len(done)-1] = enc(g.last(items[len(items)-1]))
	}
	out := make([]byte, 0, n+64)
	out = append(out, prefix...)
	for i, it := range done {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	out = append(out, suffix...)
	st.Bytes, st.Messages = len(out), len(done)
	return out, st
}

// ParseSize reads 100k, 664k, 1m, 1.5m or a byte count (k = 1000,
// m = 1,000,000: "1m" is about the megabyte an agent request weighs).
func ParseSize(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1e6, strings.TrimSuffix(s, "m")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f*mult > 64<<20 {
		return 0, fmt.Errorf("agentbody: bad size %q (use 100k, 1m or a byte count up to 64 MiB)", s)
	}
	return int(f * mult), nil
}

// ---- a tiny ordered JSON writer: keys stay in the order clients send ----

// obj is a JSON object with ordered keys.
type obj []kv

type kv struct {
	k string
	v any
}

// raw is JSON already encoded.
type raw []byte

func enc(v any) []byte { return appendJSON(nil, v) }

func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case obj:
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, f.k)
			b = append(b, ':')
			b = appendJSON(b, f.v)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, x)
		}
		return append(b, ']')
	case []string:
		xs := make([]any, len(v))
		for i, x := range v {
			xs[i] = x
		}
		return appendJSON(b, xs)
	case string:
		return jsonw.AppendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case raw:
		return append(b, v...)
	case nil:
		return append(b, "null"...)
	}
	panic(fmt.Sprintf("agentbody: cannot encode %T", v))
}
