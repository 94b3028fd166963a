package gateway

import (
	"io"
	"net/http"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// embeddings serves POST /v1/embeddings (float or base64) from any
// embedding-capable upstream, aliases included.
func (g *Gateway) embeddings(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, dialect.OpenAIChat)
	if !ok {
		return
	}
	if _, e := bodyModel(body); e != nil {
		writeError(w, dialect.OpenAIChat, e)
		return
	}
	req, err := openai.DecodeEmbedRequest(body)
	if err != nil {
		writeError(w, dialect.OpenAIChat, asIRError(err))
		return
	}
	g.embed(w, r, dialect.OpenAIChat, req, func(resp *ir.EmbedResponse) ([]byte, error) {
		return openai.EncodeEmbedResponse(resp, req.EncodingFormat)
	})
}

// embedGemini serves :embedContent and :batchEmbedContents.
func (g *Gateway) embedGemini(w http.ResponseWriter, r *http.Request, model string, batch bool) {
	body, ok := readBody(w, r, dialect.Gemini)
	if !ok {
		return
	}
	decode, encode := gemini.DecodeEmbedContent, gemini.EncodeEmbedContentResponse
	if batch {
		decode, encode = gemini.DecodeBatchEmbedContents, gemini.EncodeBatchEmbedContentsResponse
	}
	req, err := decode(body)
	if err != nil {
		writeError(w, dialect.Gemini, asIRError(err))
		return
	}
	req.Model = model
	g.embed(w, r, dialect.Gemini, req, func(resp *ir.EmbedResponse) ([]byte, error) { return encode(resp), nil })
}

// embed routes an embedding request with the same fallback rules as chat.
func (g *Gateway) embed(w http.ResponseWriter, r *http.Request, client dialect.Name, req *ir.EmbedRequest,
	encode func(*ir.EmbedResponse) ([]byte, error)) {
	start := time.Now()
	row := &usage.Row{ReqID: newReqID(), TS: start.UnixMilli(), KeyName: keyName(r.Context()), ClientDialect: string(client),
		Endpoint: r.URL.Path, RequestedModel: req.Model, Tool: usage.ToolOf(r.Header)}
	finish := func(status int, e *ir.Error) {
		row.Status, row.LatencyMS = status, time.Since(start).Milliseconds()
		if e != nil {
			row.ErrorKind, row.ErrorMessage = e.Kind.String(), e.Message
		}
		g.record(row)
	}
	if e := keyRefusal(w, r, req.Model, start); e != nil {
		writeError(w, client, e)
		finish(e.HTTPStatus(), e)
		return
	}
	snap := g.routes.Load()
	embedders, err := snap.ResolveEmbedding(req.Model)
	if err != nil {
		e := asIRError(err)
		writeError(w, client, e)
		finish(e.HTTPStatus(), e)
		return
	}
	// The plan walks every target of the model (a combo may mix chat and
	// embedding targets); only those ResolveEmbedding accepted may embed.
	// (Checking the catalog's Embedding flag instead would skip the models
	// an operator declares for a custom provider, which carry no flags.)
	canEmbed := make(map[string]bool, len(embedders))
	for _, c := range embedders {
		canEmbed[c.Provider.Entry.ID+"\x00"+c.Model] = true
	}
	plan, err := snap.Plan(g.health, req.Model)
	if err != nil {
		e := asIRError(err)
		writeError(w, client, e)
		finish(e.HTTPStatus(), e)
		return
	}
	row.Combo = plan.Combo()
	for {
		c, lease, ok := plan.Next(r.Context())
		if !ok {
			break
		}
		if !canEmbed[c.Provider.Entry.ID+"\x00"+c.Model] {
			lease.Release()
			continue
		}
		row.Attempts++
		row.Provider, row.UpstreamModel = c.Provider.Entry.ID, c.Model
		t0 := time.Now()
		resp, e := g.embedOnce(r, c, req)
		lease.Release()
		if e == nil {
			if b, err := encode(resp); err == nil {
				plan.Succeeded(c, t0, time.Since(t0))
				row.TokensIn = resp.Usage.InputTokens
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(b)
				finish(http.StatusOK, nil)
				return
			} else {
				e = asIRError(err)
			}
		}
		if !plan.Failed(c, e, t0) {
			break
		}
	}
	last := plan.Err()
	writeError(w, client, last)
	finish(last.HTTPStatus(), last)
}

func (g *Gateway) embedOnce(r *http.Request, c route.Candidate, req *ir.EmbedRequest) (*ir.EmbedResponse, *ir.Error) {
	cp := *req
	cp.Model = c.Model
	var body []byte
	var err error
	gem := c.Provider.Entry.Dialect == dialect.Gemini
	if gem {
		body, err = gemini.EncodeBatchEmbedRequest(&cp)
	} else {
		body, err = openai.EncodeEmbedRequest(&cp)
	}
	if err != nil {
		return nil, asIRError(err)
	}
	call := &provider.Call{Entry: &c.Provider.Entry, Op: provider.OpEmbed, Model: c.Model, Body: body}
	call.ClientUserAgent = r.UserAgent()
	resp, err := g.send(r.Context(), call, c.Account)
	if err != nil {
		return nil, asIRError(err)
	}
	defer resp.Body.Close()
	g.health.ObserveAnswer(c, resp.Header, time.Time{})
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody))
	if err != nil {
		return nil, &ir.Error{Kind: ir.KindNetwork, Message: "reading the upstream answer failed"}
	}
	var out *ir.EmbedResponse
	if gem {
		out, err = gemini.DecodeBatchEmbedResponse(b)
	} else {
		out, err = openai.DecodeEmbedResponse(b)
	}
	if err != nil {
		return nil, &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Message: "unreadable embeddings answer from " + c.Provider.Entry.ID}
	}
	out.Model = req.Model
	return out, nil
}
