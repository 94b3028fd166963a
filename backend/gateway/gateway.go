// Package gateway is the client-facing AI endpoint: /v1 (OpenAI Chat,
// Responses, Anthropic Messages) and /v1beta (Gemini), behind the local API
// keys. It decodes the client's dialect into the hub IR, asks the router for
// candidates, and streams the answer back in the client's dialect.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/randid"
	"switchboard/backend/ir"
	"switchboard/backend/keys"
	"switchboard/backend/provider"
	"switchboard/backend/reasoning"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// Gateway serves the AI endpoints.
type Gateway struct {
	keys        *keys.Service
	log         *slog.Logger
	routes      *route.Table
	health      *route.Health
	client      *provider.Client
	recorder    *usage.Recorder
	memo        *reasoning.Memo
	idleTimeout time.Duration
	mux         *http.ServeMux
	requests    atomic.Int64
	bodies      bodyBudget
	logBodies   atomic.Bool
	cacheOn     atomic.Bool
	// draining ends when the app shuts down: open streams then end with
	// their dialect's error frame instead of being cut.
	replay       *replayer
	maxUpload    int64  // bytes of one multipart upload
	spoolDir     string // where large uploads wait ("" = the system's temp dir)
	draining     context.Context
	stopDraining context.CancelFunc
	// after logs finished streams' rows off their handlers (after.go).
	after afterWork
}

// errDraining is the cause of upstream cancellations during shutdown.
var errDraining = errors.New("gateway: shutting down")

// shutdownRetryAfter is the back-off suggested to clients cut by a
// shutdown: a restart (an update, a service manager) takes a few seconds.
const shutdownRetryAfter = 5 * time.Second

// errShuttingDown is what every client cut by a shutdown gets, answer or
// in-stream frame alike: 503 with Retry-After in its dialect. It is not the
// upstream's fault, so it neither falls back nor counts against the route.
func errShuttingDown() *ir.Error {
	return &ir.Error{Kind: ir.KindUnavailable, Status: http.StatusServiceUnavailable, RetryAfter: shutdownRetryAfter,
		Message: "Switchboard is shutting down; retry in a moment"}
}

// Drain ends every open upstream call; streams already answering get a
// proper terminal error frame.
func (g *Gateway) Drain() { g.stopDraining() }

// Wait returns once every finished request has given its row to the
// recorder; rows of requests that finish later are logged before their
// handler returns. Call it once the server stopped, before the recorder
// closes.
func (g *Gateway) Wait() { g.after.wait() }

// goAfter runs f off the handler, counted by Wait; false (f not run) once
// Wait began.
func (g *Gateway) goAfter(f func()) bool { return g.after.run(f) }

// Options wire a Gateway.
type Options struct {
	Keys     *keys.Service
	Log      *slog.Logger
	Routes   *route.Table
	Health   *route.Health // live routing state (cooldowns, breakers, limits)
	Client   *provider.Client
	Recorder *usage.Recorder // nil: no request log
	// Memo restores signed reasoning clients cannot carry (nil: a memory-only one).
	Memo *reasoning.Memo
	// StreamIdleTimeout ends an upstream stream that sends nothing for this
	// long (default 5 minutes: thinking models pause, but never that long).
	StreamIdleTimeout time.Duration
	// BodyBudget bounds the request body bytes held at once, all requests
	// together (default DefaultBodyBudget).
	BodyBudget int64
	// MaxUpload bounds one multipart upload (default DefaultMaxUpload);
	// SpoolDir is where uploads over a megabyte wait while they are sent
	// ("" = the system's temp dir).
	MaxUpload int64
	SpoolDir  string
	// Quiet runs when large request bodies (restAfterBytes in all) have
	// come and gone and none has been held for quietFor: the process can
	// hand the memory that held them back (core.Instance.Rest). nil: never.
	Quiet func()
}

// DefaultStreamIdleTimeout is used when Options leaves it zero.
const DefaultStreamIdleTimeout = 5 * time.Minute

// New builds the gateway.
func New(o Options) *Gateway {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.StreamIdleTimeout <= 0 {
		o.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	if o.BodyBudget <= 0 {
		o.BodyBudget = DefaultBodyBudget
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = DefaultMaxUpload
	}
	if o.Routes == nil {
		o.Routes = route.NewTable(nil)
	}
	if o.Health == nil {
		o.Health = route.NewHealth(nil, uint64(time.Now().UnixNano()))
	}
	if o.Client == nil {
		o.Client = provider.NewClient(provider.ClientOptions{})
	}
	if o.Memo == nil {
		o.Memo = reasoning.New(reasoning.Options{Log: o.Log})
	}
	g := &Gateway{keys: o.Keys, log: o.Log, routes: o.Routes, health: o.Health, client: o.Client, recorder: o.Recorder, memo: o.Memo,
		idleTimeout: o.StreamIdleTimeout, mux: http.NewServeMux(), maxUpload: o.MaxUpload, spoolDir: o.SpoolDir}
	g.bodies.limit = o.BodyBudget
	g.bodies.quiet = o.Quiet
	g.draining, g.stopDraining = context.WithCancel(context.Background())
	g.replay = newReplayer()
	g.replay.on = g.cacheOn.Load
	g.routesInit()
	return g
}

// Requests counts authenticated requests served.
func (g *Gateway) Requests() int64 { return g.requests.Load() }

// SetResponseCache switches the exact-match response cache.
func (g *Gateway) SetResponseCache(on bool) { g.cacheOn.Store(on) }

// SetLogBodies switches request body logging (truncated, redacted).
func (g *Gateway) SetLogBodies(on bool) { g.logBodies.Store(on) }

// record queues the request log row. The log writer takes its time (it
// batches, and yields to requests), so what it queues must hold nothing
// of the request: see loggedRow.
func (g *Gateway) record(row *usage.Row) {
	if g.recorder != nil {
		g.recorder.Record(loggedRow(row))
	}
}

// loggedRow is a copy of row that shares no memory with the request. A
// pointer to the row inside an exchange kept the whole exchange alive
// until the writer reached it (the client's body, the decoded request and
// the upstream body: megabytes per agent turn, hundreds of rows behind
// under load), and a string sliced from a decoded body keeps that body.
func loggedRow(row *usage.Row) *usage.Row {
	cp := usage.CopyRow(row)
	cp.RequestedModel = strings.Clone(row.RequestedModel)
	cp.ErrorMessage = strings.Clone(row.ErrorMessage)
	return cp
}

func (g *Gateway) routesInit() {
	g.mux.HandleFunc("POST /v1/chat/completions", g.chatCompletions)
	g.mux.HandleFunc("POST /v1/completions", g.completions)
	g.mux.HandleFunc("POST /v1/responses", g.responses)
	g.mux.HandleFunc("POST /v1/messages", g.messages)
	g.mux.HandleFunc("POST /v1/messages/count_tokens", g.countTokensAnthropic)
	g.mux.HandleFunc("POST /v1/embeddings", g.embeddings)
	g.mux.HandleFunc("POST /v1/images/generations", g.imagesGenerations)
	g.mux.HandleFunc("POST /v1/images/edits", g.imagesEdits)
	g.mux.HandleFunc("POST /v1/audio/speech", g.speech)
	g.mux.HandleFunc("POST /v1/audio/transcriptions", g.transcriptions)
	g.mux.HandleFunc("POST /v1/audio/translations", g.translations)
	g.mux.HandleFunc("POST /v1/moderations", g.moderations)
	g.mux.HandleFunc("POST /v1/rerank", g.rerank)
	g.mux.HandleFunc("GET /v1/models", g.listModels)
	g.mux.HandleFunc("GET /v1/models/{id...}", g.getModel)
	g.mux.HandleFunc("GET /v1beta/models", g.listModels)
	g.mux.HandleFunc("POST /v1beta/models/", g.geminiAction)
	g.mux.HandleFunc("GET /v1beta/models/", g.getGeminiModel)
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, dialectOf(r), ir.Errorf(ir.KindNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// ServeHTTP authenticates, then dispatches. Nothing reads the body before
// the key is verified.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.recorder != nil { // the request log writes while the gateway is idle
		t := g.recorder.Traffic()
		t.Start()
		defer t.Done()
	}
	d := dialectOf(r)
	if headerBytes(r) > maxClientHeaderBytes {
		refuse(w, r, d, &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestHeaderFieldsTooLarge,
			Message: "request headers are larger than 64 KiB"})
		return
	}
	key := presentedKey(r)
	if key == "" {
		refuse(w, r, d, ir.Errorf(ir.KindAuth, "missing API key: send your Switchboard key (sk-sb-…) as Authorization: Bearer, x-api-key or x-goog-api-key"))
		return
	}
	k, ok := g.keys.Authenticate(key)
	if !ok {
		refuse(w, r, d, ir.Errorf(ir.KindAuth, "invalid API key: create one with `switchboard keys create --name NAME` or in the dashboard"))
		return
	}
	if e := k.Check(time.Now()); e != nil { // disabled or expired
		w.Header().Set("X-Should-Retry", "false")
		refuse(w, r, d, e)
		return
	}
	g.requests.Add(1)
	r = r.WithContext(withKey(r.Context(), k))
	if isUploadPath(r.URL.Path) { // spooled, never held whole (see readUpload)
		g.mux.ServeHTTP(w, r)
		return
	}
	hold, ok := g.admitBody(w, r, d)
	if !ok {
		return
	}
	defer hold.release()
	g.replay.wrap(w, r, g.mux)
}

// refuse answers e without reading the request's body. net/http would
// otherwise read the unread body before writing the answer (and again when
// the handler returns), so a client that declares a body and never sends it
// would hold the answer, its connection and a goroutine. The answer is the
// connection's last, and reads on it end at once.
func refuse(w http.ResponseWriter, r *http.Request, d dialect.Name, e *ir.Error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	writeError(w, d, e)
}

// maxRequestBody bounds a client body (images inline as base64 are large).
const maxRequestBody = 32 << 20

// errBodyTooLarge is the answer to a body over maxRequestBody.
func errBodyTooLarge() *ir.Error {
	return &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestEntityTooLarge, Message: "request body is larger than 32 MiB"}
}

// readBody reads the client's body (admitBody already refused a declared
// length over the limits) or answers in its dialect: 413 when it is too
// large, 429 when the in-flight budget cannot hold it (chunked), 408 when it
// does not arrive before the server's body read deadline, 400 when it
// breaks off.
func readBody(w http.ResponseWriter, r *http.Request, d dialect.Name) ([]byte, bool) {
	b, _, ok := readBodyInto(w, r, d, nil)
	return b, ok
}

// readBodyInto is readBody that reads an agent-sized body of known length
// into a buffer lent from shelf (bodypool.go; nil shelf: never) and
// returns that buffer too (nil when none was lent).
func readBodyInto(w http.ResponseWriter, r *http.Request, d dialect.Name, shelf *bodyShelf) ([]byte, *lentBody, bool) {
	var l *lentBody
	var buf []byte
	if shelf != nil {
		if l = shelf.lend(r.ContentLength); l != nil {
			buf = l.buf
		}
	}
	b, err := readAllSized(http.MaxBytesReader(w, r.Body, maxRequestBody), r.ContentLength, maxRequestBody, buf)
	if err != nil { // a lent buffer is left to the collector
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, d, errBodyTooLarge())
		case errors.Is(err, errBodyBudget):
			refuse(w, r, d, errBudgetFull())
		case errors.Is(err, os.ErrDeadlineExceeded):
			refuse(w, r, d, &ir.Error{Kind: ir.KindBadRequest, Status: http.StatusRequestTimeout,
				Message: "the request body did not arrive in time (the connection stalled while sending it)"})
		default:
			refuse(w, r, d, ir.Errorf(ir.KindBadRequest, "could not read the request body: %v", err))
		}
		return nil, nil, false
	}
	// Read to its end: once closed, net/http does not try to drain more of
	// it before the answer's head (a copy loop and an allocation a request).
	_ = r.Body.Close()
	return b, l, true
}

func newReqID() string { return randid.Hex("req_", 16) }
