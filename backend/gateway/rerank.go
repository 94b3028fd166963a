package gateway

import (
	"context"
	"net/http"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/media"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// defaultModerationModel is what a moderation request without a model
// routes to (OpenAI's default).
const defaultModerationModel = "omni-moderation-latest"

// moderations serves POST /v1/moderations (OpenAI-style upstreams, the
// body passed on with the model renamed).
func (g *Gateway) moderations(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, dialect.OpenAIChat)
	if !ok {
		return
	}
	j := g.newMediaJob(r, provider.CapModeration, defaultModerationModel)
	if m := gjson.GetBytes(body, "model"); m.Exists() {
		model, e := bodyModel(body)
		if e != nil {
			g.mediaFail(w, j, e)
			return
		}
		j.model, j.row.RequestedModel = model, model
	}
	if !gjson.ValidBytes(body) || !gjson.GetBytes(body, "input").Exists() {
		g.mediaFail(w, j, ir.Errorf(ir.KindBadRequest, "input is required (a string, an array of strings, or multimodal parts)"))
		return
	}
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: provider.OpModerate, BodyParts: modelParts(body, dialect.OpenAIChat, c.Model)})
		if e != nil {
			return nil, e
		}
		b, e := readAnswer(resp, c)
		if e != nil {
			return nil, e
		}
		return &mediaAnswer{contentType: "application/json", body: b, units: float64(media.ModerationInputs(b))}, nil
	}
	g.runMedia(w, r, j)
}

// rerank serves POST /v1/rerank in the Cohere / Jina shape, whatever the
// upstream speaks (Cohere v2, Jina, Voyage, or a custom provider's
// Jina-shaped /rerank).
func (g *Gateway) rerank(w http.ResponseWriter, r *http.Request) {
	j, _, req, ok := jsonMediaJob(g, w, r, provider.CapRerank, media.ParseRerankRequest)
	if !ok {
		return
	}
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		shape := c.Provider.Entry.Rerank
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: provider.OpRerank, Body: media.EncodeRerank(shape, req, c.Model)})
		if e != nil {
			return nil, e
		}
		b, e := readAnswer(resp, c)
		if e != nil {
			return nil, e
		}
		a, err := media.DecodeRerank(shape, b)
		if err != nil {
			ie := asIRError(err)
			ie.Provider = c.Provider.Entry.ID
			return nil, ie
		}
		m, _ := c.Provider.Entry.Model(c.Model)
		return &mediaAnswer{contentType: "application/json", body: media.EncodeRerankAnswer(req, a, j.model),
			units: a.Units(m.UnitFor(provider.CapRerank)), usage: ir.Usage{InputTokens: a.Tokens}}, nil
	}
	g.runMedia(w, r, j)
}
