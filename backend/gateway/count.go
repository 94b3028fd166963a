package gateway

import (
	"io"
	"net/http"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/tokens"
)

// countTokensAnthropic serves POST /v1/messages/count_tokens: the upstream
// counts when it is an Anthropic-dialect provider, otherwise we estimate.
func (g *Gateway) countTokensAnthropic(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, dialect.Anthropic)
	if !ok {
		return
	}
	if _, e := bodyModel(body); e != nil {
		writeError(w, dialect.Anthropic, e)
		return
	}
	req, err := anthropic.DecodeCountTokens(body)
	if err != nil {
		writeError(w, dialect.Anthropic, asIRError(err))
		return
	}
	n := g.upstreamCount(r, req, dialect.Anthropic, body)
	if n < 0 {
		n = g.estimateTokens(req)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(anthropic.EncodeCountTokens(n))
}

// countTokensGemini serves :countTokens the same way for Gemini clients.
func (g *Gateway) countTokensGemini(w http.ResponseWriter, r *http.Request, model string) {
	body, ok := readBody(w, r, dialect.Gemini)
	if !ok {
		return
	}
	req, err := gemini.DecodeCountTokens(body)
	if err != nil {
		writeError(w, dialect.Gemini, asIRError(err))
		return
	}
	req.Model = model
	n := g.upstreamCount(r, req, dialect.Gemini, nil)
	if n < 0 {
		n = g.estimateTokens(req)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(gemini.EncodeCountTokens(n))
}

// estimateTokens counts req offline the way the model it would be routed to
// first counts (an alias or a combo name says nothing about the tokenizer);
// the requested name is used when it resolves to nothing.
func (g *Gateway) estimateTokens(req *ir.Request) int {
	if cands, err := g.routes.Load().Resolve(req.Model); err == nil && len(cands) > 0 && cands[0].Model != "" {
		cp := *req
		cp.Model = cands[0].Model
		return tokens.Estimate(&cp)
	}
	return tokens.Estimate(req)
}

// upstreamCount asks the first candidate that can count (same-vendor
// dialect with a counting endpoint); -1 when none could.
func (g *Gateway) upstreamCount(r *http.Request, req *ir.Request, client dialect.Name, raw []byte) int {
	cands, err := g.routes.Load().Resolve(req.Model)
	if err != nil {
		return -1
	}
	for _, c := range cands {
		d := c.Provider.Entry.Dialect
		if (d != dialect.Anthropic && d != dialect.Gemini) || !c.Provider.Entry.Supports(provider.OpCountTokens) {
			continue
		}
		if n := g.countWith(r, c, req, client, raw); n >= 0 {
			return n
		}
	}
	return -1
}

func (g *Gateway) countWith(r *http.Request, c route.Candidate, req *ir.Request, client dialect.Name, raw []byte) int {
	var parts [][]byte
	var body []byte
	var err error
	cp := *req
	cp.Model = c.Model
	switch {
	case c.Provider.Entry.Dialect == dialect.Anthropic && client == dialect.Anthropic && raw != nil:
		parts = modelParts(raw, dialect.Anthropic, c.Model)
	case c.Provider.Entry.Dialect == dialect.Anthropic:
		body, err = anthropic.Codec.EncodeRequest(&cp)
	default:
		body, err = gemini.EncodeCountTokensRequest(&cp)
	}
	if err != nil {
		return -1
	}
	call := &provider.Call{Entry: &c.Provider.Entry, Op: provider.OpCountTokens, Model: c.Model, Body: body, BodyParts: parts}
	call.ClientUserAgent = r.UserAgent()
	resp, err := g.send(r.Context(), call, c.Account)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if c.Provider.Entry.Dialect == dialect.Anthropic {
		if v := gjson.GetBytes(b, "input_tokens"); v.Exists() {
			return int(v.Int())
		}
		return -1
	}
	n, err := gemini.DecodeCountTokensResponse(b)
	if err != nil {
		return -1
	}
	return n
}
