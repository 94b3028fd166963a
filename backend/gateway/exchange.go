package gateway

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
	"switchboard/backend/logging"
	"switchboard/backend/provider"
	"switchboard/backend/rawsock"
	"switchboard/backend/reasoning"
	"switchboard/backend/route"
	"switchboard/backend/sse"
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
	plan   *route.Plan
	// decode turns the body into the hub request; until a candidate needs
	// translation, req holds only the model and stream flag (see fullRequest).
	decode  func([]byte) (*ir.Request, error)
	decoded bool
	// valid decodes a body the validation pass checked, walking it with
	// the spans that pass remembered (walker, from walkers; nil once
	// the decode is done or the exchange over).
	valid  dialect.ValidDecoder
	walker *jsonscan.Walker
	flush  http.Flusher
	// committed turns true when the first byte went to the client.
	committed    atomic.Bool
	firstTokenAt time.Time
	// burst is true while pump knows more whole upstream events are
	// already buffered: writers hold the flush until the burst ends.
	burst bool
	// eventEnds: the upstream event being handled is its stream's last
	// (endsStream).
	eventEnds bool
	// hold is the client's connection when it can keep the answer's writes
	// and send them in one system call; nil elsewhere (see holdWrites).
	hold rawsock.Holder
	// skipDecode marks events a committed pass-through stream forwards
	// without decoding (pure content deltas).
	skipDecode func(sse.Event) bool
	// passThroughOK is false for endpoints whose client shape differs from
	// the dialect's main endpoint (legacy completions).
	passThroughOK bool
	marks         bodyMarks // what the validation pass noticed (bodyMarks)
	prevResponse  []byte    // the body's previous_response_id, raw (Responses)
	// lent is body's buffer when it was lent (bodypool.go), else nil.
	lent *lentBody
	// kept is what a stream sent the client, for the log (nil unless body
	// logging is on; see keep).
	kept []byte

	// streamOpts is the client's stream_options (raw JSON, nil if none);
	// hideUsage: the gateway asked the upstream for the usage chunk the
	// client did not ask for (streamusage.go).
	streamOpts []byte
	hideUsage  bool
	// rowExpected: sendNow told the recorder a row is coming (settleRow).
	rowExpected bool
}

// encoder abstracts the client-side writers so legacy completions can
// reuse the pipeline.
type encoder struct {
	response func(*ir.Response) ([]byte, error)
	stream   func(*ir.Request) dialect.StreamEncoder
}

// bodyMarks are what the validation pass noticed in the body's strings,
// so that deciding on a pass-through and on the image check does not
// search the whole body again (three searches of a 660 KB body cost more
// than the rest of a pass-through).
type bodyMarks uint8

const (
	// markSWB: a signature we tagged as another vendor's (swb1:, swb1r:).
	markSWB bodyMarks = 1 << iota
	// markEmptySig: a thinking block another vendor's answer left unsigned
	// ("signature": "", Gemini thought summaries reach Anthropic clients
	// that way): the Anthropic codec drops it, a raw pass-through would not.
	markEmptySig
	// markImage: a short string naming an image (a block type such as
	// image, image_url or input_image, or an image/* MIME type).
	markImage
	// markSigKey: the string just seen was the key "signature".
	markSigKey
)

// swbWord is "swb1" as a little-endian word: note compares a string's
// first four bytes with it in one instruction (it runs for each of an
// agent body's ten thousand strings).
const swbWord = 's' | 'w'<<8 | 'b'<<16 | '1'<<24

// Note looks at one string of the body (as written, escapes kept).
func (m *bodyMarks) Note(s []byte) {
	sig := *m&markSigKey != 0
	*m &^= markSigKey
	switch n := len(s); {
	case n == 0:
		if sig {
			*m |= markEmptySig
		}
	case n >= 4 && binary.LittleEndian.Uint32(s) == swbWord:
		*m |= markSWB
	case n > 32: // a text: nothing else to note
	case n == 9 && string(s) == "signature":
		*m |= markSigKey
	case hasImageWord(s):
		*m |= markImage
	}
}

// State and SetState let a scan that resumes after a prefix it has seen
// before (jsonscan.Prefixes) start from the marks that prefix left.
func (m *bodyMarks) State() uint64     { return uint64(*m) }
func (m *bodyMarks) SetState(s uint64) { *m = bodyMarks(s) }

// hasImageWord is bytes.Contains(s, "image") for the short strings note
// looks at, without a call into the general search for each of an agent
// body's ten thousand keys and values.
func hasImageWord(s []byte) bool {
	for i := 0; i+5 <= len(s); i++ {
		if s[i] == 'i' && s[i+1] == 'm' && s[i+2] == 'a' && s[i+3] == 'g' && s[i+4] == 'e' {
			return true
		}
	}
	return false
}

// errUnfit marks a candidate that cannot serve this request at all.
var errUnfit = errors.New("candidate unfit for this request")

// errBudget cancels an attempt when a combo's time budget runs out.
var errBudget = errors.New("combo time budget spent")

// run plans the route and tries candidates until one answers, one fails
// after bytes reached the client, or the plan says stop.
func (x *exchange) run() {
	later := false // the row and the holds go to afterAnswer
	defer func() {
		if !later {
			x.release()
		}
	}()
	if !x.admitKey() {
		return
	}
	plan, err := x.g.routes.Load().Plan(x.g.health, x.req.Model)
	if err != nil {
		x.fail(asIRError(err))
		return
	}
	x.plan = plan
	x.row.Combo = plan.Combo()
	ctx := x.r.Context()
	for {
		c, lease, ok := plan.Next(ctx)
		if !ok {
			break
		}
		t0 := time.Now()
		res := x.attempt(c, t0, plan.Deadline())
		lease.Release()
		switch {
		case res.unfit:
			plan.Skip(c, res.err)
		case res.err == nil:
			plan.Succeeded(c, t0, x.latencySince(t0))
			later = true
			x.afterAnswer()
			return
		case ctx.Err() != nil: // the client left: not the upstream's fault
			plan.Abandoned(c, res.err, t0)
			x.finishRow(499, res.err)
			return
		case x.g.draining.Err() != nil: // shutting down: not the upstream's fault either
			if res.committed { // the stream already ended with the shutdown frame
				x.finishRow(http.StatusServiceUnavailable, res.err)
				return
			}
			x.fail(errShuttingDown())
			return
		case res.committed:
			plan.Failed(c, res.err, t0)
			x.finishRow(res.err.HTTPStatus(), res.err)
			return
		case !plan.Failed(c, res.err, t0):
			x.fail(res.err)
			return
		}
	}
	x.fail(plan.Err())
}

// release ends the exchange's holds: the recorder's wait for its row, the
// validation pass's spans and the lent body.
func (x *exchange) release() {
	x.settleRow()
	x.releaseWalker()
	x.releaseBody()
}

// afterAnswer logs a finished answer once its handler has returned:
// net/http sends the end of a chunked answer only then, so a stream's
// client would otherwise wait for the row (pricing, observers, queueing:
// several microseconds, the most of what runs after the last event); and
// the connection reads the client's next request only then, which a JSON
// answer's client (sent whole by sendNow) may already have sent. The
// recorder is told the row is coming (its Flush waits for it) and shutdown
// waits for it (Gateway.Wait). The route's health is told before
// (plan.Succeeded): the next request routes by it.
func (x *exchange) afterAnswer() {
	x.expectRow()
	if x.g.logBodies.Load() { // the answer's headers are the handler's until it returns
		x.row.Headers = loggedHeaders(x.r.Header, x.w.Header())
	}
	log := func() {
		defer x.release() // the row's Expect is settled even if logging it failed
		defer x.g.survive("logging a finished answer")
		x.finishRow(http.StatusOK, nil)
	}
	if !x.g.goAfter(log) {
		log() // shutting down (Wait began): the row is logged, or counted dropped, here
	}
}

// survive recovers a panic on a goroutine of the gateway's own and logs it:
// work moved off a handler keeps the handler's guard (net/http recovers a
// handler's panic and the process goes on).
func (g *Gateway) survive(what string) {
	if v := recover(); v != nil {
		g.log.Error("gateway: recovered from a panic", "while", what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

// latencySince is what load-aware strategies learn from: time to first
// token when there was one, else the whole exchange.
func (x *exchange) latencySince(t0 time.Time) time.Duration {
	if x.firstTokenAt.After(t0) {
		return x.firstTokenAt.Sub(t0)
	}
	return time.Since(t0)
}

// attempt sends the request to one candidate and, unless it fails before
// anything reached the client, answers the client from it. started is
// when the attempt began (the quota windows order what they learn by it).
func (x *exchange) attempt(c route.Candidate, started, deadline time.Time) (res streamResult) {
	up := codecFor(c.Provider.Entry.Dialect)
	if up == nil {
		return streamResult{err: ir.Errorf(ir.KindInternal, "no codec for dialect %s", c.Provider.Entry.Dialect)}
	}
	if cp, ok := x.nonChat(c, up); ok { // an images, speech… model (see mediahub.go)
		return x.mediaAttempt(c, cp)
	}
	// Byte pass-through only when nothing in the history needs translating:
	// signatures we tagged as another vendor's (swb1:) must be unwrapped by
	// the codec, never sent raw, and unsigned thinking must be dropped.
	passThrough := x.passThroughOK && up.Name() == x.client.Name() && x.marks&markSWB == 0 &&
		!(up.Name() == dialect.Anthropic && x.marks&markEmptySig != 0)
	if x.textOnly(c) {
		return streamResult{unfit: true, err: &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest,
			Provider: c.Provider.Entry.ID, Message: "model " + c.Model + " of " + c.Provider.Entry.ID +
				" does not read images (catalog: no vision); route image requests to a vision model"}}
	}
	parts, hdr, hold, err := x.upstreamBody(up, c, passThrough)
	if hold != nil && hold != x.lent { // the encoding's: the transport holds what it still sends
		defer hold.Release()
	}
	if err != nil {
		return streamResult{err: asIRError(err), unfit: errors.Is(err, errUnfit)}
	}
	ctx, cancel := context.WithCancelCause(x.r.Context())
	defer cancel(nil)
	stopDrain := context.AfterFunc(x.g.draining, func() { cancel(errDraining) })
	defer stopDrain()
	if !deadline.IsZero() { // a combo's budget bounds the wait for the first byte
		t := time.AfterFunc(time.Until(deadline), func() {
			if !x.committed.Load() {
				cancel(errBudget)
			}
		})
		defer t.Stop()
	}
	defer func() {
		switch {
		case res.err == nil || res.committed:
		case context.Cause(ctx) == errBudget:
			res.err = &ir.Error{Kind: ir.KindTimeout, Status: http.StatusGatewayTimeout, Message: "the combo's time budget ran out before an answer"}
		case context.Cause(ctx) == errDraining:
			res.err = errShuttingDown() // however the cut surfaced (canceled call, broken body)
		}
	}()
	call := &provider.Call{Entry: &c.Provider.Entry, Op: provider.OpGenerate, Model: c.Model,
		Stream: x.req.Stream, BodyParts: parts, Header: hdr, HeadWatched: true} // x.idle bounds the wait for the head
	call.ClientUserAgent = x.r.UserAgent()
	if hold != nil { // the transport holds lent parts until it is done with them
		call.BodyHold = hold
	}
	x.row.Provider, x.row.UpstreamModel, x.row.UpstreamDialect = c.Provider.Entry.ID, c.Model, string(up.Name())
	if c.Account != nil {
		x.row.Account = c.Account.Name
	}
	x.row.Attempts++
	x.idle = newIdleWatch(x.g.client.HeaderTimeout(), x.g.idleTimeout, cancel)
	defer x.idle.stop()
	resp, serr := x.g.send(ctx, call, c.Account)
	if serr != nil {
		return streamResult{err: asIRError(serr)}
	}
	defer resp.Body.Close()
	x.idle.answer()
	x.g.health.ObserveAnswer(c, resp.Header, started) // rate-limit headers: the account's quota windows
	sse := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	routeHead(x.w.Header(), c)
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

// upstreamBody encodes the request for the candidate, in pieces sent one
// after the other: the client's bytes around the renamed model when
// dialects match (see modelParts: x.body is never copied nor changed),
// else the body encoded via the hub. hold, when not nil, is the lent
// buffer the pieces are in (bodypool.go): x.lent, which the exchange
// holds, or the encoding's, held once for the caller, who releases it
// once the request is sent.
func (x *exchange) upstreamBody(up dialect.Codec, c route.Candidate, passThrough bool) (parts [][]byte, hdr http.Header, hold *lentBody, err error) {
	if up.Name() == dialect.Anthropic && x.client.Name() == dialect.Anthropic {
		hdr = http.Header{}
		for _, k := range []string{"Anthropic-Beta", "Anthropic-Version"} {
			if v := x.r.Header.Values(k); len(v) > 0 {
				hdr[k] = v
			}
		}
	}
	if c.Provider.Entry.Quirks == provider.QuirksCodex {
		hdr = codexSessionHeaders(x.r.Header)
		// The Codex backend keeps nothing (store:false): a continuation
		// cannot be resumed there, and dropping the id would answer without
		// the earlier turns.
		if gjson.ParseBytes(x.prevResponse).String() != "" {
			return nil, nil, nil, &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest, Provider: c.Provider.Entry.ID,
				Message: "previous_response_id cannot be resumed through a ChatGPT (Codex) sign-in, which stores nothing; send the whole conversation as input (store:false) instead",
				Cause:   errUnfit}
		}
	}
	if passThrough {
		parts = modelParts(x.body, up.Name(), c.Model)
		if rejectsSampling(c) {
			parts = [][]byte{dropSampling(bytes.Join(parts, nil))}
		}
		return x.askStreamUsage(up.Name(), parts), hdr, x.lent, nil
	}
	full, err := x.fullRequest()
	if err != nil {
		return nil, nil, nil, err
	}
	if full.PreviousResponseID != "" && up.Name() != dialect.Responses {
		// Only the Responses API that stored the earlier answer can continue
		// it; this candidate is skipped (the plan moves on) with a reason
		// the client can act on if none can.
		return nil, nil, nil, &ir.Error{Kind: ir.KindModelNotSupported, Status: http.StatusBadRequest, Provider: c.Provider.Entry.ID,
			Message: "previous_response_id can only be resumed by an OpenAI Responses upstream, and this route reaches " +
				string(up.Name()) + "; send the whole conversation as input (store:false) instead", Cause: errUnfit}
	}
	req := *full
	req.Model = c.Model
	// Signed reasoning this upstream issued and the client could not carry
	// goes back where the vendor expects it.
	req.Messages, _ = x.g.memo.Restore(x.r.Context(), x.row.KeyName, c.Provider.Entry.ID,
		reasoning.OriginOf(string(up.Name())), req.Messages)
	// The encoding goes into a lent buffer when it is agent-sized, else into
	// one of the size the encoder would have allocated (sized once).
	hint := req.SizeHint()
	if hold = x.g.bodies.shelf.lend(int64(hint)); hold != nil {
		req.Scratch = hold.buf
	} else {
		req.Scratch = make([]byte, 0, hint)
	}
	body, err := encodeFor(up, &req, c)
	if hold != nil && (err != nil || !inside(body, hold.buf)) {
		hold.Release() // the encoder outgrew it (or failed): nothing points into it
		hold = nil
	}
	return [][]byte{body}, hdr, hold, err
}

// inside reports whether b's bytes lie in buf's memory.
func inside(b, buf []byte) bool {
	if cap(b) == 0 || cap(buf) == 0 {
		return false
	}
	p, start := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return p >= start && p < start+uintptr(cap(buf))
}

// textOnly reports a request with images headed for a model the catalog
// knows cannot read them: the plan moves on to one that can instead of
// sending a request the upstream refuses (or silently answers blind).
// Models the catalog does not list (custom, discovered) are not judged.
func (x *exchange) textOnly(c route.Candidate) bool {
	m, ok := c.Provider.Entry.Model(c.Model)
	if !ok || m.Vision || m.Embedding || x.marks&markImage == 0 {
		return false // the mark keeps text-only traffic from decoding here
	}
	full, err := x.fullRequest()
	return err == nil && hasImages(full.Messages)
}

// hasImages reports an image anywhere in the conversation, tool results
// included.
func hasImages(msgs []ir.Message) bool {
	var in func([]ir.Block) bool
	in = func(bs []ir.Block) bool {
		for i := range bs {
			if bs[i].Type == ir.BlockImage || in(bs[i].Content) {
				return true
			}
		}
		return false
	}
	for i := range msgs {
		if in(msgs[i].Content) {
			return true
		}
	}
	return false
}

// codexSessionHeaders forwards the client's session id, which the Codex
// backend uses to keep a conversation on one cache.
func codexSessionHeaders(in http.Header) http.Header {
	var hdr http.Header
	for _, k := range []string{"Session_id", "Session-Id"} {
		if v := in.Values(k); len(v) > 0 {
			if hdr == nil {
				hdr = http.Header{}
			}
			hdr[k] = v
		}
	}
	return hdr
}

// remember keeps what the client's dialect cannot carry of an answer's
// signed reasoning, for the next turn of its tool loop (see reasoning).
func (x *exchange) remember(up dialect.Codec, c route.Candidate, content []ir.Block) {
	if up.Name() == x.client.Name() {
		return // the client carries its own dialect's signatures
	}
	x.g.memo.Remember(x.row.KeyName, c.Provider.Entry.ID, reasoning.OriginOf(string(up.Name())), content)
}

// fullRequest decodes the client's body into the hub request once. The
// model and stream flag already known (Gemini takes them from the URL)
// are kept.
func (x *exchange) fullRequest() (*ir.Request, error) {
	if x.decoded {
		return x.req, nil
	}
	var r *ir.Request
	var err error
	if x.lent != nil {
		x.lent.keep.Store(true) // the hub request's strings point into the body
	}
	if x.valid != nil {
		r, err = x.valid.DecodeValidRequest(x.body, x.walker)
		x.releaseWalker()
	} else {
		r, err = x.decode(x.body)
	}
	if err != nil {
		return nil, err
	}
	if x.req != nil {
		if x.req.Model != "" {
			r.Model = x.req.Model
		}
		r.Stream = x.req.Stream || r.Stream
	}
	x.req, x.decoded = r, true
	return r, nil
}

// streamEncoder creates the client's stream encoder from the full request.
func (x *exchange) streamEncoder() dialect.StreamEncoder {
	if r, err := x.fullRequest(); err == nil {
		return x.enc.stream(r)
	}
	return x.enc.stream(x.req)
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
	// No 499 override when e is nil: a client that closes the connection
	// right after the terminal frame got a complete answer (a stream the
	// client left early ends in a KindCanceled error, see pump).
	x.row.Status = status
	x.row.LatencyMS = time.Since(x.start).Milliseconds()
	x.row.ReqID, x.row.Tool = newReqID(), usage.ToolOf(x.r.Header)
	if e != nil {
		x.row.ErrorKind = e.Kind.String()
		x.row.ErrorMessage = logging.Scrub(e.Message)
	}
	if x.plan != nil {
		x.row.Route = route.NotesJSON(x.plan.Notes)
	}
	if x.g.logBodies.Load() {
		x.row.RequestBody = truncate(logging.Scrub(string(x.body)), maxLoggedBody)
		if x.row.ResponseBody == "" && len(x.kept) > 0 {
			x.row.ResponseBody = keptBody(x.kept)
		}
		if x.row.Headers == "" {
			x.row.Headers = loggedHeaders(x.r.Header, x.w.Header())
		}
	}
	x.g.record(&x.row)
	x.settleRow()
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
	x.row.TokensCacheWrite = u.CacheCreationTokens
}

func asIRError(err error) *ir.Error {
	if e, ok := err.(*ir.Error); ok {
		return e
	}
	return &ir.Error{Kind: ir.KindInternal, Message: "internal error", Cause: err}
}

// walkers keeps the span tables of the validation pass between requests:
// an agent's body needs one of ~5,000 spans (80 KB), which a pass-through
// never reads.
var walkers = sync.Pool{New: func() any { return new(jsonscan.Walker) }}

// maxPooledSpans bounds what the pool keeps: a rare huge body's table is
// left to the collector.
const maxPooledSpans = 1 << 20

// releaseBody ends the exchange's hold on a lent body (bodypool.go).
func (x *exchange) releaseBody() {
	if x.lent != nil {
		x.lent.Release()
		x.lent = nil
	}
}

func (x *exchange) releaseWalker() {
	if x.walker == nil {
		return
	}
	if x.walker.Release() <= maxPooledSpans {
		walkers.Put(x.walker)
	}
	x.walker = nil
}
