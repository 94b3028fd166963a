package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/sse"
)

// teeReader remembers the raw bytes read through it, so a pass-through
// stream can forward exactly what the upstream sent while the same bytes
// are parsed for usage and errors.
type teeReader struct {
	r    io.Reader
	buf  []byte      // bytes read and not forwarded yet
	rd   *sse.Reader // the parser reading through the tee (set by pump)
	off  int         // stream offset of buf[0]
	tail []byte      // the last bytes forwarded (at most 2)
	// evStart and evEnd: the stream offsets of the event being handled
	// (markEvent).
	evStart, evEnd int
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// parsed returns the bytes the parser has consumed and not forwarded yet.
func (t *teeReader) parsed() []byte {
	n := len(t.buf)
	if t.rd != nil {
		n = min(n, max(0, t.rd.BytesRead()-t.off))
	}
	return t.buf[:n]
}

// relayBufs are a pass-through stream's tee buffer, model rewriter and
// plain-event check, kept between streams as sse.Borrow keeps its reader: with the
// reader's, they were half the bytes a small stream allocated, and the
// collector's pace shows in the p99 (scripts/bench.sh).
type relayBufs struct {
	tee   []byte
	names modelRewriter // reset for each stream (its buffers are kept)
	marks markScan      // the plain-event check's memory (plainDelta)
}

var relays = sync.Pool{New: func() any { return &relayBufs{tee: make([]byte, 0, 4<<10)} }}

// maxKeptRelay: buffers grown past it (a huge event) are left to the
// collector instead of staying pinned in the pool.
const maxKeptRelay = 64 << 10

func borrowRelay() *relayBufs { return relays.Get().(*relayBufs) }

// release gives the buffers back as the tee left them (grown, maybe).
func (b *relayBufs) release(tee []byte) {
	n := &b.names
	if cap(tee) > maxKeptRelay || cap(n.out) > maxKeptRelay || cap(n.seen) > maxKeptRelay || cap(n.want) > maxKeptRelay || cap(b.marks.memo) > maxKeptRelay {
		return
	}
	b.tee = tee[:0]
	relays.Put(b)
}

// forward writes the bytes the parser has consumed (all of them when all is
// set) and drops them. The parser reads ahead, so bytes it has not parsed
// yet stay: nothing reaches the client before the gateway has seen it.
func (t *teeReader) forward(write func([]byte), all bool) {
	n := len(t.buf)
	if !all {
		n = len(t.parsed())
	}
	if n > 0 {
		write(t.buf[:n])
		t.tail = append(t.tail, t.buf[max(0, n-2):n]...)
		t.tail = t.tail[max(0, len(t.tail)-2):]
		t.off += n
		t.buf = append(t.buf[:0], t.buf[n:]...)
	}
}

// separator is what must be written before a frame of ours so it does not
// merge into the last forwarded event (some upstreams end their last event
// without the blank line).
func (t *teeReader) separator() []byte {
	switch {
	case len(t.tail) == 0 || bytes.HasSuffix(t.tail, []byte("\n\n")) || bytes.HasSuffix(t.tail, []byte("\r\r")):
		return nil
	case t.tail[len(t.tail)-1] == '\n' || t.tail[len(t.tail)-1] == '\r':
		return t.tail[len(t.tail)-1:]
	}
	return []byte("\n\n")
}

// dropIncomplete discards a trailing event the upstream never finished (no
// blank line after it): SSE clients discard it too, and a frame appended
// after it would merge into it.
func (t *teeReader) dropIncomplete() {
	end := 0
	for _, sep := range []string{"\n\n", "\r\n\r\n", "\r\r"} {
		if i := bytes.LastIndex(t.buf, []byte(sep)); i >= 0 && i+len(sep) > end {
			end = i + len(sep)
		}
	}
	t.buf = t.buf[:end]
}

// idleWatch is an attempt's one timer for its upstream call. Until the
// answer's head arrives it bounds the wait for it (the client's header
// timeout: provider.ErrHeaderTimeout); from then on it cancels the call
// when the upstream sends nothing for the idle timeout (a zombie stream),
// so nothing hangs.
type idleWatch struct {
	t        *time.Timer
	d        time.Duration
	answered atomic.Bool
}

var errIdle = errors.New("upstream sent nothing for too long")

func newIdleWatch(head, idle time.Duration, cancel context.CancelCauseFunc) *idleWatch {
	w := &idleWatch{d: idle}
	w.t = time.AfterFunc(head, func() {
		if w.answered.Load() {
			cancel(errIdle)
		} else {
			cancel(provider.ErrHeaderTimeout)
		}
	})
	return w
}

// answer switches the watch from the head's wait to the idle timeout.
func (w *idleWatch) answer() {
	w.answered.Store(true)
	w.t.Reset(w.d)
}

func (w *idleWatch) reset() { w.t.Reset(w.d) }
func (w *idleWatch) stop()  { w.t.Stop() }

// isContent reports an event that commits a stream: once one reaches the
// client, failures can no longer fall back to another candidate. A block
// start is not content: vendors open an empty block (Anthropic's
// content_block_start, Responses' output_item.added) and may still fail
// with overloaded_error before the first delta, which must fall back.
func isContent(t ir.EventType) bool {
	switch t {
	case ir.EvTextDelta, ir.EvThinkingDelta, ir.EvToolArgsDelta, ir.EvMessageStop:
		return true
	}
	return false
}

// streamResult says how an upstream stream ended.
type streamResult struct {
	committed bool      // bytes reached the client
	err       *ir.Error // set when it failed
	// unfit: the candidate cannot serve this request at all (nothing was
	// sent); the plan skips it without blaming the upstream.
	unfit bool
}

// pump reads an upstream SSE body and hands decoded events to sink after
// every upstream event. It stops at the end of the body, on a decode error,
// when the context ends, or when sink says stop. An incomplete stream ends
// with an EvError of kind StreamInterrupted.
func (x *exchange) pump(ctx context.Context, body io.Reader, dec dialect.StreamDecoder,
	sink func(evs []ir.Event, last bool) bool) {
	rd := sse.Borrow(body)
	tee, _ := body.(*teeReader)
	if tee != nil {
		tee.rd = rd
	}
	held := eventBufs.Get().(*[]ir.Event)
	evs := (*held)[:0]
	defer func() {
		x.burst, x.eventEnds = false, false
		if tee != nil {
			tee.rd = nil
		}
		rd.Release()
		if cap(evs) <= maxPooledEvents {
			clear(evs[:cap(evs)]) // what they point to is the request's
			*held = evs[:0]
			eventBufs.Put(held)
		}
	}()
	for {
		ev, err := rd.Next()
		if err != nil {
			cause := context.Cause(ctx)
			evs = evs[:0]
			var complete bool
			evs, complete = dec.End(evs)
			if !complete {
				e := &ir.Error{Kind: ir.KindStreamInterrupted, Message: "the upstream stream ended before it finished"}
				if !errors.Is(err, io.EOF) {
					e.Message = "the upstream stream broke: " + err.Error()
				}
				switch {
				case cause == errIdle:
					e.Kind, e.Message = ir.KindTimeout, "the upstream stopped sending (idle timeout)"
				case cause == errDraining:
					e = errShuttingDown()
				case ctx.Err() != nil:
					// The client went away (or a combo budget ran out) before
					// the end: the attempt failed even if nobody is left to
					// tell. A client that leaves after the terminal event
					// (SDKs close right after it) got a complete answer.
					e.Kind, e.Message = ir.KindCanceled, "the client went away before the answer ended"
				}
				evs = append(evs, ir.Event{Type: ir.EvError, Err: e})
			}
			x.burst = false
			sink(evs, true)
			return
		}
		if x.idle != nil && !x.burst {
			// The network brought this event: the idle clock restarts. The
			// rest of its burst arrived with it (one timer reset, not one an
			// event).
			x.idle.reset()
		}
		// More whole events already received: the sink may hold its flush
		// so a burst goes out in one write (nothing waits on the network).
		x.burst = rd.CompleteEventBuffered()
		x.eventEnds = endsStream(ev)
		if x.skipDecode != nil && x.committed.Load() && x.skipDecode(ev) {
			evs, err = evs[:0], nil
		} else {
			evs, err = dec.Decode(evs[:0], ev)
		}
		if err != nil {
			evs = append(evs[:0], ir.Event{Type: ir.EvError, Err: &ir.Error{Kind: ir.KindUpstream5xx,
				Message: "the upstream sent an unreadable event: " + err.Error()}})
			x.burst = false
			sink(evs, true)
			return
		}
		if !sink(evs, false) {
			return
		}
	}
}

// eventBufs keeps the slices pump decodes events into (one upstream event
// gives a few; each is 120 bytes).
var eventBufs = sync.Pool{New: func() any { s := make([]ir.Event, 0, 8); return &s }}

// maxPooledEvents bounds what eventBufs keeps.
const maxPooledEvents = 64

// endsStream reports an upstream event after which its stream has nothing
// left to say: OpenAI's [DONE], Anthropic's message_stop, the Responses
// API's terminal response events.
func endsStream(ev sse.Event) bool {
	return ev.IsDone() || ev.NameIs("message_stop") || ev.NameIs("response.completed") ||
		ev.NameIs("response.failed") || ev.NameIs("response.incomplete")
}

// endHold is how long the bytes flushed after an upstream's terminal event
// wait for the upstream's end of body, so that they leave with the end of
// the client's stream in one write (flushStream). Upstreams end right after
// that event; clients wait for the end of the body either way.
const endHold = 2 * time.Millisecond

// holdWrites makes the answer's writes leave in as few system calls as
// possible: the connection keeps them until a flush is sent (flushOut,
// flushStream), or until net/http moves on after the handler, which sends
// a stream's last bytes and its end together.
func (x *exchange) holdWrites() {
	if x.hold != nil {
		x.hold.Hold()
	}
}

// flushOut sends what was written now.
func (x *exchange) flushOut() {
	if x.flush != nil {
		x.flush.Flush()
	}
	if x.hold != nil {
		_ = x.hold.Send()
	}
}

// flushStream sends a stream's bytes after an upstream event, so every
// upstream chunk is forwarded as it arrives. It waits inside a burst of
// events that arrived together (the burst's last one sends them all), at
// the stream's end (the handler's return sends the rest with the end of the
// stream), and, briefly, after the upstream's terminal event (endHold).
func (x *exchange) flushStream(last bool) {
	switch {
	case last || x.burst:
	case x.eventEnds && x.hold != nil && x.flush != nil:
		x.flush.Flush()
		x.hold.SendWithin(endHold)
	default:
		x.flushOut()
	}
}

// startStream writes the SSE response headers.
func startStream(w http.ResponseWriter) {
	streamHead(w.Header())
	w.WriteHeader(http.StatusOK)
}
