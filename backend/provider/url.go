package provider

import (
	"net/http"
	"net/url"
	"strings"

	"switchboard/backend/dialect"
)

// Op is an upstream operation.
type Op uint8

const (
	OpGenerate    Op = iota // chat / messages / responses / generateContent
	OpEmbed                 // embeddings
	OpCountTokens           // token counting
	OpListModels            // GET the model list
	OpUsage                 // GET (POST with a body) the account's plan usage (Call.URL names the endpoint)
	OpImage                 // images/generations (Gemini: generateContent with image output)
	OpImageEdit             // images/edits (multipart)
	OpSpeech                // audio/speech (Gemini: generateContent with audio output)
	OpTranscribe            // audio/transcriptions (multipart)
	OpTranslate             // audio/translations (multipart)
	OpModerate              // moderations
	OpRerank                // rerank (the entry's Rerank names the wire shape)
)

var opNames = [...]string{"generate", "embed", "count_tokens", "list_models", "usage",
	"images", "image_edits", "speech", "transcriptions", "translations", "moderations", "rerank"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "unknown"
}

// method is the HTTP method of the operation.
func (o Op) method() string {
	if o == OpListModels || o == OpUsage {
		return http.MethodGet
	}
	return http.MethodPost
}

// URL is the upstream URL for op on model, or "" when the provider's
// dialect has no such endpoint (Anthropic has no embeddings, OpenAI Chat no
// token counting). stream only matters for Gemini, whose streaming is a
// different method; the other dialects stream through a body field.
func (e Entry) URL(op Op, model string, stream bool) string {
	if op >= OpImage {
		return e.mediaURL(op, model)
	}
	switch e.Dialect {
	case dialect.OpenAIChat:
		return pick(e.BaseURL, op, "/chat/completions", "/embeddings", "", "/models")
	case dialect.Responses:
		return pick(e.BaseURL, op, "/responses", "/embeddings", "/responses/input_tokens", "/models")
	case dialect.Anthropic:
		return pick(e.BaseURL, op, "/v1/messages", "", "/v1/messages/count_tokens", "/v1/models")
	case dialect.Gemini:
		return e.geminiURL(op, model, stream)
	case dialect.Kiro:
		return pick(e.BaseURL, op, "/generateAssistantResponse", "", "", "")
	}
	return ""
}

// mediaPaths are the OpenAI API's media endpoints, under an OpenAI-style
// base URL (…/v1).
var mediaPaths = map[Op]string{OpImage: "/images/generations", OpImageEdit: "/images/edits", OpSpeech: "/audio/speech",
	OpTranscribe: "/audio/transcriptions", OpTranslate: "/audio/translations", OpModerate: "/moderations", OpRerank: "/rerank"}

// mediaURL is the endpoint of a media operation: the OpenAI paths on
// OpenAI-style upstreams (rerank in the entry's Rerank shape, at the same
// path for Cohere v2, Jina and Voyage); Gemini makes images and speech
// with generateContent (image or audio output) and serves nothing else.
func (e Entry) mediaURL(op Op, model string) string {
	switch e.Dialect {
	case dialect.OpenAIChat, dialect.Responses:
		return e.BaseURL + mediaPaths[op]
	case dialect.Gemini:
		if (op == OpImage || op == OpImageEdit || op == OpSpeech) && !isCloudCode(e.Quirks) {
			return e.geminiURL(OpGenerate, model, false)
		}
	}
	return ""
}

// Supports reports whether the provider has an endpoint for op.
func (e Entry) Supports(op Op) bool { return e.URL(op, "m", false) != "" }

// pick joins base with the path for op; an empty path means unsupported.
func pick(base string, op Op, generate, embed, count, list string) string {
	var p string
	switch op {
	case OpGenerate:
		p = generate
	case OpEmbed:
		p = embed
	case OpCountTokens:
		p = count
	case OpListModels:
		p = list
	}
	if p == "" {
		return ""
	}
	return base + p
}

// geminiURL builds /v1beta/{model}:{method}. The model is a path resource:
// "gemini-2.5-pro", "models/gemini-2.5-pro" and "tunedModels/x" all work,
// and each segment is escaped so a hostile model name cannot add path
// segments or a query.
func (e Entry) geminiURL(op Op, model string, stream bool) string {
	if isCloudCode(e.Quirks) { // Gemini inside Cloud Code's envelope
		return cloudCodeURL(e.BaseURL, op, stream)
	}
	if op == OpListModels {
		return e.BaseURL + "/v1beta/models"
	}
	var method string
	switch op {
	case OpGenerate:
		method = ":generateContent"
		if stream {
			method = ":streamGenerateContent?alt=sse"
		}
	case OpEmbed:
		method = ":batchEmbedContents"
	case OpCountTokens:
		method = ":countTokens"
	default:
		return ""
	}
	return e.BaseURL + "/v1beta/" + geminiResource(model) + method
}

// geminiResource turns a model id into its escaped resource path.
func geminiResource(model string) string {
	collection := "models"
	for _, c := range []string{"models/", "tunedModels/"} {
		if strings.HasPrefix(model, c) {
			collection, model = strings.TrimSuffix(c, "/"), strings.TrimPrefix(model, c)
			break
		}
	}
	// PathEscape keeps ':' (legal in a segment), but here it would start
	// the method suffix: "x:countTokens" must not pick another method.
	return collection + "/" + strings.ReplaceAll(url.PathEscape(model), ":", "%3A")
}
