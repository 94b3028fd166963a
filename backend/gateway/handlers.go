package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/keys"
	"switchboard/backend/rawsock"
	"switchboard/backend/usage"
)

type ctxKey int

const keyNameKey ctxKey = 0

func withKeyName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, keyNameKey, name)
}

// withKey carries the verified key (a pointer: no allocation to box it).
func withKey(ctx context.Context, k *keys.Gate) context.Context {
	return context.WithValue(ctx, keyNameKey, k)
}

func keyName(ctx context.Context) string {
	switch v := ctx.Value(keyNameKey).(type) {
	case *keys.Gate:
		return v.Name()
	case string:
		return v
	}
	return ""
}

func keyGate(ctx context.Context) *keys.Gate { k, _ := ctx.Value(keyNameKey).(*keys.Gate); return k }

// admitKey applies the key's policy (models, rates, budgets) before the
// request is routed; a refusal is answered in the client's dialect and
// logged like any failed request.
func (x *exchange) admitKey() bool {
	if e := keyRefusal(x.w, x.r, x.req.Model, x.start); e != nil {
		x.fail(e)
		return false
	}
	return true
}

// keyRefusal checks a request for model against its key's policy (every
// routed endpoint calls it before routing). On refusal it tells SDKs not to
// retry when retrying cannot help (budgets, models) and returns the error
// to answer; nil admits the request. Allocation-free when it admits.
func keyRefusal(w http.ResponseWriter, r *http.Request, model string, at time.Time) *ir.Error {
	k := keyGate(r.Context())
	if k == nil {
		return nil
	}
	e := k.Admit(model, at)
	if e != nil && keys.Final(e) {
		w.Header().Set("X-Should-Retry", "false")
	}
	return e
}

// newExchange reads and decodes a generation request in dialect d.
func (g *Gateway) newExchange(w http.ResponseWriter, r *http.Request, d dialect.Name,
	decode func([]byte) (*ir.Request, error)) (*exchange, bool) {
	start := time.Now()
	codec := codecFor(d)
	body, lent, ok := readBodyInto(w, r, d, &g.bodies.shelf)
	if !ok {
		return nil, false
	}
	x := &exchange{g: g, w: w, r: r, client: codec, body: body, lent: lent, start: start, passThroughOK: true,
		enc: encoder{response: codec.EncodeResponse, stream: codec.NewStreamEncoder}}
	x.flush, _ = w.(http.Flusher)
	x.hold = rawsock.FromContext(r.Context())
	if g.logBodies.Load() {
		x.kept = make([]byte, 0, 1024) // streamed answers are logged too
	}
	// The row's id and tool are set when it is finished (finishRow): not
	// needed before, and a stream finishes after its client has its end.
	x.row = usage.Row{TS: start.UnixMilli(), KeyName: keyName(r.Context()),
		ClientDialect: string(d), Endpoint: r.URL.Path}
	x.decode = decode
	if decode == nil {
		x.decode = codec.DecodeRequest
	}
	// One pass validates the body, finds its model and stream flag, and
	// notes the markers routing looks for (bodyMarks). An agent-sized body
	// resumes after the part it shares with one seen before: the
	// conversation up to its last turn.
	var modelRaw, streamRaw []byte
	x.walker = walkers.Get().(*jsonscan.Walker)
	if x.walker.ScanPrefixed(&g.bodies.prefixes, body, func(k, v []byte) {
		switch {
		case modelRaw == nil && keyIs(k, "model"):
			modelRaw = v
		case streamRaw == nil && keyIs(k, "stream"):
			streamRaw = v
		case x.streamOpts == nil && keyIs(k, "stream_options"):
			x.streamOpts = v
		case x.prevResponse == nil && keyIs(k, "previous_response_id"):
			x.prevResponse = v
		}
	}, &x.marks) {
		var model string
		if d != dialect.Gemini { // Gemini's model is in the URL (geminiAction checks it)
			var e *ir.Error
			if model, e = modelValue(modelRaw); e != nil {
				x.fail(e)
				return nil, false
			}
		}
		if vd, ok := codec.(dialect.ValidDecoder); ok && decode == nil {
			x.valid = vd // the pass above checked it and kept its spans
		}
		if decode == nil {
			// Lazy: pass-through needs only the model and the stream flag;
			// the full decode happens if a candidate needs translation.
			x.req = &ir.Request{Model: model, Stream: rawBool(streamRaw)}
			x.row.RequestedModel, x.row.Stream = x.req.Model, x.req.Stream
			return x, true
		}
	}
	if x.valid == nil {
		x.releaseWalker() // its spans have no reader
	}
	if _, err := x.fullRequest(); err != nil {
		x.fail(asIRError(err))
		return nil, false
	}
	x.row.RequestedModel, x.row.Stream = x.req.Model, x.req.Stream
	return x, true
}

func (g *Gateway) chatCompletions(w http.ResponseWriter, r *http.Request) {
	if x, ok := g.newExchange(w, r, dialect.OpenAIChat, nil); ok {
		x.run()
	}
}

func (g *Gateway) responses(w http.ResponseWriter, r *http.Request) {
	if x, ok := g.newExchange(w, r, dialect.Responses, nil); ok {
		x.run()
	}
}

func (g *Gateway) messages(w http.ResponseWriter, r *http.Request) {
	if x, ok := g.newExchange(w, r, dialect.Anthropic, nil); ok {
		x.run()
	}
}

// completions serves the legacy prompt API through the chat pipeline.
func (g *Gateway) completions(w http.ResponseWriter, r *http.Request) {
	x, ok := g.newExchange(w, r, dialect.OpenAIChat, openai.DecodeCompletionRequest)
	if !ok {
		return
	}
	x.passThroughOK = false
	x.enc = encoder{response: openai.EncodeCompletionResponse, stream: openai.NewCompletionStreamEncoder}
	x.run()
}

// geminiAction serves POST /v1beta/models/{model}:{action}. The model may
// contain '/' (prefix/model), raw or %2F-encoded.
func (g *Gateway) geminiAction(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1beta/models/")
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		writeError(w, dialect.Gemini, ir.Errorf(ir.KindNotFound, "expected /v1beta/models/{model}:{action}, got %s", r.URL.Path))
		return
	}
	model, action := rest[:i], rest[i+1:]
	if e := checkModelName(model); e != nil {
		refuse(w, r, dialect.Gemini, e)
		return
	}
	switch action {
	case "generateContent", "streamGenerateContent":
		x, ok := g.newExchange(w, r, dialect.Gemini, nil)
		if !ok {
			return
		}
		x.req.Model, x.req.Stream = model, action == "streamGenerateContent"
		x.row.RequestedModel, x.row.Stream = model, x.req.Stream
		x.run()
	case "countTokens":
		g.countTokensGemini(w, r, model)
	case "embedContent", "batchEmbedContents":
		g.embedGemini(w, r, model, action == "batchEmbedContents")
	default:
		writeError(w, dialect.Gemini, ir.Errorf(ir.KindNotFound, "unsupported Gemini action %q", action))
	}
}
