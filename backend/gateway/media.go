package gateway

import (
	"context"
	"errors"
	"io"
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

// A media request (images, speech, transcription, moderation, rerank) is
// routed like chat: the model, alias or combo resolves to the candidates
// serving its capability, and the plan walks them with the same accounts,
// cooldowns, breakers and limits. A candidate that fails before anything
// reached the client falls back to the next; an answer streamed to the
// client (speech, SSE transcripts) is committed with its first byte.

// mediaJob is one media request on its way through the gateway.
type mediaJob struct {
	cap   provider.Capability
	model string
	row   usage.Row
	start time.Time
	// try sends the request to one candidate; nothing reaches the client
	// until it returns an answer. errUnfit as an error's Cause skips the
	// candidate without blaming it.
	try func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error)
}

// mediaAnswer is a candidate's answer, ready for the client.
type mediaAnswer struct {
	contentType string
	body        []byte        // the whole answer, or
	stream      io.ReadCloser // an upstream body copied as it arrives
	units       float64       // billed in the model's unit for the capability
	usage       ir.Usage
}

func (g *Gateway) newMediaJob(r *http.Request, c provider.Capability, model string) *mediaJob {
	start := time.Now()
	return &mediaJob{cap: c, model: model, start: start, row: usage.Row{ReqID: newReqID(), TS: start.UnixMilli(),
		KeyName: keyName(r.Context()), ClientDialect: string(dialect.OpenAIChat), Endpoint: r.URL.Path, RequestedModel: model}}
}

// runMedia routes the job and answers the client.
func (g *Gateway) runMedia(w http.ResponseWriter, r *http.Request, j *mediaJob) {
	if e := keyRefusal(w, r, j.model, j.start); e != nil { // the key's policy, as for chat
		g.mediaFail(w, j, e)
		return
	}
	snap := g.routes.Load()
	cands, err := snap.ResolveFor(j.model, j.cap)
	if err != nil {
		g.mediaFail(w, j, asIRError(err))
		return
	}
	// The plan walks every target of the model (a combo may mix
	// capabilities); only those ResolveFor kept may serve this request.
	fit := make(map[string]bool, len(cands))
	for _, c := range cands {
		fit[c.Provider.Entry.ID+"\x00"+c.Model] = true
	}
	plan, err := snap.Plan(g.health, j.model)
	if err != nil {
		g.mediaFail(w, j, asIRError(err))
		return
	}
	ctx := r.Context()
	for {
		c, lease, ok := plan.Next(ctx)
		if !ok {
			break
		}
		if !fit[c.Provider.Entry.ID+"\x00"+c.Model] {
			lease.Release()
			continue
		}
		j.row.Attempts++
		j.row.Provider, j.row.UpstreamModel, j.row.UpstreamDialect = c.Provider.Entry.ID, c.Model, string(c.Provider.Entry.Dialect)
		if c.Account != nil {
			j.row.Account = c.Account.Name
		}
		t0 := time.Now()
		ans, e := j.try(ctx, c)
		if e == nil {
			routeHead(w.Header(), c)
			werr := g.writeMedia(ctx, w, ans)
			lease.Release()
			plan.Succeeded(c, t0, time.Since(t0))
			j.bill(c, ans)
			g.mediaFinish(j, plan, http.StatusOK, werr)
			return
		}
		lease.Release()
		switch {
		case ctx.Err() != nil:
			g.mediaFinish(j, plan, 499, e)
			return
		case errors.Is(e, errUnfit):
			plan.Skip(c, e)
			continue
		}
		if !plan.Failed(c, e, t0) {
			break
		}
	}
	g.mediaNotes(j, plan)
	g.mediaFail(w, j, plan.Err())
}

// bill puts the answer's units, their cost and its tokens on the row.
func (j *mediaJob) bill(c route.Candidate, ans *mediaAnswer) {
	m, _ := c.Provider.Entry.Model(c.Model)
	j.row.Units, j.row.UnitKind = ans.units, string(m.UnitFor(j.cap))
	j.row.UnitsCostUSD = ans.units * m.UnitPrice
	j.row.TokensIn, j.row.TokensOut = ans.usage.InputTokens, ans.usage.OutputTokens
}

// writeMedia sends the answer; a stream is copied as it arrives (flushed
// per read) and its error, if the upstream breaks off, is returned.
func (g *Gateway) writeMedia(ctx context.Context, w http.ResponseWriter, a *mediaAnswer) *ir.Error {
	if a.contentType != "" {
		w.Header().Set("Content-Type", a.contentType)
	}
	if a.stream == nil {
		_, _ = w.Write(a.body)
		return nil
	}
	defer a.stream.Close()
	flush, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := a.stream.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return &ir.Error{Kind: ir.KindCanceled, Message: "the client left during the answer"}
			}
			if flush != nil {
				flush.Flush()
			}
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil && ctx.Err() != nil:
			return &ir.Error{Kind: ir.KindCanceled, Message: "the client left during the answer"}
		case err != nil:
			return &ir.Error{Kind: ir.KindStreamInterrupted, Message: "the upstream broke off its answer"}
		}
	}
}

// mediaFail answers e (nothing was sent yet) and logs the row.
func (g *Gateway) mediaFail(w http.ResponseWriter, j *mediaJob, e *ir.Error) {
	if e == nil {
		e = ir.Errorf(ir.KindUnavailable, "no upstream could serve this request")
	}
	if e.Kind == ir.KindAuth && e.Provider != "" {
		// An upstream rejected its key: the client's own key is fine.
		cp := *e
		cp.Status = http.StatusBadGateway
		cp.Message = "upstream " + e.Provider + " rejected its credentials: " + e.Message
		e = &cp
	}
	writeError(w, dialect.OpenAIChat, e)
	g.mediaFinish(j, nil, e.HTTPStatus(), e)
}

func (g *Gateway) mediaNotes(j *mediaJob, plan *route.Plan) {
	if plan != nil {
		j.row.Route = route.NotesJSON(plan.Notes)
	}
}

// mediaFinish completes and queues the row.
func (g *Gateway) mediaFinish(j *mediaJob, plan *route.Plan, status int, e *ir.Error) {
	j.row.Status, j.row.LatencyMS = status, time.Since(j.start).Milliseconds()
	if e != nil {
		j.row.ErrorKind, j.row.ErrorMessage = e.Kind.String(), logging.Scrub(e.Message)
	}
	g.mediaNotes(j, plan)
	g.record(&j.row)
}

// mediaSend sends one upstream call for a candidate and hands back the open
// answer (the caller closes it).
func (g *Gateway) mediaSend(ctx context.Context, r *http.Request, c route.Candidate, call *provider.Call) (*http.Response, *ir.Error) {
	call.Entry, call.Model, call.ClientUserAgent = &c.Provider.Entry, c.Model, r.UserAgent()
	t0 := time.Now()
	resp, err := g.send(ctx, call, c.Account)
	if err != nil {
		return nil, asIRError(err)
	}
	g.health.ObserveAnswer(c, resp.Header, t0)
	resp.Body = watchIdle(resp.Body, g.idleTimeout)
	return resp, nil
}

// idleBody closes an upstream body that sends nothing for d, so a stalled
// upstream ends the answer (or the attempt) instead of hanging it.
type idleBody struct {
	io.ReadCloser
	t *time.Timer
	d time.Duration
}

func watchIdle(rc io.ReadCloser, d time.Duration) io.ReadCloser {
	b := &idleBody{ReadCloser: rc, d: d}
	b.t = time.AfterFunc(d, func() { _ = rc.Close() })
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.t.Reset(b.d)
	return n, err
}

func (b *idleBody) Close() error {
	b.t.Stop()
	return b.ReadCloser.Close()
}

// readAnswer reads a whole (non-streamed) upstream answer.
func readAnswer(resp *http.Response, c route.Candidate) ([]byte, *ir.Error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody))
	if err != nil {
		return nil, &ir.Error{Kind: ir.KindNetwork, Provider: c.Provider.Entry.ID, Message: "reading the upstream answer failed"}
	}
	return b, nil
}

// isEventStream reports an SSE answer.
func isEventStream(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
}

// unfit marks e as the candidate's inability (the plan skips it).
func unfit(c route.Candidate, msg string) *ir.Error {
	return &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest, Provider: c.Provider.Entry.ID,
		Message: msg, Cause: errUnfit}
}

// jsonMediaJob opens a media request whose body is JSON with a "model":
// it reads the body, starts the job (its log row) and parses the request
// (the body is returned too: OpenAI-style upstreams get it renamed);
// a bad body is answered here, with the row, and ok is false.
func jsonMediaJob[T any](g *Gateway, w http.ResponseWriter, r *http.Request, c provider.Capability,
	parse func([]byte) (T, error)) (j *mediaJob, body []byte, req T, ok bool) {
	if body, ok = readBody(w, r, dialect.OpenAIChat); !ok {
		return nil, nil, req, false
	}
	model, e := bodyModel(body)
	j = g.newMediaJob(r, c, model)
	if e != nil {
		g.mediaFail(w, j, e)
		return nil, nil, req, false
	}
	req, err := parse(body)
	if err != nil {
		g.mediaFail(w, j, asIRError(err))
		return nil, nil, req, false
	}
	return j, body, req, true
}
