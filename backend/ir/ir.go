// Package ir is the hub every wire dialect translates to and from.
//
// It is shaped like Anthropic Messages / OpenAI Responses because those lose
// the least: the system prompt lives apart from the messages, content is a
// list of typed blocks, and tool results are blocks inside a user turn.
//
// Usage semantics (one convention, mapped by each dialect codec):
//   - InputTokens counts every prompt token, cached ones included (OpenAI
//     style). CachedTokens (cache reads) and CacheCreationTokens are subsets.
//   - OutputTokens counts every generated token, reasoning included.
//     ReasoningTokens is a subset.
package ir

import "encoding/json"

// Role of a message. The system prompt is not a message (see Request.System);
// a system message found in the middle of a conversation (Claude Code sends
// them) is kept in place as RoleSystem so encoders can decide how to carry it.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system"
)

// BlockType names a content block kind.
type BlockType string

const (
	BlockText             BlockType = "text"
	BlockImage            BlockType = "image"
	BlockToolUse          BlockType = "tool_use"
	BlockToolResult       BlockType = "tool_result"
	BlockThinking         BlockType = "thinking"
	BlockRedactedThinking BlockType = "redacted_thinking"
)

// Origin says which vendor produced an opaque value (a thinking signature, an
// encrypted reasoning item, a Gemini thoughtSignature). Opaque values are
// replayed byte-for-byte only to the vendor that made them; every other
// upstream gets them dropped, because vendors reject foreign signatures.
type Origin string

const (
	OriginNone      Origin = ""
	OriginAnthropic Origin = "anthropic"
	OriginOpenAI    Origin = "openai" // Responses API encrypted reasoning
	OriginGemini    Origin = "gemini"
)

// Block is one typed piece of content. Only the fields of its Type are used.
type Block struct {
	Type BlockType `json:"type"`

	// Text: the text of a text block, or the reasoning text of a thinking block.
	Text string `json:"text,omitempty"`

	// Image: either inline base64 Data with MediaType, or a URL.
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`

	// ToolUse: the call. Input is a JSON object (never empty: "{}" at least).
	// ToolResult: ToolCallID pairs it with its call; Content holds text/image
	// blocks; IsError marks a failed tool run.
	ToolCallID string          `json:"tool_call_id,omitempty"`
	ToolName   string          `json:"tool_name,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	Content    []Block         `json:"content,omitempty"`
	IsError    bool            `json:"is_error,omitempty"`

	// Thinking: Signature (Anthropic signature, Responses encrypted_content,
	// Gemini thoughtSignature) with the Origin that produced it. Redacted
	// thinking keeps its opaque payload in Data. A Gemini thoughtSignature on
	// a functionCall or text part is carried on that tool_use or text block
	// the same way. Encoders replay a signature only to its own Origin.
	Signature string `json:"signature,omitempty"`
	Origin    Origin `json:"origin,omitempty"`

	// ID of the item in dialects that name items (Responses reasoning and
	// message items). Optional.
	ID string `json:"id,omitempty"`

	// CacheControl is Anthropic's cache_control marker, kept as raw JSON so
	// an Anthropic upstream receives exactly what the client sent.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`

	// Escaped is Text as the client's JSON wrote it, when a decoder kept it
	// (see EscapedText). Never serialized.
	Escaped *Escaped `json:"-"`
}

// Message is one conversation turn.
type Message struct {
	Role    Role    `json:"role"`
	Content []Block `json:"content"`
}

// Tool is a tool the model may call. Kind is "function" for ordinary tools;
// hosted tools (web_search, code_interpreter, namespace, google_search…) keep
// their kind and raw definition so a same-family upstream can get them back
// and every other upstream can drop them without failing the request.
type Tool struct {
	Kind         string          `json:"kind"`
	Name         string          `json:"name,omitempty"`
	Description  string          `json:"description,omitempty"`
	Parameters   json.RawMessage `json:"parameters,omitempty"` // JSON Schema object
	Strict       bool            `json:"strict,omitempty"`
	Raw          json.RawMessage `json:"raw,omitempty"` // the original definition of a non-function tool
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// ToolKindFunction is the ordinary, client-executed tool.
const ToolKindFunction = "function"

// ToolChoice constrains tool use. Mode is "auto", "none", "required" (any
// tool) or "tool" (the tool called Name).
type ToolChoice struct {
	Mode string `json:"mode"`
	Name string `json:"name,omitempty"`
}

// Reasoning is the requested thinking behaviour, normalised.
//
// Effort is one of "", "none", "minimal", "low", "medium", "high", "xhigh".
// BudgetTokens is an explicit budget (Anthropic budget_tokens, Gemini
// thinkingBudget; -1 means "dynamic" as Gemini defines it). Adaptive is
// Anthropic's {"type":"adaptive"}. Disabled means the client turned it off.
type Reasoning struct {
	Effort          string `json:"effort,omitempty"`
	BudgetTokens    int    `json:"budget_tokens,omitempty"`
	Adaptive        bool   `json:"adaptive,omitempty"`
	Disabled        bool   `json:"disabled,omitempty"`
	IncludeThoughts bool   `json:"include_thoughts,omitempty"`
	Summary         string `json:"summary,omitempty"` // Responses reasoning.summary
}

// ResponseFormat asks for structured output. Type is "text", "json_object"
// or "json_schema" (with Schema, Name, Strict).
type ResponseFormat struct {
	Type   string          `json:"type"`
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict bool            `json:"strict,omitempty"`
}

// Request is a chat/generation request in hub form.
type Request struct {
	Model    string    `json:"model"`
	System   []Block   `json:"system,omitempty"` // text blocks
	Messages []Message `json:"messages"`

	Tools             []Tool      `json:"tools,omitempty"`
	ToolChoice        *ToolChoice `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool       `json:"parallel_tool_calls,omitempty"`

	MaxTokens   int      `json:"max_tokens,omitempty"` // 0 = not set
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	TopK        *int     `json:"top_k,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`

	Stream       bool `json:"stream,omitempty"`
	IncludeUsage bool `json:"include_usage,omitempty"` // OpenAI stream_options.include_usage

	Reasoning      *Reasoning      `json:"reasoning,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`

	// User is an end-user id (OpenAI user, Anthropic metadata.user_id).
	User string `json:"user,omitempty"`
	// PromptCacheKey is OpenAI's prompt_cache_key (Codex sends one).
	PromptCacheKey string `json:"prompt_cache_key,omitempty"`
	// PreviousResponseID is Responses' previous_response_id: the answer
	// continues a response the upstream stored. Only a Responses upstream
	// can resume one; the gateway never routes it anywhere else.
	PreviousResponseID string `json:"previous_response_id,omitempty"`

	// Output asks for image or audio output (Gemini responseModalities
	// with its speech and image config); nil: text. The answer carries
	// images and audio as image blocks with their media type.
	Output *Output `json:"output,omitempty"`

	// Scratch, when it has room, is where an encoder writes the whole
	// request (EncodeBuffer): the gateway lends a buffer of SizeHint bytes
	// so an agent-sized upstream body is not a fresh allocation.
	Scratch []byte `json:"-"`
}

// Output modalities.
const (
	ModalityText  = "text"
	ModalityImage = "image"
	ModalityAudio = "audio"
)

// Output is the non-text output a request asks for.
type Output struct {
	Modalities  []string `json:"modalities,omitempty"`   // ModalityText, ModalityImage, ModalityAudio
	Voice       string   `json:"voice,omitempty"`        // a prebuilt voice name (Gemini's)
	Language    string   `json:"language,omitempty"`     // BCP 47 speech language
	AspectRatio string   `json:"aspect_ratio,omitempty"` // images: "1:1", "16:9"…
	ImageSize   string   `json:"image_size,omitempty"`   // images: "1K", "2K", "4K"
}

// Wants reports whether the output asks for modality m.
func (o *Output) Wants(m string) bool {
	if o == nil {
		return false
	}
	for _, x := range o.Modalities {
		if x == m {
			return true
		}
	}
	return false
}

// StopReason says why generation ended, in Anthropic's vocabulary.
type StopReason string

const (
	StopEndTurn       StopReason = "end_turn"
	StopMaxTokens     StopReason = "max_tokens"
	StopToolUse       StopReason = "tool_use"
	StopSequence      StopReason = "stop_sequence"
	StopContentFilter StopReason = "content_filter"
	StopRefusal       StopReason = "refusal"
	StopPause         StopReason = "pause_turn"
)

// Usage is token accounting (see the package comment for the conventions).
type Usage struct {
	InputTokens         int `json:"input_tokens"`
	OutputTokens        int `json:"output_tokens"`
	CachedTokens        int `json:"cached_tokens,omitempty"`
	CacheCreationTokens int `json:"cache_creation_tokens,omitempty"`
	ReasoningTokens     int `json:"reasoning_tokens,omitempty"`
}

// IsZero reports whether nothing was counted.
func (u Usage) IsZero() bool { return u == Usage{} }

// Response is a complete (non-streamed) answer.
type Response struct {
	ID           string     `json:"id"`
	Model        string     `json:"model"`
	Created      int64      `json:"created,omitempty"` // unix seconds
	Content      []Block    `json:"content"`
	StopReason   StopReason `json:"stop_reason"`
	StopSequence string     `json:"stop_sequence,omitempty"`
	Usage        Usage      `json:"usage"`
}

// EmbedRequest is an embeddings request in hub form.
type EmbedRequest struct {
	Model          string   `json:"model"`
	Inputs         []string `json:"inputs"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format,omitempty"` // "float" (default) or "base64": how the client wants them
	TaskType       string   `json:"task_type,omitempty"`       // Gemini taskType, passed through to Gemini
}

// EmbedResponse holds one vector per input, in input order.
type EmbedResponse struct {
	Model   string      `json:"model"`
	Vectors [][]float32 `json:"vectors"`
	Usage   Usage       `json:"usage"`
}
