package gateway

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/anthropic"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/dialect/openai"
	"switchboard/backend/dialect/responses"
	"switchboard/backend/ir"
	"switchboard/backend/logging"
	"switchboard/backend/reasoning"
	"switchboard/backend/route"
)

// maxUpstreamBody bounds a non-streamed upstream answer.
const maxUpstreamBody = 64 << 20

// streamTranslate decodes the upstream stream into hub events and encodes
// them for the client. Events are held until the first content event, so a
// stream that fails before any content falls back transparently.
func (x *exchange) streamTranslate(ctx context.Context, resp *http.Response, up dialect.Codec, c route.Candidate) streamResult {
	var res streamResult
	var held []ir.Event
	var out []byte
	var enc dialect.StreamEncoder
	var track *reasoning.Tracker
	if reasoning.OriginOf(string(up.Name())) != ir.OriginNone && up.Name() != x.client.Name() {
		track = &reasoning.Tracker{}
	}
	split := thinkSplitter(up, x.client)
	x.pump(ctx, resp.Body, up.NewStreamDecoder(), func(evs []ir.Event, last bool) bool {
		if split != nil {
			evs = split.Process(evs)
		}
		for i := range evs {
			ev := &evs[i]
			x.observe(ev)
			if track != nil {
				track.Observe(ev) // before encoding: it may give a call its id
				if ev.Type == ir.EvMessageStop {
					// Remembered before the end reaches the client, which
					// may send the next turn at once.
					if track.HasCalls() {
						x.remember(up, c, track.Content())
					}
					track = nil
				}
			}
			if ev.Type == ir.EvMessageStart {
				ev.Model = x.req.Model // clients see the model they asked for
			}
			if !res.committed {
				if ev.Type == ir.EvError {
					res.err = withProvider(ev.Err, c)
					return false
				}
				if !isContent(ev.Type) {
					held = append(held, cloneEvent(ev))
					continue
				}
				res.committed = true
				x.committed.Store(true)
				startStream(x.w)
				x.holdWrites()
				enc = x.streamEncoder()
				for j := range held {
					out = enc.Encode(out, &held[j])
				}
				held = nil
			}
			if ev.Type == ir.EvError {
				res.err = withProvider(ev.Err, c)
			}
			out = enc.Encode(out, ev)
		}
		if len(out) > 0 {
			x.write(out, last)
			out = out[:0]
		}
		return true
	})
	if !res.committed && res.err == nil {
		res.err = &ir.Error{Kind: ir.KindStreamInterrupted, Message: "the upstream stream ended before any content"}
	}
	return res
}

// streamPassThrough forwards the upstream's bytes unchanged (same dialect),
// parsing them only to find errors, usage and the commit point.
func (x *exchange) streamPassThrough(ctx context.Context, resp *http.Response, up dialect.Codec) streamResult {
	var res streamResult
	bufs := borrowRelay()
	tee := &teeReader{r: resp.Body, buf: bufs.tee}
	x.skipDecode = plainDelta(up.Name(), &bufs.marks)
	names := &bufs.names
	names.reset(up.Name(), x.req.Model)
	// Every write below copies what it is given (into the response's
	// buffer, or the log's), so the buffers are free when this returns.
	defer func() { bufs.release(tee.buf) }()
	defer func() { x.skipDecode = nil }() // a fallback attempt may translate
	// sentinel: the upstream's own terminal event went by (endsStream:
	// [DONE], message_stop, the Responses API's terminal events).
	sentinel := false
	x.pump(ctx, tee, up.NewStreamDecoder(), func(evs []ir.Event, last bool) bool {
		var closing []byte // frames of ours that end the client's stream
		tee.markEvent()
		sentinel = sentinel || x.eventEnds
		for i := range evs {
			ev := &evs[i]
			x.observe(ev)
			switch {
			case ev.Type == ir.EvError && !res.committed:
				res.err = ev.Err
				return false
			case ev.Type == ir.EvError && last: // the upstream cut or stalled: error and terminal frames
				res.err = ev.Err
				tee.dropIncomplete()
				closing = terminalErrorFrame(up.Name(), ev.Err)
			case ev.Type == ir.EvError: // the upstream's own error event goes through; its terminal follows
				res.err = ev.Err
				closing = closeAfterError(up.Name(), tee.event(), ev.Err)
			}
			if !res.committed && isContent(ev.Type) {
				res.committed = true
				x.committed.Store(true)
				startStream(x.w)
				x.holdWrites()
			}
		}
		if x.hideUsage && hasUsage(evs) {
			tee.dropUsageOnlyChunk()
		}
		if last && res.err == nil && !sentinel {
			// A complete answer whose upstream never sent its terminal
			// event still ends the dialect's way for the client.
			closing = closeAfterStop(up.Name())
		}
		// Inside a burst (more whole events already received) the events
		// wait for its last one, which sends them all anyway (flushStream):
		// one rename and one write for the burst instead of one an event,
		// and the tee moves what it holds once.
		if res.committed && (!x.burst || last || closing != nil) {
			tee.forward(func(b []byte) { b = names.rewrite(b); _, _ = x.w.Write(b); x.keep(b) }, last)
			if closing != nil {
				sep := tee.separator()
				_, _ = x.w.Write(sep)
				_, _ = x.w.Write(closing)
				x.keep(sep)
				x.keep(closing)
			}
			x.flushStream(last)
		}
		return res.err == nil // nothing after an upstream error reaches the client
	})
	if !res.committed && res.err == nil {
		res.err = &ir.Error{Kind: ir.KindStreamInterrupted, Message: "the upstream stream ended before any content"}
	}
	return res
}

// streamToJSON answers a non-streaming client from a streaming upstream
// (one that ignored stream:false or only streams).
func (x *exchange) streamToJSON(ctx context.Context, resp *http.Response, up dialect.Codec, c route.Candidate) streamResult {
	var acc ir.Accumulator
	split := thinkSplitter(up, x.client)
	x.pump(ctx, resp.Body, up.NewStreamDecoder(), func(evs []ir.Event, last bool) bool {
		if split != nil {
			evs = split.Process(evs)
		}
		for i := range evs {
			x.observe(&evs[i])
			acc.Add(&evs[i])
		}
		return acc.Err() == nil
	})
	if e := acc.Err(); e != nil {
		return streamResult{err: withProvider(e, c)}
	}
	r := acc.Response()
	x.remember(up, c, r.Content)
	return x.writeResponse(r)
}

// jsonToStream answers a streaming client from an upstream that replied
// with one JSON body.
func (x *exchange) jsonToStream(resp *http.Response, up dialect.Codec, c route.Candidate) streamResult {
	ir1, res := x.readResponse(resp, up, c)
	if res.err != nil {
		return res
	}
	ir1.Model = x.req.Model
	evs := ir.Replay(ir1, nil)
	startStream(x.w)
	x.holdWrites()
	enc := x.streamEncoder()
	var out []byte
	for i := range evs {
		x.observe(&evs[i])
		out = enc.Encode(out, &evs[i])
	}
	x.write(out, true)
	return streamResult{committed: true}
}

// jsonTranslate decodes the upstream JSON and re-encodes it for the client.
func (x *exchange) jsonTranslate(resp *http.Response, up dialect.Codec, c route.Candidate) streamResult {
	r, res := x.readResponse(resp, up, c)
	if res.err != nil {
		return res
	}
	x.markFirstToken()
	return x.writeResponse(r)
}

// jsonPassThrough copies the upstream JSON answer unchanged.
func (x *exchange) jsonPassThrough(resp *http.Response, up dialect.Codec) streamResult {
	// The answer is written before this returns and nothing keeps it (the
	// log and the response cache copy what they keep), so its buffer
	// serves the next answers.
	ab := answerBufs.Get().(*[]byte)
	body, err := readAllSized(io.LimitReader(resp.Body, maxUpstreamBody), resp.ContentLength, maxUpstreamBody, *ab)
	defer putAnswerBuf(ab, body)
	if err != nil {
		return streamResult{err: &ir.Error{Kind: ir.KindStreamInterrupted, Message: "reading the upstream answer failed: " + err.Error()}}
	}
	x.markFirstToken()
	x.usageFromJSON(up.Name(), body)
	before, model, after := answerParts(body, up.Name(), x.req.Model)
	if x.g.logBodies.Load() {
		x.logResponseBody(setAnswerModel(body, up.Name(), x.req.Model))
	}
	jsonHead(x.w.Header(), len(before)+len(model)+len(after))
	x.holdWrites()
	x.w.WriteHeader(http.StatusOK)
	for _, part := range [3][]byte{before, model, after} {
		if len(part) > 0 {
			_, _ = x.w.Write(part)
		}
	}
	x.sendNow()
	return streamResult{committed: true}
}

func (x *exchange) readResponse(resp *http.Response, up dialect.Codec, c route.Candidate) (*ir.Response, streamResult) {
	body, err := readAllSized(io.LimitReader(resp.Body, maxUpstreamBody), resp.ContentLength, maxUpstreamBody, nil)
	if err != nil {
		return nil, streamResult{err: &ir.Error{Kind: ir.KindStreamInterrupted, Message: "reading the upstream answer failed: " + err.Error()}}
	}
	r, err := up.DecodeResponse(body)
	if err != nil {
		e := asIRError(err)
		if e.Kind == ir.KindBadRequest { // the upstream's body, not the client's fault
			e = &ir.Error{Kind: ir.KindUpstream5xx, Status: http.StatusBadGateway, Message: "the upstream answered with an unreadable body: " + e.Message}
		}
		return nil, streamResult{err: withProvider(e, c)}
	}
	if up.Name() == dialect.OpenAIChat && x.client.Name() != dialect.OpenAIChat {
		splitThinkInResponse(r)
	}
	x.addUsage(&r.Usage)
	x.remember(up, c, r.Content)
	return r, streamResult{}
}

func (x *exchange) writeResponse(r *ir.Response) streamResult {
	r.Model = x.req.Model // clients see the model they asked for
	b, err := x.enc.response(r)
	if err != nil {
		return streamResult{err: asIRError(err)}
	}
	x.logResponseBody(b)
	jsonHead(x.w.Header(), len(b))
	x.holdWrites()
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(b)
	x.sendNow()
	return streamResult{committed: true}
}

// sendNow sends a whole JSON answer (its length declared) at once: net/http
// would send it when the handler returns, after the request's bookkeeping
// (the log row, the route's health), which the client would wait for. The
// recorder is told the row is coming (its Flush waits for it), and run
// settles that however the exchange ends.
func (x *exchange) sendNow() {
	x.expectRow()
	x.flushOut()
}

// expectRow tells the recorder the exchange's row is coming (once).
func (x *exchange) expectRow() {
	if x.g.recorder != nil && !x.rowExpected {
		x.g.recorder.Expect()
		x.rowExpected = true
	}
}

// settleRow ends sendNow's Expect, once the row is queued or the exchange
// is over without one.
func (x *exchange) settleRow() {
	if x.rowExpected {
		x.rowExpected = false
		x.g.recorder.Settle()
	}
}

// observe keeps usage and first-token time for the log row.
func (x *exchange) observe(ev *ir.Event) {
	switch ev.Type {
	case ir.EvUsage, ir.EvMessageStart:
		if ev.Usage != nil {
			x.addUsage(ev.Usage)
		}
	case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvToolArgsDelta:
		x.markFirstToken()
	}
}

func (x *exchange) markFirstToken() {
	if x.firstTokenAt.IsZero() {
		x.firstTokenAt = time.Now()
		x.row.TTFTMS = max(1, x.firstTokenAt.Sub(x.start).Milliseconds())
	}
}

// write sends a stream's bytes to the client (flushStream says when).
func (x *exchange) write(b []byte, last bool) {
	_, _ = x.w.Write(b)
	x.keep(b)
	x.flushStream(last)
}

// usageFromJSON reads usage from a pass-through JSON answer with the
// dialect's own usage reader (the one its codec uses).
func (x *exchange) usageFromJSON(d dialect.Name, body []byte) {
	var u ir.Usage
	switch d {
	case dialect.OpenAIChat:
		u = openai.DecodeUsage(gjson.GetBytes(body, "usage"))
	case dialect.Responses:
		u = responses.DecodeUsage(gjson.GetBytes(body, "usage"))
	case dialect.Anthropic:
		u = anthropic.DecodeUsage(gjson.GetBytes(body, "usage"))
	case dialect.Gemini:
		u = gemini.ReadUsage(gjson.GetBytes(body, "usageMetadata"))
	}
	x.addUsage(&u)
}

func withProvider(e *ir.Error, c route.Candidate) *ir.Error {
	if e == nil {
		return nil
	}
	if e.Provider == "" {
		cp := *e
		cp.Provider = c.Provider.Entry.ID
		return &cp
	}
	return e
}

// cloneEvent copies an event whose strings may alias a reused buffer.
func cloneEvent(ev *ir.Event) ir.Event {
	cp := *ev
	if ev.Block != nil {
		b := *ev.Block
		cp.Block = &b
	}
	if ev.Usage != nil {
		u := *ev.Usage
		cp.Usage = &u
	}
	return cp
}

// answerBufs are the buffers small pass-through JSON answers are read
// into: at c=1 a fresh one per answer was a tenth of a request's garbage,
// and each collection the garbage brings on delays the requests that meet
// it (the c=1 p99 of scripts/bench.sh).
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledAnswer bounds the buffers answerBufs keeps: a rare large answer
// is left to the collector.
const maxPooledAnswer = 64 << 10

// putAnswerBuf gives b back for the next answer, or the buffer body grew
// into reading an answer of unknown length, if that is not past
// maxPooledAnswer.
func putAnswerBuf(b *[]byte, body []byte) {
	if cap(body) > cap(*b) && cap(body) <= maxPooledAnswer {
		*b = body
	}
	*b = (*b)[:0]
	answerBufs.Put(b)
}

// readAllInto is io.ReadAll appending to buf.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// logResponseBody keeps a truncated, redacted copy of a non-streamed answer
// when request logging is on.
func (x *exchange) logResponseBody(b []byte) {
	if x.g.logBodies.Load() {
		x.row.ResponseBody = truncate(logging.Scrub(string(b)), maxLoggedBody)
	}
}

// readAllSized reads a body of known length in one allocation (io.ReadAll
// grows its buffer step by step), or into buf when it has room (the bytes
// are buf[:length:length], so nothing appends into the rest). r must
// already be bounded; a length above limit is not trusted for the
// allocation.
func readAllSized(r io.Reader, length, limit int64, buf []byte) ([]byte, error) {
	if length <= 0 || length > limit {
		if buf == nil {
			return io.ReadAll(r)
		}
		return readAllInto(r, buf[:0])
	}
	if int64(cap(buf)) >= length {
		buf = buf[:length:length]
	} else {
		buf = make([]byte, length)
	}
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return buf[:n], io.ErrUnexpectedEOF
	}
	return buf[:n], err
}
