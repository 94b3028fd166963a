package gateway

import (
	"net/http"
	"slices"
	"unicode/utf8"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/ir"
	"switchboard/backend/media"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/sse"
)

// mediaEndpoints tell a client that sent a media model to a chat endpoint
// where that model is served.
var mediaEndpoints = map[provider.Capability]string{
	provider.CapEmbedding: "POST /v1/embeddings", provider.CapImage: "POST /v1/images/generations",
	provider.CapSpeech: "POST /v1/audio/speech", provider.CapTranscription: "POST /v1/audio/transcriptions",
	provider.CapModeration: "POST /v1/moderations", provider.CapRerank: "POST /v1/rerank",
}

// nonChat reports a candidate whose model the catalog (or the operator)
// says does not chat, with what it serves instead. A Gemini client asking
// a Gemini image or speech model speaks that model's own API: not judged.
func (x *exchange) nonChat(c route.Candidate, up dialect.Codec) (provider.Capability, bool) {
	e := &c.Provider.Entry
	m, ok := e.Model(c.Model)
	if !ok || !m.Judged(*e) {
		return "", false
	}
	caps := e.Caps(m)
	if slices.Contains(caps, provider.CapChat) || len(caps) == 0 {
		return "", false
	}
	if up.Name() == dialect.Gemini && x.client.Name() == dialect.Gemini {
		return "", false
	}
	return caps[0], true
}

// mediaAttempt serves a generation request with a media model: a Gemini
// client's image or speech request goes through the hub to the model's
// own endpoint; anything else is refused with where the model is served.
func (x *exchange) mediaAttempt(c route.Candidate, cp provider.Capability) streamResult {
	if x.client.Name() == dialect.Gemini && (cp == provider.CapImage || cp == provider.CapSpeech) {
		return x.hubMedia(c, cp)
	}
	return streamResult{unfit: true, err: &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest,
		Provider: c.Provider.Entry.ID, Message: "model " + c.Model + " of " + c.Provider.Entry.ID + " serves " + string(cp) +
			", not chat: send it to " + mediaEndpoints[cp]}}
}

// hubMedia answers a Gemini client's generateContent asking for an image
// (responseModalities IMAGE) or speech (AUDIO) from an OpenAI-style
// images or speech model: the request goes through the hub to that
// endpoint, the image or audio comes back as an inlineData part.
func (x *exchange) hubMedia(c route.Candidate, cp provider.Capability) streamResult {
	full, err := x.fullRequest()
	if err != nil {
		return streamResult{err: asIRError(err)}
	}
	op, body := provider.OpSpeech, []byte(nil)
	switch {
	case cp == provider.CapImage && media.HasInputImages(full):
		return streamResult{unfit: true, err: &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest,
			Provider: c.Provider.Entry.ID, Message: "image edits from a Gemini client reach Gemini image models only"}}
	case cp == provider.CapImage:
		op = provider.OpImage
		body, err = media.OpenAIImageRequest(full, c.Model)
	default:
		body, err = media.OpenAISpeechRequest(full, c.Model)
	}
	if err != nil {
		return streamResult{err: asIRError(err)}
	}
	x.row.Provider, x.row.UpstreamModel, x.row.UpstreamDialect = c.Provider.Entry.ID, c.Model, string(c.Provider.Entry.Dialect)
	if c.Account != nil {
		x.row.Account = c.Account.Name
	}
	x.row.Attempts++
	resp, e := x.g.mediaSend(x.r.Context(), x.r, c, &provider.Call{Op: op, Body: body})
	if e != nil {
		return streamResult{err: e}
	}
	b, e := readAnswer(resp, c)
	if e != nil {
		return streamResult{err: e}
	}
	var out *ir.Response
	var units float64
	if cp == provider.CapImage {
		if out, err = media.ImagesToResponse(b, x.req.Model); err != nil {
			e := asIRError(err)
			e.Provider = c.Provider.Entry.ID
			return streamResult{err: e}
		}
		units = float64(len(out.Content))
		x.addUsage(&out.Usage)
	} else {
		out = media.SpeechToResponse(b, x.req.Model)
		units = float64(utf8.RuneCountInString(media.SpeechText(full)))
	}
	m, _ := c.Provider.Entry.Model(c.Model)
	x.row.Units, x.row.UnitKind, x.row.UnitsCostUSD = units, string(m.UnitFor(cp)), units*m.UnitPrice
	enc, err := gemini.Codec.EncodeResponse(out)
	if err != nil {
		return streamResult{err: asIRError(err)}
	}
	routeHead(x.w.Header(), c)
	if x.req.Stream { // one chunk holds the whole answer
		streamHead(x.w.Header())
		enc = sse.AppendData(nil, enc)
	} else {
		jsonHead(x.w.Header(), len(enc))
	}
	x.committed.Store(true)
	_, _ = x.w.Write(enc)
	return streamResult{committed: true}
}
