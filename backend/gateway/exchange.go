package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/logging"
	"switchboard/backend/provider"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// exchange is one client request on its way through the gateway.
type exchange struct {
	g      *Gateway
	w      http.ResponseWriter
	r      *http.Request
	client dialect.Codec // the client's dialect
	enc    encoder       // how the client's answer is written
	body   []byte        // the client's raw body
	req    *ir.Request
	row    usage.Row
	start  time.Time
	idle   *idleWatch
	tried  []attemptNote
	flush  http.Flusher
	// passThroughOK is false for endpoints whose client shape differs from
	// the dialect's main endpoint (legacy completions).
	passThroughOK bool
}

// encoder abstracts the client-side writers so legacy completions can
// reuse the pipeline.
type encoder struct {
	response func(*ir.Response) ([]byte, error)
	stream   func(*ir.Request) dialect.StreamEncoder
}

// attemptNote is one routing step, kept for the request log.
type attemptNote struct {
	Target string `json:"target"`
	Result string `json:"result"` // ok | error kind | skipped reason
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

var swbTag = []byte("swb1")

// run routes the decoded request and answers the client.
func (x *exchange) run() {
	snap := x.g.routes.Load()
	cands, err := snap.Resolve(x.req.Model)
	if err != nil {
		x.fail(asIRError(err))
		return
	}
	var last *ir.Error
	skip := map[string]bool{} // provider/model pairs a NextTarget decision ruled out
	for _, c := range cands {
		key := c.Provider.Entry.ID + "\x00" + c.Model
		if skip[key] {
			x.tried = append(x.tried, attemptNote{Target: c.Label(), Result: "skipped: target failed"})
			continue
		}
		res := x.attempt(c)
		if res.err == nil {
			x.tried = append(x.tried, attemptNote{Target: c.Label(), Result: "ok"})
			x.finishRow(http.StatusOK, nil)
			return
		}
		x.note(c, res.err)
		last = res.err
		if res.committed || x.r.Context().Err() != nil {
			x.finishRow(res.err.HTTPStatus(), res.err)
			return
		}
		switch route.Decide(res.err) {
		case route.Stop:
			x.fail(res.err)
			return
		case route.NextTarget:
			skip[key] = true
		}
	}
	x.fail(last)
}

func (x *exchange) note(c route.Candidate, e *ir.Error) {
	x.tried = append(x.tried, attemptNote{Target: c.Label(), Result: e.Kind.String(), Status: e.HTTPStatus(),
		Error: logging.Scrub(e.Message)})
}

// attempt sends the request to one candidate and, unless it fails before
// anything reached the client, answers the client from it.
func (x *exchange) attempt(c route.Candidate) streamResult {
	up := codecFor(c.Provider.Entry.Dialect)
	if up == nil {
		return streamResult{err: ir.Errorf(ir.KindInternal, "no codec for dialect %s", c.Provider.Entry.Dialect)}
	}
	// Byte pass-through only when nothing in the history needs translating:
	// signatures we tagged as another vendor's (swb1:) must be unwrapped by
	// the codec, never sent raw.
	passThrough := x.passThroughOK && up.Name() == x.client.Name() && !bytes.Contains(x.body, swbTag)
	body, hdr, err := x.upstreamBody(up, c, passThrough)
	if err != nil {
		return streamResult{err: asIRError(err)}
	}
	ctx, cancel := context.WithCancelCause(x.r.Context())
	defer cancel(nil)
	stopDrain := context.AfterFunc(x.g.draining, func() { cancel(errDraining) })
	defer stopDrain()
	call := &provider.Call{Entry: &c.Provider.Entry, Op: provider.OpGenerate, Model: c.Model,
		Stream: x.req.Stream, Body: body, Header: hdr}
	if c.Account != nil {
		call.APIKey = c.Account.APIKey
	}
	x.row.Provider, x.row.UpstreamModel, x.row.UpstreamDialect = c.Provider.Entry.ID, c.Model, string(up.Name())
	if c.Account != nil {
		x.row.Account = c.Account.Name
	}
	x.row.Attempts = len(x.tried) + 1
	resp, serr := x.g.client.Send(ctx, call)
	if serr != nil {
		return streamResult{err: asIRError(serr)}
	}
	defer resp.Body.Close()
	x.idle = newIdleWatch(x.g.idleTimeout, cancel)
	defer x.idle.stop()
	sse := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	x.w.Header().Set("X-Switchboard-Route", c.Provider.Entry.ID+"/"+c.Model)
	switch {
	case x.req.Stream && sse && passThrough:
		return x.streamPassThrough(ctx, resp, up)
	case x.req.Stream && sse:
		return x.streamTranslate(ctx, resp, up, c)
	case x.req.Stream:
		return x.jsonToStream(resp, up, c)
	case sse:
		return x.streamToJSON(ctx, resp, up, c)
	case passThrough:
		return x.jsonPassThrough(resp, up)
	default:
		return x.jsonTranslate(resp, up, c)
	}
}

// upstreamBody encodes the request for the candidate: the client's bytes
// with only the model rewritten when dialects match, else via the hub.
func (x *exchange) upstreamBody(up dialect.Codec, c route.Candidate, passThrough bool) ([]byte, http.Header, error) {
	var hdr http.Header
	if up.Name() == dialect.Anthropic && x.client.Name() == dialect.Anthropic {
		hdr = http.Header{}
		for _, k := range []string{"Anthropic-Beta", "Anthropic-Version"} {
			if v := x.r.Header.Values(k); len(v) > 0 {
				hdr[k] = v
			}
		}
	}
	if passThrough {
		return rewriteModel(x.body, up.Name(), c.Model), hdr, nil
	}
	req := *x.req
	req.Model = c.Model
	body, err := encodeFor(up, &req, c)
	return body, hdr, err
}

// fail answers the client with e (nothing was sent yet) and logs the row.
func (x *exchange) fail(e *ir.Error) {
	if e == nil {
		e = ir.Errorf(ir.KindUnavailable, "no upstream could serve this request")
	}
	if e.Kind == ir.KindAuth && e.Provider != "" {
		// An upstream rejected its key. Passing 401/403 through would make
		// the client believe its own Switchboard key is wrong (Claude Code
		// would ask the user to log in again).
		cp := *e
		cp.Status = http.StatusBadGateway
		cp.Message = "upstream " + e.Provider + " rejected its credentials: " + e.Message
		e = &cp
	}
	writeError(x.w, x.client.Name(), e)
	x.finishRow(e.HTTPStatus(), e)
}

// finishRow completes and queues the request log row.
func (x *exchange) finishRow(status int, e *ir.Error) {
	if x.r.Context().Err() != nil && e == nil {
		status = 499
	}
	x.row.Status = status
	x.row.LatencyMS = time.Since(x.start).Milliseconds()
	if e != nil {
		x.row.ErrorKind = e.Kind.String()
		x.row.ErrorMessage = logging.Scrub(e.Message)
	}
	if len(x.tried) > 0 {
		b, _ := json.Marshal(x.tried)
		x.row.Route = string(b)
	}
	if x.g.logBodies.Load() {
		x.row.RequestBody = truncate(logging.Scrub(string(x.body)), maxLoggedBody)
	}
	x.g.record(&x.row)
}

const maxLoggedBody = 64 << 10

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…[truncated]"
}

func (x *exchange) addUsage(u *ir.Usage) {
	if u == nil {
		return
	}
	x.row.TokensIn, x.row.TokensOut = u.InputTokens, u.OutputTokens
	x.row.TokensCached, x.row.TokensReasoning = u.CachedTokens, u.ReasoningTokens
}

func asIRError(err error) *ir.Error {
	if e, ok := err.(*ir.Error); ok {
		return e
	}
	return &ir.Error{Kind: ir.KindInternal, Message: "internal error", Cause: err}
}
