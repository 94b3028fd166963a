package provider

import (
	"net/http"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// Subscription (sign-in) quirks: what a vendor requires of traffic that
// authenticates with a plan's access token instead of an API key, beyond the
// bearer token itself. An Entry names its quirks in Entry.Quirks; Client
// applies them while it builds the upstream request, so the gateway only fills
// Call.APIKey (the access token), Call.AccountRef and Call.ClientUserAgent.
//
// Both sets make the request look the way the vendor's own CLI sends it: the
// identity headers and betas its CLI sends, and the body shape its backend
// accepts. When the calling client IS that CLI, its own identity is kept.
//
// Bodies are edited as bytes (gjson/sjson): nothing is decoded into structs,
// and a body that needs no change is sent as it came.
const (
	QuirksClaudeCode = "claude-code" // Claude Pro/Max via OAuth, Anthropic Messages
	QuirksCodex      = "codex"       // ChatGPT plan via the Codex backend, OpenAI Responses
	QuirksCopilot    = "copilot"     // GitHub Copilot seat, OpenAI Chat and Responses
	QuirksKiro       = "kiro"        // Kiro (AWS CodeWhisperer) sign-in, see subscription_kiro.go
)

// quirksDialect is the dialects each set of quirks is written for.
var quirksDialect = map[string][]dialect.Name{
	QuirksClaudeCode:  {dialect.Anthropic},
	QuirksCodex:       {dialect.Responses},
	QuirksCopilot:     {dialect.OpenAIChat, dialect.Responses},
	QuirksKimiCLI:     {dialect.Anthropic},
	QuirksQwenCode:    {dialect.OpenAIChat},
	QuirksCodeAssist:  {dialect.Gemini},
	QuirksAntigravity: {dialect.Gemini},
	QuirksKiro:        {dialect.Kiro},
}

// applyQuirksBody returns the body to send: call.Body itself (nil when the
// body is in BodyParts) unless the entry's quirks rewrite it.
func applyQuirksBody(call *Call) ([]byte, error) {
	e := call.Entry
	if e.Quirks == "" || !call.hasBody() {
		return call.Body, nil
	}
	var (
		body []byte
		err  *ir.Error
	)
	switch {
	case e.Quirks == QuirksClaudeCode && (call.Op == OpGenerate || call.Op == OpCountTokens):
		body, err = claudeCodeBody(call.wholeBody(), isClaudeCode(call.ClientUserAgent))
	case e.Quirks == QuirksCodex && call.Op == OpGenerate:
		body, err = codexBody(call.wholeBody())
	case isCloudCode(e.Quirks) && call.Op == OpGenerate:
		body, err = cloudCodeBody(call)
	case e.Quirks == QuirksKiro && call.Op == OpGenerate:
		body, err = kiroBody(call.wholeBody(), call.AccountRef)
	default:
		return call.Body, nil
	}
	if err != nil {
		err.Provider = e.ID
		return nil, err
	}
	return body, nil
}

// applyQuirksHeaders runs after the forwarded headers and before the
// credentials: it may read what the client forwarded, and whatever it sets
// cannot be replaced by the client.
func applyQuirksHeaders(h http.Header, call *Call) error {
	e := call.Entry
	if e.Quirks == "" {
		return nil
	}
	if strings.TrimSpace(call.APIKey) == "" {
		return &ir.Error{Kind: ir.KindAuth, Message: "the sign-in for " + e.ID + " has no access token", Provider: e.ID}
	}
	switch e.Quirks {
	case QuirksClaudeCode:
		claudeCodeHeaders(h, call)
	case QuirksCodex:
		if strings.TrimSpace(call.AccountRef) == "" {
			return &ir.Error{Kind: ir.KindAuth, Provider: e.ID,
				Message: "the sign-in for " + e.ID + " has no ChatGPT account id; sign in again"}
		}
		codexHeaders(h, call)
	case QuirksKimiCLI:
		kimiHeaders(h, call)
	case QuirksQwenCode:
		qwenHeaders(h, call)
	case QuirksCodeAssist, QuirksAntigravity:
		cloudCodeHeaders(h, call)
	case QuirksCopilot:
		copilotHeaders(h, call)
	case QuirksKiro:
		kiroHeaders(h, call)
	}
	return nil
}

// applyQuirksResponse presents a successful answer the way the gateway
// reads it, where the vendor's framing differs (Cloud Code's {response}
// envelope is unwrapped; Kiro's binary event stream becomes SSE).
func applyQuirksResponse(resp *http.Response, call *Call) *http.Response {
	if call.Entry.Quirks == QuirksKiro && call.Op == OpGenerate {
		return kiroResponse(resp) // a usage answer is plain JSON
	}
	if isCloudCode(call.Entry.Quirks) {
		unwrapCloudCode(resp)
	}
	return resp
}

// applyQuirksError refines the classification of a failed answer with what
// the vendor's error body says (body is already redacted).
func applyQuirksError(e *ir.Error, body []byte, call *Call) {
	if call.Entry.Quirks == QuirksKiro {
		kiroError(e, body)
	}
}

// ---------------------------------------------------------------------------
// claude-code: Claude Pro/Max through the Anthropic Messages API.

const (
	// The Claude Code release the identity below was taken from (see the
	// captures in the reference client-captures/claude: User-Agent
	// claude-cli/2.1.197, @anthropic-ai/sdk 0.94.0 on node v26.3.0).
	claudeCodeVersion       = "2.1.197"
	stainlessPackageVersion = "0.94.0"
	stainlessRuntimeVersion = "v26.3.0"

	// claudeCodePreamble must open the system prompt of OAuth traffic that
	// does not come from Claude Code itself.
	claudeCodePreamble      = "You are Claude Code, Anthropic's official CLI for Claude."
	claudeCodePreambleBlock = `{"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude."}`
)

// claudeCodeBetas is the anthropic-beta set sent with every sign-in request:
// oauth-2025-04-20 (the API refuses an OAuth token without it) followed by
// exactly what Claude Code 2.1.197 sends (same order).
var claudeCodeBetas = []string{
	"oauth-2025-04-20",
	"claude-code-20250219",
	"interleaved-thinking-2025-05-14",
	"thinking-token-count-2026-05-13",
	"context-management-2025-06-27",
	"prompt-caching-scope-2026-01-05",
	"mid-conversation-system-2026-04-07",
	"effort-2025-11-24",
}

// isClaudeCode tells Claude Code (claude-cli/2.1.197 (external, sdk-cli))
// apart from every other client.
func isClaudeCode(ua string) bool { return strings.HasPrefix(ua, "claude-cli/") }

// claudeCodeHeaders sets what Claude Code sends besides the token. A
// client that is Claude Code keeps its own User-Agent and whatever identity
// headers it forwarded; any other client gets Claude Code's.
func claudeCodeHeaders(h http.Header, call *Call) {
	h.Del("X-Api-Key") // OAuth traffic carries the token as a bearer only
	h.Set("Anthropic-Version", anthropicVersion)
	h.Set("Anthropic-Beta", mergeBetas(call))
	// Claude Code asks for application/json and gets a stream because the
	// body says stream:true.
	h.Set("Accept", "application/json")
	cc := isClaudeCode(call.ClientUserAgent)
	ua := ident.claudeUA
	if cc {
		ua = call.ClientUserAgent
	}
	h.Set("User-Agent", ua)
	for _, kv := range ident.claudeHeaders {
		if cc && h.Get(kv[0]) != "" {
			continue
		}
		h.Set(kv[0], kv[1])
	}
}

// mergeBetas joins the client's anthropic-beta values (first, in their
// order), the entry's, and the ones sign-in traffic needs, without repeats.
// Forwarded headers replace the entry's, so the entry's are read again here.
func mergeBetas(call *Call) string {
	var b strings.Builder
	seen := make([]string, 0, 16)
	add := func(list string) {
		for v := range strings.SplitSeq(list, ",") {
			v = strings.TrimSpace(v)
			if v == "" || slices.Contains(seen, v) {
				continue
			}
			if len(seen) > 0 {
				b.WriteByte(',')
			}
			b.WriteString(v)
			seen = append(seen, v)
		}
	}
	for _, v := range call.Header.Values("Anthropic-Beta") {
		add(v)
	}
	for k, v := range call.Entry.Headers {
		if strings.EqualFold(k, "anthropic-beta") {
			add(v)
		}
	}
	for _, v := range claudeCodeBetas {
		add(v)
	}
	return b.String()
}

// claudeCodeBody makes the system prompt open with Claude Code's preamble
// when the client is not Claude Code. system may be absent, a string or an
// array of blocks; the result is an array whose first block is the
// preamble, the client's blocks following untouched (cache_control and all).
func claudeCodeBody(body []byte, fromClaudeCode bool) ([]byte, *ir.Error) {
	if err := checkObject(body); err != nil {
		return nil, err
	}
	if fromClaudeCode {
		return body, nil
	}
	sys := gjson.Get(view(body), "system")
	var raw string
	switch {
	case !sys.Exists() || sys.Type == gjson.Null:
		raw = "[" + claudeCodePreambleBlock + "]"
	case sys.Type == gjson.String:
		raw = "[" + claudeCodePreambleBlock + "]"
		if s := sys.String(); s != claudeCodePreamble && strings.TrimSpace(s) != "" {
			raw = "[" + claudeCodePreambleBlock + `,{"type":"text","text":` + sys.Raw + "}]"
		}
	case sys.IsArray():
		first := sys.Get("0")
		if first.Get("type").String() == "text" && first.Get("text").String() == claudeCodePreamble {
			return body, nil
		}
		inner := strings.TrimSpace(sys.Raw[1 : len(sys.Raw)-1])
		raw = "[" + claudeCodePreambleBlock
		if inner != "" {
			raw += "," + inner
		}
		raw += "]"
	default:
		return nil, ir.Errorf(ir.KindBadRequest, "system must be a string or an array of content blocks")
	}
	out, err := sjson.SetRawBytes(body, "system", []byte(raw))
	if err != nil {
		return nil, &ir.Error{Kind: ir.KindBadRequest, Message: "the request body could not be prepared for the sign-in", Cause: err}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// codex: a ChatGPT plan through the Codex backend (OpenAI Responses at
// <base>/responses). Facts from openai/codex (codex-rs): the CLI sends
// `originator` (default codex_cli_rs) and a User-Agent that starts with
// "<originator>/<version> (<os>; <arch>) <terminal>"; the account id goes in
// ChatGPT-Account-ID; the conversation id in session_id (0.169.0 sends
// session-id); its body always has stream:true, store:false, instructions,
// and include ["reasoning.encrypted_content"] whenever reasoning is set.

const (
	codexVersion    = "0.169.0" // the Codex CLI release the captures come from
	codexOriginator = "codex_cli_rs"

	// codexInstructions stands in when a request brings no instructions
	// and no leading system/developer message: the backend refuses a
	// request without them ("Instructions are required").
	codexInstructions = "You are a helpful assistant."
)

// codexRejected are body fields the Codex backend refuses with 400
// {"detail":"Unsupported parameter: <name>"} (or that make no sense there),
// which the official CLI never sends. Sources:
//   - max_output_tokens: sub2api#3954, RayBytes/ChatMock#103, kortix-ai/suna#5124
//     (raw backend answer); max_completion_tokens, its Chat Completions twin,
//     is stripped by CLIProxyAPI's codex translator for the same reason.
//   - temperature, top_p: can1357/oh-my-pi#3117 (direct request to
//     chatgpt.com/backend-api/codex), finch-xu/cc-router#32, new-api#4792,
//     Soju06/codex-lb#391; frequency_penalty, presence_penalty:
//     Wei-Shaw/sub2api#589; seed, top_logprobs, metadata, truncation:
//     askalf/dario#1009 (tested field by field against the live backend).
//   - previous_response_id: metapi#504, r1n7aro/Locus#35,
//     icebear0828/codex-proxy#30; with store:false there is nothing stored
//     to continue from anyway, the client must send the whole history.
//   - context_management ("Unsupported parameter: context_management") and
//     user: CLIProxyAPI's codex translator, BerriAI/litellm#21209.
//   - prompt_cache_retention, safety_identifier, stream_options: stripped by
//     CLIProxyAPI's Codex executor before every call.
//
// service_tier is handled apart: "priority" (the CLI's fast mode) is kept,
// any other value is dropped (dario#1009 saw the others refused).
var codexRejected = []string{
	"max_output_tokens", "max_completion_tokens", "temperature", "top_p",
	"frequency_penalty", "presence_penalty", "seed", "top_logprobs", "metadata",
	"truncation", "previous_response_id", "context_management", "user",
	"prompt_cache_retention", "safety_identifier", "stream_options",
}

const encryptedReasoning = "reasoning.encrypted_content"

// isCodexCLI tells OpenAI's Codex clients apart: their User-Agent starts
// with the originator, codex_cli_rs, codex_exec, codex_vscode…
func isCodexCLI(ua string) bool { return strings.HasPrefix(ua, "codex_") }

// codexHeaders sets what the Codex CLI sends besides the token.
func codexHeaders(h http.Header, call *Call) {
	h.Set("Chatgpt-Account-Id", strings.TrimSpace(call.AccountRef))
	h.Set("OpenAI-Beta", "responses=experimental")
	if call.Op == OpGenerate {
		h.Set("Accept", "text/event-stream") // the backend only streams
	}
	ua, originator := ident.codexUA, codexOriginator
	if isCodexCLI(call.ClientUserAgent) {
		ua = call.ClientUserAgent
		// The CLI's User-Agent starts with its originator: keep the pair
		// consistent (codex_exec/0.169.0 … goes with originator codex_exec).
		originator, _, _ = strings.Cut(ua, "/")
		if o := call.Header.Get("Originator"); o != "" {
			originator = o
		}
	}
	h.Set("User-Agent", ua)
	h.Set("Originator", originator)
	// session_id / session-id (the conversation id the backend keys its
	// prompt cache on) travel as the client forwarded them.
}

// codexBody shapes a Responses request the way the Codex backend accepts it.
// One pass over the top-level keys finds what needs changing; a body that
// already fits (the Codex CLI's own) comes back unchanged.
func codexBody(body []byte) ([]byte, *ir.Error) {
	if err := checkObject(body); err != nil {
		return nil, err
	}
	var (
		stream, store, instructions, input, reasoning, include, tier gjson.Result
		drop                                                         []string
	)
	gjson.Parse(view(body)).ForEach(func(k, v gjson.Result) bool {
		switch key := k.String(); key {
		case "stream":
			stream = v
		case "store":
			store = v
		case "instructions":
			instructions = v
		case "input":
			input = v
		case "reasoning":
			reasoning = v
		case "include":
			include = v
		case "service_tier":
			tier = v
		default:
			if slices.Contains(codexRejected, key) {
				drop = append(drop, key)
			}
		}
		return true
	})
	if tier.Exists() && tier.String() != "priority" {
		drop = append(drop, "service_tier")
	}
	ed := editor{body: body}
	for _, k := range drop {
		ed.del(k)
	}
	if stream.Type != gjson.True {
		ed.setRaw("stream", "true")
	}
	if store.Type != gjson.False {
		ed.setRaw("store", "false")
	}
	if input.Type == gjson.String { // the backend wants a list of items
		ed.setRaw("input", `[{"type":"message","role":"user","content":[{"type":"input_text","text":`+input.Raw+`}]}]`)
	}
	if instructions.Type != gjson.String || strings.TrimSpace(instructions.String()) == "" {
		text, rest := leadingInstructions(input)
		if text == "" {
			text = codexInstructions
		} else {
			ed.setRaw("input", rest)
		}
		ed.set("instructions", text)
	}
	if reasoning.IsObject() && !hasString(include, encryptedReasoning) {
		if include.IsArray() {
			ed.set("include.-1", encryptedReasoning)
		} else {
			ed.setRaw("include", `["`+encryptedReasoning+`"]`)
		}
	}
	if ed.err != nil {
		return nil, &ir.Error{Kind: ir.KindBadRequest, Message: "the request body could not be prepared for the sign-in", Cause: ed.err}
	}
	return ed.body, nil
}

// leadingInstructions takes the text of the system and developer messages
// that open input, and returns it with the input that remains once they are
// moved out. No such message: text is "".
func leadingInstructions(input gjson.Result) (text, rest string) {
	if !input.IsArray() {
		return "", ""
	}
	var b strings.Builder
	next := -1 // offset in input.Raw of the first item that stays
	input.ForEach(func(_, item gjson.Result) bool {
		t := instructionText(item)
		if t == "" {
			next = item.Index - input.Index // ForEach indexes items from input's own
			return false
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(t)
		return true
	})
	switch {
	case b.Len() == 0:
		return "", ""
	case next < 0: // every item moved
		return b.String(), "[]"
	case next < 1 || next >= len(input.Raw):
		return "", "" // cannot happen; better to keep the input as it is
	}
	return b.String(), "[" + input.Raw[next:]
}

// instructionText is the text of a system or developer message item, "" for
// any other item.
func instructionText(item gjson.Result) string {
	if typ := item.Get("type"); typ.Exists() && typ.String() != "message" {
		return ""
	}
	if r := item.Get("role").String(); r != "system" && r != "developer" {
		return ""
	}
	content := item.Get("content")
	if content.Type == gjson.String {
		return content.String()
	}
	var b strings.Builder
	content.ForEach(func(_, part gjson.Result) bool {
		if t := part.Get("text"); t.Type == gjson.String && t.String() != "" {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(t.String())
		}
		return true
	})
	return b.String()
}

func hasString(arr gjson.Result, s string) bool {
	found := false
	arr.ForEach(func(_, v gjson.Result) bool {
		found = v.Type == gjson.String && v.String() == s
		return !found
	})
	return found
}

// editor applies sjson edits in sequence and keeps the first error.
type editor struct {
	body []byte
	err  error
}

func (ed *editor) del(path string) {
	if ed.err == nil {
		ed.body, ed.err = sjson.DeleteBytes(ed.body, path)
	}
}

func (ed *editor) set(path, value string) {
	if ed.err == nil {
		ed.body, ed.err = sjson.SetBytes(ed.body, path, value)
	}
}

func (ed *editor) setRaw(path, raw string) {
	if ed.err == nil {
		ed.body, ed.err = sjson.SetRawBytes(ed.body, path, []byte(raw))
	}
}

// checkObject refuses a body that is not a JSON object: a sign-in request is
// edited in place, which needs one.
func checkObject(body []byte) *ir.Error {
	if !jsonscan.Valid(body) || !strings.HasPrefix(strings.TrimLeft(view(body), " \t\r\n"), "{") {
		return ir.Errorf(ir.KindBadRequest, "the request body is not a JSON object")
	}
	return nil
}

// view reads body as a string without copying it: gjson results then point
// into body instead of copies of it. Safe because nothing here writes to
// body (sjson builds a new slice for every edit) and a Call's Body is not
// changed while it is sent.
func view(body []byte) string { return unsafe.String(unsafe.SliceData(body), len(body)) }

// ---------------------------------------------------------------------------
// The identity both CLIs announce, built once for this machine.

type identity struct {
	claudeUA      string
	claudeHeaders [][2]string // Claude Code's SDK headers, in canonical form
	codexUA       string
}

var ident = newIdentity(runtime.GOOS, runtime.GOARCH)

func newIdentity(goos, goarch string) identity {
	// The Anthropic SDK names platforms as Node does after its own mapping.
	sOS := map[string]string{"linux": "Linux", "darwin": "MacOS", "windows": "Windows", "freebsd": "FreeBSD", "openbsd": "OpenBSD"}[goos]
	if sOS == "" {
		sOS = "Other:" + goos
	}
	sArch := map[string]string{"amd64": "x64", "arm64": "arm64", "386": "x32", "arm": "arm"}[goarch]
	if sArch == "" {
		sArch = "other:" + goarch
	}
	// codex-rs reports os_info's type and the machine architecture.
	cOS := map[string]string{"linux": "Linux", "darwin": "Mac OS", "windows": "Windows"}[goos]
	if cOS == "" {
		cOS = goos
	}
	cArch := map[string]string{"amd64": "x86_64", "arm64": "arm64", "386": "i686"}[goarch]
	if cArch == "" {
		cArch = goarch
	}
	return identity{
		claudeUA: "claude-cli/" + claudeCodeVersion + " (external, cli)",
		claudeHeaders: [][2]string{
			{"X-App", "cli"},
			{"Anthropic-Dangerous-Direct-Browser-Access", "true"},
			{"X-Stainless-Arch", sArch},
			{"X-Stainless-Lang", "js"},
			{"X-Stainless-Os", sOS},
			{"X-Stainless-Package-Version", stainlessPackageVersion},
			{"X-Stainless-Retry-Count", "0"},
			{"X-Stainless-Runtime", "node"},
			{"X-Stainless-Runtime-Version", stainlessRuntimeVersion},
			{"X-Stainless-Timeout", "600"},
		},
		codexUA: codexOriginator + "/" + codexVersion + " (" + cOS + "; " + cArch + ") unknown",
	}
}
