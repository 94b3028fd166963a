// Package provider is how Switchboard reaches upstream AI vendors.
//
//   - The catalog of known providers is data (catalog.yaml, embedded and
//     validated at start-up): Lookup, ByPrefix, All. FromConfig merges an
//     operator's provider declaration with its catalog entry, or builds a
//     custom OpenAI-, Responses-, Anthropic- or Gemini-compatible one.
//   - Entry.URL builds the upstream URL for an operation in the entry's
//     dialect.
//   - Client is the one HTTP client: a tuned, shared transport, HTTP/2 when
//     the upstream offers it, and an SSRF guard that refuses private
//     addresses at dial time unless the provider is local. Client.Send
//     makes exactly one attempt: the router is the only retry loop.
//   - Sign-in (subscription) entries name their quirks (Entry.Quirks):
//     what Claude's OAuth API and the ChatGPT Codex backend require beyond
//     the token. Client applies them while building the request
//     (subscription.go); a provider without quirks is sent exactly as before.
//   - Classify and ClassifyTransport are the one place where a failure
//     becomes an *ir.Error whose Kind, Status and RetryAfter/ResetAt the
//     router acts on.
//
// Secrets: the API key goes into exactly one header and is scrubbed from
// anything an upstream echoes back; no error this package returns contains
// it.
package provider
