package provider

import (
	"net/http"
	"slices"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
)

// ---------------------------------------------------------------------------
// copilot: a GitHub Copilot seat through the Copilot API (OpenAI Chat at
// <api>/chat/completions, OpenAI Responses at <api>/responses for the models
// served only there). The token is the short-lived Copilot token signin
// trades the GitHub sign-in for; the API base comes with it.
//
// The API wants to know which editor integration calls it. Facts from
// microsoft/vscode-copilot-chat 0.42.0 (networking.ts, chatMLFetcher.ts,
// fetcherServiceImpl.ts; package.json engines vscode ^1.111.0), matching
// what the Copilot proxies send (ericc-ch/copilot-api api-config.ts,
// CLIProxyAPI's copilot executor, opencode's copilot plugin):
//   - Copilot-Integration-Id: vscode-chat, Editor-Version: vscode/<v>,
//     Editor-Plugin-Version: copilot-chat/<v>, User-Agent:
//     GitHubCopilotChat/<v>, X-GitHub-Api-Version: 2025-05-01, a fresh
//     X-Request-Id per request;
//   - X-Initiator: "user" when a person just asked (the request is billed as
//     a premium request), "agent" when the request continues an agent loop
//     (the conversation ends in a tool result or an assistant turn), as
//     opencode decides it from the last message; OpenAI-Intent and
//     X-Interaction-Type: conversation-panel / conversation-agent with it;
//   - Copilot-Vision-Request: true when the request carries an image
//     (the API refuses images without it).
// Bodies pass unchanged: the API takes OpenAI's own shapes.

const (
	copilotEditorVersion = "vscode/1.111.0"
	copilotPluginVersion = "copilot-chat/0.42.0"
	copilotUserAgent     = "GitHubCopilotChat/0.42.0"
	copilotAPIVersion    = "2025-05-01"
	copilotIntegrationID = "vscode-chat"
)

// CopilotEditorHeaders are the editor identity the Copilot API and GitHub's
// Copilot token exchange expect (the exchange refuses Go's default
// User-Agent: vscode-copilot-chat lists go_http_client among its refusals).
// signin sends them with the exchange.
var CopilotEditorHeaders = [][2]string{
	{"Editor-Version", copilotEditorVersion},
	{"Editor-Plugin-Version", copilotPluginVersion},
	{"User-Agent", copilotUserAgent},
	{"X-Github-Api-Version", copilotAPIVersion},
	{"X-Vscode-User-Agent-Library-Version", "electron-fetch"},
}

// copilotRequestID names each request (a UUID, as VS Code sends; newUUID
// is the Cloud Code quirks'); tests pin it.
var copilotRequestID = func() string { return newUUID() }

// copilotHeaders sets what VS Code's Copilot Chat sends besides the token.
func copilotHeaders(h http.Header, call *Call) {
	for _, kv := range CopilotEditorHeaders {
		h.Set(kv[0], kv[1])
	}
	h.Set("Copilot-Integration-Id", copilotIntegrationID)
	h.Set("X-Request-Id", copilotRequestID())
	if call.Op != OpGenerate {
		return
	}
	agent, vision := copilotTurn(call.Entry.Dialect, call.wholeBody())
	initiator, intent := "user", "conversation-panel"
	if agent {
		initiator, intent = "agent", "conversation-agent"
	}
	h.Set("X-Initiator", initiator)
	h.Set("Openai-Intent", intent)
	h.Set("X-Interaction-Type", intent)
	if vision {
		h.Set("Copilot-Vision-Request", "true")
	}
}

// copilotTurn reads who asked (agent: the conversation does not end with a
// person's message) and whether an image is in it, from an OpenAI Chat or
// Responses body. A body it cannot read counts as a person's text question.
func copilotTurn(d dialect.Name, body []byte) (agent, vision bool) {
	if len(body) == 0 || !jsonscan.Valid(body) {
		return false, false
	}
	root := gjson.Parse(view(body))
	items, part := root.Get("messages"), "image_url"
	if d == dialect.Responses {
		items, part = root.Get("input"), "input_image"
		if items.Type == gjson.String {
			return false, false
		}
	}
	var last gjson.Result
	items.ForEach(func(_, item gjson.Result) bool {
		last = item
		if !vision {
			item.Get("content").ForEach(func(_, p gjson.Result) bool {
				vision = p.Get("type").String() == part
				return !vision
			})
		}
		return true
	})
	if !last.Exists() {
		return false, vision
	}
	typ := last.Get("type").String()
	person := last.Get("role").String() == "user" && (typ == "" || typ == "message")
	return !person, vision
}

// copilotModels reads Copilot's model list (GET <api>/models): chat and
// embedding models with their limits and capabilities, and the API each is
// served on (supported_endpoints; a model without the entry's own endpoint
// but with the other OpenAI one is served there). Models the seat's policy
// has not enabled, completion-only models and models reachable on neither
// OpenAI endpoint are left out: requests to them would fail. Field names
// from vscode-copilot-chat's IModelAPIResponse (endpointProvider.ts).
func copilotModels(page gjson.Result, own dialect.Name) []Model {
	var out []Model
	for _, m := range page.Get("data").Array() {
		caps := m.Get("capabilities")
		kind, id := caps.Get("type").String(), m.Get("id").String()
		if id == "" || (kind != "chat" && kind != "embeddings") {
			continue
		}
		if st := m.Get("policy.state"); st.Exists() && st.String() != "enabled" {
			continue
		}
		d, ok := copilotDialect(m.Get("supported_endpoints"), own)
		if !ok {
			continue
		}
		lim, sup := caps.Get("limits"), caps.Get("supports")
		mo := Model{ID: id, Name: m.Get("name").String(), Embedding: kind == "embeddings",
			MaxOutput: int(lim.Get("max_output_tokens").Int()), Vision: sup.Get("vision").Bool(),
			Reasoning: sup.Get("thinking").Bool() || sup.Get("adaptive_thinking").Bool() ||
				len(sup.Get("reasoning_effort").Array()) > 0 || sup.Get("max_thinking_budget").Int() > 0}
		mo.Context = int(lim.Get("max_context_window_tokens").Int())
		if mo.Context == 0 {
			mo.Context = int(lim.Get("max_prompt_tokens").Int()) + mo.MaxOutput
		}
		if d != own {
			mo.Dialect = d
		}
		out = append(out, mo)
	}
	return out
}

// copilotDialect picks the OpenAI API a model is reached on: the entry's
// own when listed (or when the list is absent, as older answers have it),
// else the other one.
func copilotDialect(endpoints gjson.Result, own dialect.Name) (dialect.Name, bool) {
	if !endpoints.IsArray() {
		return own, true
	}
	var list []string
	for _, e := range endpoints.Array() {
		list = append(list, e.String())
	}
	paths := []struct {
		d dialect.Name
		p string
	}{{own, ""}, {dialect.OpenAIChat, "/chat/completions"}, {dialect.Responses, "/responses"}}
	for _, c := range paths[1:] {
		if c.d == own {
			paths[0].p = c.p
		}
	}
	for _, c := range paths {
		if c.p != "" && slices.Contains(list, c.p) {
			return c.d, true
		}
	}
	return "", false
}
