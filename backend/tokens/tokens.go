// Package tokens estimates a prompt's token count when no upstream can count
// it (count_tokens / countTokens against a model whose vendor has no counting
// endpoint, or whose endpoint failed).
//
// Text is counted with a real BPE tokenizer, offline: o200k_base or
// cl100k_base, compiled into the binary and loaded on first use (see bpe.go).
// For OpenAI models that is their own tokenizer; for every other vendor the
// o200k count is scaled by a per-family factor fitted to token counts those
// vendors' APIs really reported. Each request's structure is priced too: the
// per-message framing of the chat template, the tool-use system prompt a
// vendor adds when tools are defined, the tool definitions in the form the
// vendor shows them to the model, tool calls and results, extended
// thinking, replayed reasoning signatures and images (each vendor's
// documented formula, from the image's real pixel size when it is inline).
//
// Where each number comes from is written next to it in profiles.go; how
// close the result is, per family, is measured by TestAccuracy against
// recorded upstream counts (a set kept outside the repository: see
// accuracy_test.go).
package tokens

import (
	"math"
	"strings"

	"switchboard/backend/ir"
)

// Estimate returns an approximate prompt token count for req as the vendor
// of req.Model would count it. Unknown models are priced as the generic
// family, which errs high.
func Estimate(req *ir.Request) int {
	return estimate(req, profileFor(req.Model))
}

// Family names the profile Estimate uses for model, for logs and tests.
func Family(model string) string { return profileFor(model).family }

func estimate(req *ir.Request, p *profile) int {
	m := measureRequest(req, p.enc, p.style)
	text := float64(m.system+m.text+m.resultText+m.callTokens) + p.thinkText*float64(m.thinking)
	n := p.ratio*text + p.perMessage*float64(m.messages) + float64(p.base)
	if m.tools > 0 && !(p.noneDropsTools && req.ToolChoice != nil && req.ToolChoice.Mode == "none") {
		n += float64(p.toolBase) + p.toolRatio*float64(m.toolDefs)
	}
	n += float64(p.perCall * (m.calls + m.results))
	if m.thinkingOn && req.Reasoning.BudgetTokens > 0 {
		n += float64(p.thinking)
	}
	if p.sigBytesPerToken > 0 {
		sig := m.signatures
		if p.sigLoopOnly {
			sig = m.loopSigs
		}
		n += float64(sig) / p.sigBytesPerToken
	}
	if m.schema > 0 {
		n += float64(p.schemaBase) + p.schemaRatio*float64(m.schema)
	}
	for _, d := range m.images {
		n += float64(p.image(d.w, d.h))
	}
	return int(math.Ceil(n))
}

// profileFor picks the family of model: an alias's upstream model name, with
// or without a provider prefix ("anthropic/claude-…", "openai.gpt-oss-…").
func profileFor(model string) *profile {
	m := strings.ToLower(model)
	if i := strings.LastIndexAny(m, "/"); i >= 0 {
		m = m[i+1:]
	}
	for _, r := range familyRules {
		if r.match(m) {
			return r.profile
		}
	}
	return &generic
}
