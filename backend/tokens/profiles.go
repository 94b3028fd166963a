package tokens

import "strings"

// profile is how one family of models counts a prompt, in terms of what
// measureRequest sees. The fitted numbers come from a calibration set kept
// outside the repository (other projects' API recordings; see
// accuracy_test.go): real prompt token counts that the vendors' APIs
// reported for recorded requests, fitted by weighted least squares and
// rounded; "documented" numbers come from the
// vendor's own guide, named where used.
type profile struct {
	family string
	enc    encoding
	style  toolStyle

	ratio      float64 // vendor tokens per BPE token of text (system, messages, tool calls and results)
	perMessage float64 // chat-template framing of one turn (the system prompt is one)
	base       int     // once per request: reply priming, a system prompt the provider always adds

	toolBase  int     // once when any function tool is defined: the vendor's tool-use system prompt
	toolRatio float64 // per BPE token of the tool definitions rendered in style
	perCall   int     // framing of each tool_use and each tool_result block

	thinking         int     // extended thinking on (a budget or adaptive): its system prompt
	thinkText        float64 // weight of replayed reasoning text; 0 where the vendor drops it
	sigBytesPerToken float64 // opaque reasoning replayed (thought signatures, encrypted reasoning): bytes per token; 0 = not counted
	sigLoopOnly      bool    // only the current tool loop's reasoning counts (OpenAI drops earlier turns')

	noneDropsTools bool // tool_choice "none" leaves the definitions out of the prompt

	schemaBase  int     // a response JSON schema: the prompt that carries it
	schemaRatio float64 // per BPE token of the schema JSON

	image imageCost
}

// OpenAI, o200k_base: gpt-4o, gpt-4.1, gpt-4.5, gpt-5.x, o-series, codex.
// Text is exact (their own tokenizer). Framing: the OpenAI cookbook's "How
// to count tokens with tiktoken" (3 tokens per message plus the role, 3 to
// prime the reply), which the recorded counts match to ±1 (4 per message
// fitted, base 3). Tools are rendered as the TypeScript namespace of the
// harmony format; the namespace header and per-call framing are fitted.
// Replayed encrypted reasoning of the current tool loop: see openAI5.
var openAI = profile{
	family: "openai", enc: o200k, style: toolsTypeScript,
	ratio: 1, perMessage: 4, base: 3,
	toolBase: 16, toolRatio: 1, perCall: 8,
	sigBytesPerToken: 12, sigLoopOnly: true,
	schemaBase: 8, schemaRatio: 0.6,
	image: openAIImage,
}

// openAI5: gpt-5.x and codex models. Their tool preamble depends on the
// API: ~95 tokens through Chat Completions, ~16 through Responses (measured
// alike on gpt-5, gpt-5-mini, gpt-5.4-mini); 45 splits the difference, and
// definitions weigh 1.3 (fitted). Replayed encrypted reasoning of the
// current tool loop: one token per ~12 bytes (fitted over 85 requests).
var openAI5 = derive(openAI, func(p *profile) {
	p.toolBase, p.toolRatio = 45, 1.3
})

// The mini and nano models price images by 32-px patches (openAIPatchImage).
var (
	openAI5Mini  = withImage(openAI5, openAIPatchImage(1.2))
	openAI5Nano  = withImage(openAI5, openAIPatchImage(2.46))
	openAI41Mini = withImage(openAI, openAIPatchImage(1.62))
	openAI41Nano = withImage(openAI, openAIPatchImage(2.46))
	openAIo4Mini = withImage(openAI, openAIPatchImage(1.72))
)

func withImage(p profile, c imageCost) profile {
	return derive(p, func(p *profile) { p.image = c })
}

// derive is p with change applied: a variant of a family.
func derive(p profile, change func(*profile)) profile {
	change(&p)
	return p
}

// openAILegacy: gpt-4, gpt-3.5-turbo (cl100k_base). The cookbook's framing
// for gpt-3.5-turbo-0613 and gpt-4-0613: 3 per message, 3 to prime the
// reply. No recorded counts for these retired models were found, so the
// tool numbers are those of openAI.
var openAILegacy = derive(openAI, func(p *profile) {
	p.family, p.enc, p.perMessage = "openai-cl100k", cl100k, 3
})

// gptOSS: o200k_harmony is o200k_base plus special tokens, so text is
// exact. The harmony format (openai/harmony) always sends a system message
// (model identity, knowledge cutoff, date, reasoning level, channels):
// ~63 tokens fitted, 4 per message. Tools are the TypeScript namespace of
// that format; its header fitted at ~30.
var gptOSS = derive(openAI, func(p *profile) {
	p.family, p.base, p.toolBase = "gpt-oss", 63, 30
})

// claude: Claude Sonnet/Opus/Haiku 4.5 and later. Ratio fitted over 165
// recorded requests (1.10 Claude tokens per o200k token; Anthropic does not
// publish one). A one-message "Hello" costs 7 more than its text on every
// Claude model recorded, hence perMessage+base. The tool-use system prompt:
// Anthropic's tool-use guide documents 346 (tool_choice auto/none) for
// Claude 4.0 and earlier; the 4.5+ models were measured at ~460. Tool
// definitions are JSON in that prompt. Thinking blocks of earlier turns are
// stripped before counting (Anthropic's extended-thinking guide), so their
// text weighs 0; enabling thinking adds ~30 (fitted). Structured outputs
// (output_format) add a prompt around the schema (fitted on 4 requests).
var claude = profile{
	family: "claude", enc: o200k, style: toolsJSON,
	ratio: 1.1, perMessage: 4, base: 3,
	toolBase: 460, toolRatio: 1.3, perCall: 25,
	thinking:   30,
	schemaBase: 90, schemaRatio: 1.6,
	image: claudeImage,
}

// claudeLegacy: Claude 3.x, Sonnet 4 and Opus 4/4.1, whose tool-use system
// prompt Anthropic's tool-use guide gives as 346 tokens.
var claudeLegacy = derive(claude, func(p *profile) {
	p.toolBase = 346
})

// Gemini: promptTokenCount is close to the raw text (a 256k-piece
// SentencePiece vocabulary: 1.04-1.07 per o200k token fitted, ~1 per turn).
// Thinking text sent back is counted in full (a recorded 2.5 Pro turn).
// Gemini 2.0 and 1.5 count tool declarations lightly (0.25 per JSON token
// fitted), 2.5 and 3 fully. Gemini 3 counts replayed thought signatures
// (fitted over 42 recorded requests: one token per ~6.8 bytes, and ~12
// per function call or response part).
// The response schema is not part of promptTokenCount (fitted ~0 on 30
// structured-output requests). Images: gemini2Image / gemini3Image
// (documented).
var gemini20 = profile{
	family: "gemini", enc: o200k, style: toolsJSON,
	ratio: 1.04, perMessage: 1, base: 0,
	toolBase: 4, toolRatio: 0.25, perCall: 1,
	thinkText:  1.05,
	schemaBase: 0, schemaRatio: 0,
	image: gemini2Image,
}

var gemini25 = derive(gemini20, func(p *profile) {
	p.ratio, p.toolBase, p.toolRatio, p.perCall = 1.06, 0, 1.15, 6
})

var gemini3 = derive(gemini20, func(p *profile) {
	p.ratio, p.toolBase, p.toolRatio, p.perCall = 1.07, 0, 1.05, 12
	p.sigBytesPerToken = 6.8
	p.image = gemini3Image
})

// openWeights is a family that many providers serve from its public chat
// template. Tool definitions are JSON at face value there, each tool call or
// result costs ~8 of template tokens, and a response schema, when the
// provider honours one, goes in at face value.
func openWeights(family string, ratio, perMessage float64, base, toolBase int, image imageCost) profile {
	return profile{family: family, enc: o200k, style: toolsJSON,
		ratio: ratio, perMessage: perMessage, base: base,
		toolBase: toolBase, toolRatio: 1, perCall: 8,
		schemaBase: 8, schemaRatio: 1,
		image: image}
}

// llama: Llama 3's tokenizer is tiktoken's cl100k ranks plus 28k more
// pieces, so o200k text is ~1:1 (fitted 1.0). Providers prepend the
// template's default system header (knowledge cutoff, date: ~35 fitted);
// <|start_header_id|>role<|end_header_id|>…<|eot_id|> is 5 per turn. Llama
// 4's tool-calling prompt on Groq measured ~690, and absent when
// tool_choice is "none".
var llama = func() profile {
	p := openWeights("llama", 1, 5, 30, 690, llama4Image)
	p.noneDropsTools = true
	return p
}()

// qwen: Qwen2/3 byte-level BPE (151k pieces) is ~1:1 with o200k on English
// and code (fitted 1.0). ChatML framing <|im_start|>role\n…<|im_end|>\n is 5
// per turn; Qwen3 adds an empty think block. Tools go into the system prompt
// as JSON inside <tools> with calling instructions: ~240 measured.
var qwen = openWeights("qwen", 1, 5, 6, 240, gridImage)

// deepseek: DeepSeek's pricing page states ~0.3 tokens per English
// character, which is ~1.2x o200k's rate on English prose; the recorded
// requests are too short to fit a ratio, so that documented figure is used.
// Framing fitted on the recorded deepseek-reasoner / R1 requests (~5 for a
// single turn). Tools: JSON in a tool prompt, ~240 measured.
var deepseek = openWeights("deepseek", 1.2, 2, 3, 240, openAIImage)

// glm: GLM-4.x/5 (151k-piece BPE, ~1:1 with o200k). A single turn costs 5
// (GLM-4.7) to 12 (GLM-5) more than its text; tools ~105 measured on GLM-5.
var glm = openWeights("glm", 1, 4, 6, 105, gridImage)

// mistral: Tekken (tiktoken-based, 131k pieces) is ~1:1 with o200k (fitted
// 1.0 on mistral-large conversations of 250+ tokens); [INST]…[/INST]
// framing ~3 per turn. Tool numbers follow the JSON definitions with a small
// header (Mistral's [AVAILABLE_TOOLS] block), ~60 measured via OpenRouter.
var mistral = openWeights("mistral", 1, 3, 2, 60, openAIImage)

// kimi: Kimi K2's tokenizer is tiktoken-based (160k pieces); no recorded
// counts were found, so the ratio is 1 and framing/tools follow qwen's
// ChatML-style numbers. Unvalidated.
var kimi = derive(qwen, func(p *profile) {
	p.family = "kimi"
})

// generic: any other model. Errs high: 1.1x text, generous framing and tool
// prompt, and Claude's image formula (the dearest for an unknown size).
var generic = profile{
	family: "generic", enc: o200k, style: toolsJSON,
	ratio: 1.1, perMessage: 5, base: 10,
	toolBase: 300, toolRatio: 1.2, perCall: 10,
	thinkText:  1,
	schemaBase: 20, schemaRatio: 1,
	image: claudeImage,
}

type familyRule struct {
	match   func(m string) bool
	profile *profile
}

func has(keys ...string) func(string) bool {
	return func(m string) bool {
		for _, k := range keys {
			if strings.Contains(m, k) {
				return true
			}
		}
		return false
	}
}

func prefix(keys ...string) func(string) bool {
	return func(m string) bool {
		for _, k := range keys {
			if strings.HasPrefix(m, k) {
				return true
			}
		}
		return false
	}
}

// familyRules are tried in order on the lower-cased model name without its
// provider prefix; the first match wins.
var familyRules = []familyRule{
	{has("gpt-oss"), &gptOSS},
	{has("claude-3", "claude-sonnet-4-0", "claude-sonnet-4-2025", "claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-2025", "claude-4"), &claudeLegacy},
	{has("claude"), &claude},
	{has("gemini-3"), &gemini3},
	{has("gemini-2.5", "gemini-flash", "gemini-pro"), &gemini25},
	{has("gemini", "gemma", "learnlm"), &gemini20},
	{has("gpt-5-mini"), &openAI5Mini},
	{has("gpt-5-nano"), &openAI5Nano},
	{has("gpt-4.1-mini"), &openAI41Mini},
	{has("gpt-4.1-nano"), &openAI41Nano},
	{prefix("o4-mini"), &openAIo4Mini},
	{has("gpt-5", "codex"), &openAI5},
	{has("gpt-4o", "gpt-4.1", "gpt-4.5", "chatgpt", "computer-use"), &openAI},
	{prefix("o1", "o3", "o4"), &openAI},
	{has("gpt-4", "gpt-3.5", "text-embedding"), &openAILegacy},
	{has("deepseek"), &deepseek}, // before llama: the R1 distills use DeepSeek's template
	{has("llama"), &llama},
	{has("qwen", "qwq"), &qwen},
	{has("glm"), &glm},
	{has("kimi", "moonshot"), &kimi},
	{has("mistral", "magistral", "pixtral", "codestral", "devstral", "ministral"), &mistral},
}
