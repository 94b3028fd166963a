// Package integration proves real clients work through the gateway: a real
// instance (core.Start) on 127.0.0.1 in front of scripted vendor upstreams
// (OpenAI Chat, OpenAI Responses, Anthropic Messages, Gemini) that follow
// the documented wire formats, driven by the official SDKs (openai-go,
// anthropic-sdk-go, google.golang.org/genai), raw HTTP, and the recorded
// requests of Claude Code, Codex, Gemini CLI and OpenCode.
//
// Everything lives in _test.go files:
//
//	upstream_test.go   scripted upstreams: answers, request recording, failure knobs
//	wire_test.go       each vendor's JSON and SSE shapes; tool-call/result pairing checks
//	harness_test.go    starting a gateway, raw HTTP, SSE parsing
//	clients_test.go    one conversation type per official SDK
//	matrix_test.go     every client dialect × every upstream dialect
//	streamfail_test.go failures after content, missing terminal events, disconnects
//	fallback_test.go   pre-first-byte fallback, 400s not retried
//	surface_test.go    errors, model lists, Gemini paths and ?key=, embeddings,
//	                   count tokens, HEAD /, byte pass-through
//	captures_test.go   replay of testdata/client-captures against other dialects
//
// Run with: go test -race -count=1 ./backend/integration/...
package integration
