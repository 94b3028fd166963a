package gateway

import (
	"context"
	"net/http"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/ir"
	"switchboard/backend/media"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// maxInlineImage bounds an image sent inline to Gemini (its request limit
// is 20 MB in all).
const maxInlineImage = 20 << 20

// imagesGenerations serves POST /v1/images/generations: OpenAI-style
// upstreams get the client's body with the model renamed; Gemini image
// models are asked through generateContent (image output) and answered in
// OpenAI's shape.
func (g *Gateway) imagesGenerations(w http.ResponseWriter, r *http.Request) {
	j, body, req, ok := jsonMediaJob(g, w, r, provider.CapImage, media.ParseImageRequest)
	if !ok {
		return
	}
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		if c.Provider.Entry.Dialect == dialect.Gemini {
			return g.geminiImages(ctx, r, c, req, nil)
		}
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: provider.OpImage, BodyParts: modelParts(body, dialect.OpenAIChat, c.Model)})
		if e != nil {
			return nil, e
		}
		return imagesAnswer(resp, c)
	}
	g.runMedia(w, r, j)
}

// imagesEdits serves POST /v1/images/edits (multipart): OpenAI-style
// upstreams get the upload again with the model renamed, streamed from its
// spool; Gemini gets the images inline with the prompt.
func (g *Gateway) imagesEdits(w http.ResponseWriter, r *http.Request) {
	f, ok := g.readUpload(w, r)
	if !ok {
		return
	}
	defer f.Close()
	j := g.newMediaJob(r, provider.CapImage, f.Value("model"))
	if e := checkModelName(j.model); e != nil {
		g.mediaFail(w, j, e)
		return
	}
	req, err := media.ImageRequestFromForm(f)
	if err != nil {
		g.mediaFail(w, j, asIRError(err))
		return
	}
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		if c.Provider.Entry.Dialect == dialect.Gemini {
			if len(f.FilesNamed("mask")) > 0 {
				return nil, unfit(c, "Gemini image models take no mask; route masked edits to an OpenAI image model")
			}
			var images []ir.Block
			for _, file := range f.FilesNamed("image", "image[]") {
				b, err := file.Data.Bytes(maxInlineImage)
				if err != nil {
					return nil, unfit(c, err.Error())
				}
				images = append(images, media.InlineImage(b, file.ContentType))
			}
			return g.geminiImages(ctx, r, c, req, images)
		}
		enc, err := f.Encode(map[string]string{"model": c.Model})
		if err != nil {
			return nil, asIRError(err)
		}
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: provider.OpImageEdit, Upload: enc.Open, ContentType: enc.ContentType})
		if e != nil {
			return nil, e
		}
		return imagesAnswer(resp, c)
	}
	g.runMedia(w, r, j)
}

// imagesAnswer passes an OpenAI-style images answer on, counting its
// images (a streamed one, SSE partial images, goes out as it comes).
func imagesAnswer(resp *http.Response, c route.Candidate) (*mediaAnswer, *ir.Error) {
	if isEventStream(resp) {
		return &mediaAnswer{contentType: resp.Header.Get("Content-Type"), stream: resp.Body, units: 1}, nil
	}
	b, e := readAnswer(resp, c)
	if e != nil {
		return nil, e
	}
	n, u := media.CountImages(b)
	return &mediaAnswer{contentType: "application/json", body: b, units: float64(n), usage: u}, nil
}

// geminiImages asks a Gemini image model for req.N images, one request
// each (Gemini draws one image per request).
func (g *Gateway) geminiImages(ctx context.Context, r *http.Request, c route.Candidate, req *media.ImageRequest, inputs []ir.Block) (*mediaAnswer, *ir.Error) {
	body, err := gemini.Codec.EncodeRequest(req.GeminiImageRequest(c.Model, inputs))
	if err != nil {
		return nil, asIRError(err)
	}
	var images []ir.Block
	var u ir.Usage
	for range req.N {
		out, e := g.geminiGenerate(ctx, r, c, provider.OpImage, body)
		if e != nil {
			return nil, e
		}
		imgs := media.ImageBlocks(out)
		if len(imgs) == 0 {
			return nil, noOutput(c, out, "image")
		}
		images = append(images, imgs[0])
		u.InputTokens += out.Usage.InputTokens
		u.OutputTokens += out.Usage.OutputTokens
	}
	return &mediaAnswer{contentType: "application/json", body: media.ImagesAnswer(time.Now().Unix(), images, req.ResponseFormat, u),
		units: float64(len(images)), usage: u}, nil
}

// geminiGenerate sends one generateContent request and reads its answer.
func (g *Gateway) geminiGenerate(ctx context.Context, r *http.Request, c route.Candidate, op provider.Op, body []byte) (*ir.Response, *ir.Error) {
	resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: op, Body: body})
	if e != nil {
		return nil, e
	}
	b, e := readAnswer(resp, c)
	if e != nil {
		return nil, e
	}
	out, err := gemini.Codec.DecodeResponse(b)
	if err != nil {
		return nil, &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Provider: c.Provider.Entry.ID,
			Message: "unreadable answer from " + c.Provider.Entry.ID}
	}
	return out, nil
}

// noOutput explains an answer without the image or audio asked for: a
// refusal (safety) is the prompt's fault and is not retried elsewhere.
func noOutput(c route.Candidate, out *ir.Response, what string) *ir.Error {
	if out.StopReason == ir.StopContentFilter || out.StopReason == ir.StopRefusal {
		return &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusBadRequest, Provider: c.Provider.Entry.ID,
			Message: c.Provider.Entry.ID + " refused to make this " + what + " (safety filter)"}
	}
	return &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Provider: c.Provider.Entry.ID,
		Message: c.Provider.Entry.ID + " answered with no " + what}
}
