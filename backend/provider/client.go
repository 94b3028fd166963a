package provider

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/ir"
)

// Defaults for ClientOptions.
const (
	// Thinking models can think for minutes before their first byte.
	DefaultResponseHeaderTimeout = 5 * time.Minute
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 256
	DefaultUserAgent             = "switchboard"

	// maxErrorBody bounds what we read of a failed upstream answer.
	maxErrorBody = 64 << 10
)

// ClientOptions tunes the Client. Zero values take the defaults above.
type ClientOptions struct {
	ResponseHeaderTimeout time.Duration // time to the upstream's first response byte
	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	IdleConnTimeout       time.Duration
	MaxIdleConnsPerHost   int
	UserAgent             string
	Now                   func() time.Time // clock for reset times; default time.Now

	rootCAs *x509.CertPool // tests: trust an httptest TLS server
	// connect (tests) sees every address a guard let through, just before
	// connect; returning an error stops the dial there.
	connect func(network, address string) error
}

func (o ClientOptions) withDefaults() ClientOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	def(&o.DialTimeout, DefaultDialTimeout)
	def(&o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	def(&o.IdleConnTimeout, DefaultIdleConnTimeout)
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Client sends requests to upstream providers. It is safe for concurrent
// use; build one per process and share it.
//
// It holds three pools built from the same tuning, one per reach: the
// guarded one, whose dialer refuses private addresses, for every remote
// provider; the loopback one for local providers (Ollama, LM Studio), which
// may reach this machine and nothing else private; and an unguarded one for
// providers the operator marked allow_local. They are separate because a
// pool is keyed by scheme and host only: a shared pool could hand a
// connection dialed for a more trusted call to a call that never allowed it.
//
// Requests go to the transports' RoundTrip, not through an http.Client:
// a client copies every request's headers and URL for redirects (about
// 700 bytes a request, a tenth of a small pass-through's garbage), and
// redirects are never followed (an API that redirects is misconfigured,
// and x-api-key would survive a cross-host hop), so a 3xx comes back as
// the answer either way.
type Client struct {
	guarded  http.RoundTripper
	loopback http.RoundTripper
	local    http.RoundTripper
	ua       string
	now      func() time.Time
	// headerTimeout bounds the wait for an answer's head. Send enforces it,
	// not the transports: a caller that already runs a timer for the call
	// (the gateway's idle watch) bounds it with that one (Call.HeadWatched),
	// which saves a timer and a wider select in the transport per request.
	headerTimeout time.Duration
}

// ErrHeaderTimeout is the cause of a call's context canceled because the
// upstream took longer than the client's header timeout to answer.
var ErrHeaderTimeout = errors.New("upstream did not answer in time")

// HeaderTimeout is how long an upstream may take to send its answer's head
// (ClientOptions.ResponseHeaderTimeout); a caller that sets HeadWatched
// cancels the call's context with ErrHeaderTimeout after it.
func (c *Client) HeaderTimeout() time.Duration { return c.headerTimeout }

// NewClient builds a Client.
func NewClient(opts ClientOptions) *Client {
	o := opts.withDefaults()
	return &Client{
		guarded:  newTransport(o, reachPublic),
		loopback: newTransport(o, reachLoopback),
		local:    newTransport(o, reachAny),
		ua:       o.UserAgent,
		now:      o.Now,

		headerTimeout: o.ResponseHeaderTimeout,
	}
}

// newTransport is the one tuning of upstream connections.
func newTransport(o ClientOptions, r reach) *http.Transport {
	d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second, Control: control(r, o.connect)}
	return &http.Transport{
		// No proxy: the guard checks the address dialed, which would be
		// the proxy's, not the upstream's.
		Proxy:                 nil,
		DialContext:           wholeWrites(d.DialContext),
		ForceAttemptHTTP2:     true, // a custom dialer disables HTTP/2 unless asked
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.rootCAs},
		TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          4 * o.MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		IdleConnTimeout:       o.IdleConnTimeout,
	}
}

// CloseIdleConnections closes idle upstream connections (config reloads,
// shutdown).
func (c *Client) CloseIdleConnections() {
	for _, rt := range []http.RoundTripper{c.guarded, c.loopback, c.local} {
		if t, ok := rt.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}
}

// Call is one upstream request.
type Call struct {
	Entry  *Entry
	APIKey string // never logged, never put in an error
	Op     Op
	Model  string
	Stream bool
	Body   []byte      // already encoded in Entry.Dialect
	Header http.Header // per-request headers to forward (anthropic-beta…)
	// BodyParts is the body in pieces, sent one after the other, when Body
	// is nil: a same-dialect pass-through sends the client's bytes around
	// the renamed model without copying a request that may weigh
	// megabytes. Send only reads the pieces; the caller must not change them
	// before the answer's body is closed.
	BodyParts [][]byte
	// BodyHold, when set, is told who still reads BodyParts: Send calls
	// Hold before a request reads them and Release once, when the
	// transport closes that request's body (which may be after Send
	// returned: a transport can still be writing when the answer arrives).
	// The gateway lends its request buffers this way (bodyPool).
	BodyHold Hold
	// Upload opens a streamed body (a multipart upload spooled to disk)
	// when Body and BodyParts are nil: it is called on every send, so a
	// call sent again reads it from the start. ContentType is its type
	// ("" = application/json, for any body).
	Upload      func() (io.Reader, int64, error)
	ContentType string
	// AllowLocal lets this call reach any private address even when the
	// entry does not allow it.
	AllowLocal bool
	// AccountRef is the sign-in's account id for upstreams that want it
	// besides the token (see Access.AccountRef).
	AccountRef string
	// ClientUserAgent is the calling client's User-Agent; sign-in quirks
	// tell the vendor's own CLI apart by it.
	ClientUserAgent string
	// BaseURL and Project come from a sign-in's Access (see there).
	BaseURL string
	Project string
	// URL is the endpoint of an OpUsage call (a vendor's usage endpoint,
	// derived from the base URL); the other operations ignore it.
	URL string
	// Query is an OpUsage call's query (URL, checked like a base URL,
	// carries none); the other operations ignore it.
	Query url.Values

	// HeadWatched says the caller cancels ctx with ErrHeaderTimeout once
	// the client's HeaderTimeout has passed without the answer's head;
	// Send then arms no timer of its own.
	HeadWatched bool

	query url.Values // pagination, set by ListModels
}

// Hold counts the readers of memory lent to a call (Call.BodyHold).
type Hold interface {
	Hold()
	Release()
}

func (c *Call) hasBody() bool { return c.Body != nil || c.BodyParts != nil || c.Upload != nil }

// wholeBody is the body in one piece: Body, or BodyParts joined (a copy,
// for the few quirks that rewrite a body).
func (c *Call) wholeBody() []byte {
	if c.Body != nil || c.BodyParts == nil {
		return c.Body
	}
	return bytes.Join(c.BodyParts, nil)
}

// joinPartsBelow is the body size under which an in-memory body goes as one
// bytes.Reader (pieces joined: a small body is cheap to copy): net/http
// writes the headers and such a body in one system call, while it flushes
// the headers of any other body on their own first.
const joinPartsBelow = 64 << 10

// memoryBody is the reader of a body held in memory, in pieces, and its
// size. Large bodies are not joined (no copy of a megabyte to rename a
// model) and go out whole (wholeWriteConn). A body lent under a hold is
// read in place whatever its size: its Close releases the hold.
func memoryBody(parts [][]byte, hold Hold) (io.Reader, int64) {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	switch {
	case n >= joinPartsBelow || hold != nil:
		if hold != nil {
			hold.Hold()
		}
		return &multiBytes{parts: slices.Clone(parts), hold: hold}, n // the call's parts stay whole (a re-sent call reads them again)
	case len(parts) == 1:
		return bytes.NewReader(parts[0]), n
	}
	return bytes.NewReader(bytes.Join(parts, nil)), n
}

// multiBytes reads byte slices in turn, a Read filling p across them.
// WriteTo and Len let an upstream connection take it in whole writes
// (wholeWriteConn); Close makes it an io.ReadCloser, which NewRequest
// keeps as it is (its NopCloser wrapper would hide Len).
type multiBytes struct {
	parts  [][]byte
	hold   Hold        // nil: nothing lent; else released by the first Close
	closed atomic.Bool // net/http may close a body from two goroutines
}

func (m *multiBytes) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(m.parts) > 0 {
		c := copy(p[n:], m.parts[0])
		n += c
		if m.parts[0] = m.parts[0][c:]; len(m.parts[0]) == 0 {
			m.parts = m.parts[1:]
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Len is what is left to read.
func (m *multiBytes) Len() int {
	n := 0
	for _, p := range m.parts {
		n += len(p)
	}
	return n
}

// WriteTo writes the parts in one gathered write (writev) where w is a
// socket: a pass-through's pieces (before the model, the model, after it)
// would otherwise be three writes, the model a loopback segment of its own.
// Where w cannot gather, net.Buffers writes each part in turn.
func (m *multiBytes) WriteTo(w io.Writer) (int64, error) { return m.writeAfter(w, nil) }

// writeAfter is WriteTo with head written first, in the same gathered
// write (a request's head kept by wholeWriteConn); it counts the parts'
// bytes only.
func (m *multiBytes) writeAfter(w io.Writer, head []byte) (int64, error) {
	bufs := m.parts
	if head != nil {
		bufs = append(make([][]byte, 0, len(m.parts)+1), head)
		bufs = append(bufs, m.parts...)
	}
	if bw, ok := w.(buffersWriter); ok {
		n, err := bw.WriteBuffers(bufs) // bufs unchanged
		n = max(0, n-int64(len(head)))
		m.drop(n)
		return n, err
	}
	nb := net.Buffers(bufs)
	n, err := nb.WriteTo(w) // consumes nb
	if len(nb) <= len(m.parts) {
		m.parts = nb // what is left, after an error
	}
	return max(0, n-int64(len(head))), err
}

// buffersWriter is a connection that gathers pieces in one write of its
// own (rawsock.Conn); net.Buffers gathers only for net's own types.
type buffersWriter interface {
	WriteBuffers([][]byte) (int64, error)
}

// drop forgets the first n bytes of the parts.
func (m *multiBytes) drop(n int64) {
	for n > 0 && len(m.parts) > 0 {
		if n < int64(len(m.parts[0])) {
			m.parts[0] = m.parts[0][n:]
			return
		}
		n -= int64(len(m.parts[0]))
		m.parts = m.parts[1:]
	}
}

// Close releases the hold on the parts, once: net/http closes a request
// body when it is done with it, after an error too, and nothing reads it
// after that.
func (m *multiBytes) Close() error {
	if m.hold != nil && m.closed.CompareAndSwap(false, true) {
		m.hold.Release()
	}
	return nil
}

// Send performs the call once; it never retries (the router is the only
// retry loop). On a 2xx it returns the open response and the caller reads
// and closes the body. Any other outcome is a classified *ir.Error with
// Provider set, and the response is already closed.
func (c *Client) Send(ctx context.Context, call *Call) (*http.Response, error) {
	var headTimer *time.Timer
	cancel := func(error) {}
	if !call.HeadWatched && c.headerTimeout > 0 {
		ctx, cancel = context.WithCancelCause(ctx)
		headTimer = time.AfterFunc(c.headerTimeout, func() { cancel(ErrHeaderTimeout) })
	}
	resp, err := c.send(ctx, call)
	if headTimer == nil {
		return resp, err
	}
	if !headTimer.Stop() && err == nil { // the head came as the timer fired: the body is cut
		resp.Body.Close()
		resp, err = nil, headerTimeoutError(call.Entry.ID)
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// headerTimeoutError is a call that got no answer within the header
// timeout, whoever ran the timer.
func headerTimeoutError(provider string) *ir.Error {
	return &ir.Error{Kind: ir.KindTimeout, Message: ErrHeaderTimeout.Error(), Provider: provider, Cause: ErrHeaderTimeout}
}

// cancelOnClose ends the context of a call Send timed once its answer's
// body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// send is Send without the header timer.
func (c *Client) send(ctx context.Context, call *Call) (*http.Response, error) {
	req, err := c.newRequest(ctx, call)
	if err != nil {
		return nil, err
	}
	// The exemption follows the address: a local entry reaches loopback
	// only; the rest of the private network needs allow_local.
	hc := c.guarded
	switch {
	case call.AllowLocal || call.Entry.AllowLocal:
		hc = c.local
	case call.Entry.Local:
		hc = c.loopback
	}
	tap := tapOf(ctx)
	if tap != nil {
		tap.Sending(req)
	}
	resp, err := hc.RoundTrip(req)
	if err != nil {
		if context.Cause(ctx) == ErrHeaderTimeout {
			return nil, headerTimeoutError(call.Entry.ID)
		}
		e := ClassifyTransport(err)
		e.Provider = call.Entry.ID
		return nil, redactError(e, call.APIKey)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if tap != nil {
			tap.Answered(resp)
		}
		return applyQuirksResponse(resp, call), nil
	}
	return nil, c.upstreamError(resp, call, tap)
}

// upstreamError reads a bounded part of a failed answer and classifies it.
func (c *Client) upstreamError(resp *http.Response, call *Call, tap Tap) *ir.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	// Some upstreams echo the key they rejected; never pass it on.
	if k := strings.TrimSpace(call.APIKey); len(k) >= minRedactLen {
		body = bytes.ReplaceAll(body, []byte(k), []byte(redacted))
	}
	if tap != nil {
		tap.Refused(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	e := Classify(resp.StatusCode, resp.Header, body, c.now())
	applyQuirksError(e, body, call)
	e.Provider = call.Entry.ID
	if e.Kind == ir.KindRateLimited || e.Kind == ir.KindQuotaExhausted {
		e.Header = resp.Header // which window ran out (quota windows read it)
	}
	return redactError(e, call.APIKey)
}

// newRequest builds the upstream HTTP request for call.
func (c *Client) newRequest(ctx context.Context, call *Call) (*http.Request, error) {
	if call == nil || call.Entry == nil {
		return nil, ir.Errorf(ir.KindInternal, "provider: call without a provider entry")
	}
	e := call.Entry
	if base := strings.TrimRight(call.BaseURL, "/"); base != "" && base != e.BaseURL {
		// The vendor names this account's API base (it came with the token,
		// so it is checked like any base URL before a credential goes there).
		if err := checkBaseURL(base, e.AllowLocal || e.Local); err != nil {
			return nil, &ir.Error{Kind: ir.KindAuth, Provider: e.ID, Message: "provider " + e.ID + ": the sign-in's API base: " + err.Error()}
		}
		moved := *e
		moved.BaseURL = base
		e = &moved
	}
	u := e.URL(call.Op, call.Model, call.Stream)
	// The catalog's endpoint for the op and model is the same URL each time;
	// a usage endpoint's query or a page token is not.
	endpoint := call.Op != OpUsage && len(call.query) == 0
	if call.Op == OpUsage {
		if err := checkBaseURL(call.URL, e.AllowLocal || e.Local || call.AllowLocal); err != nil {
			return nil, &ir.Error{Kind: ir.KindInternal, Provider: e.ID, Message: "provider " + e.ID + ": usage endpoint: " + err.Error()}
		}
		u = call.URL
		if len(call.Query) > 0 {
			u += "?" + call.Query.Encode()
		}
	}
	if u == "" {
		err := ir.Errorf(ir.KindModelNotSupported, "provider %s (%s dialect) has no %s endpoint", e.ID, e.Dialect, call.Op)
		err.Provider = e.ID
		return nil, err
	}
	if len(call.query) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + call.query.Encode()
	}
	raw, err := applyQuirksBody(call)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	size := int64(len(raw))
	switch {
	case raw != nil:
		body, size = memoryBody([][]byte{raw}, nil)
	case call.BodyParts != nil:
		body, size = memoryBody(call.BodyParts, call.BodyHold)
	case call.Upload != nil:
		if body, size, err = call.Upload(); err != nil {
			return nil, &ir.Error{Kind: ir.KindInternal, Provider: e.ID, Message: "provider: reading the spooled upload failed", Cause: err}
		}
	}
	method := call.Op.method()
	if call.Op == OpUsage && body != nil {
		method = http.MethodPost // a usage endpoint that takes a body (Cloud Code's)
	}
	req, err := newHTTPRequest(ctx, method, u, body, endpoint)
	if err != nil {
		closeBody(body)
		return nil, &ir.Error{Kind: ir.KindInternal, Message: "provider: invalid upstream URL for " + e.ID, Provider: e.ID, Cause: err}
	}
	if body != nil {
		req.ContentLength = size // NewRequest knows it for a bytes.Reader only; never chunked
	}
	// NewRequest sets GetBody for a bytes.Reader, which lets the transport
	// replay the request on its own (a reused connection that dies, or a
	// forwarded Idempotency-Key). Only the router may retry.
	req.GetBody = nil
	if err := c.setHeaders(req.Header, call); err != nil {
		closeBody(body)
		return nil, err
	}
	return req, nil
}

// parsedURLs keeps the upstream endpoint URLs already parsed (string →
// *url.URL): the same few (each provider's endpoints) are sent again and
// again, and parsing one was a tenth of building a request. At most
// maxParsedURLs of them (models in Gemini's paths).
var (
	parsedURLs  sync.Map
	parsedCount atomic.Int32
)

const maxParsedURLs = 512

// newHTTPRequest is http.NewRequestWithContext with an endpoint's URL
// parsed once.
func newHTTPRequest(ctx context.Context, method, raw string, body io.Reader, endpoint bool) (*http.Request, error) {
	var v any
	ok := false
	if endpoint {
		v, ok = parsedURLs.Load(raw)
	}
	if !ok {
		req, err := http.NewRequestWithContext(ctx, method, raw, body)
		if err == nil && endpoint && parsedCount.Load() < maxParsedURLs {
			u := *req.URL
			if _, dup := parsedURLs.LoadOrStore(raw, &u); !dup {
				parsedCount.Add(1)
			}
		}
		return req, err
	}
	req, err := http.NewRequestWithContext(ctx, method, "", body)
	if err != nil {
		return nil, err
	}
	u := *v.(*url.URL) // the request's own: nothing that changes it reaches the cache
	req.URL, req.Host = &u, u.Host
	return req, nil
}

// closeBody closes the body of a request that will not be sent (a lent
// body's hold is released that way).
func closeBody(body io.Reader) {
	if c, ok := body.(io.Closer); ok {
		c.Close()
	}
}

// setHeaders applies, in increasing precedence: our defaults, the entry's
// headers, the forwarded per-request headers, a sign-in's quirks (see
// subscription.go), and last the credentials, so nothing forwarded can
// replace or add a credential.
func (c *Client) setHeaders(h http.Header, call *Call) error {
	h.Set("User-Agent", c.ua)
	h.Set("Accept", "application/json")
	if call.Stream {
		h.Set("Accept", "text/event-stream")
	}
	if call.Op == OpSpeech {
		h.Set("Accept", "*/*") // audio, or SSE when the client asked for it
	}
	if call.hasBody() {
		h.Set("Content-Type", "application/json")
		if call.ContentType != "" {
			h.Set("Content-Type", call.ContentType)
		}
	}
	for k, v := range call.Entry.Headers {
		h.Set(k, v)
	}
	for k, vs := range call.Header {
		if !forwardable(k) {
			continue
		}
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if err := applyQuirksHeaders(h, call); err != nil {
		return err
	}
	if err := setAuth(h, call.Entry, call.APIKey); err != nil {
		return err
	}
	if call.Op == OpUsage && call.Entry.Quirks == QuirksCopilot {
		// GitHub's API, asked with the GitHub sign-in's token the way the
		// editors ask it.
		if v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
			h.Set("Authorization", "token "+v)
		}
	}
	return nil
}

// notForwarded are headers a caller may not pass through: credentials (the
// client's local key must never reach an upstream), hop-by-hop headers, and
// the ones the transport or we own.
var notForwarded = map[string]bool{
	"Authorization": true, "X-Api-Key": true, "X-Goog-Api-Key": true, "Api-Key": true,
	"Cookie": true, "Proxy-Authorization": true, "Host": true, "Content-Length": true,
	"Content-Type": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Accept-Encoding": true, "Proxy-Connection": true,
}

func forwardable(name string) bool { return !notForwarded[http.CanonicalHeaderKey(name)] }

// setAuth puts the key where the provider wants it. A provider marked "none"
// (a local server) that was nevertheless given a key gets it the way its
// dialect usually expects it.
func setAuth(h http.Header, e *Entry, key string) error {
	key = strings.TrimSpace(key) // keys pasted with a trailing newline are common
	if key == "" {
		return nil
	}
	if strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &ir.Error{Kind: ir.KindAuth, Message: "the API key for " + e.ID + " contains control characters", Provider: e.ID}
	}
	style := e.Auth
	if e.Quirks != "" {
		style = AuthOAuth // a sign-in's token is a bearer, whatever the dialect's usual way
	}
	if style == AuthNone {
		style = defaultAuth(e.Dialect)
	}
	switch style {
	case AuthXAPIKey:
		h.Set("X-Api-Key", key)
	case AuthGoogKey:
		h.Set("X-Goog-Api-Key", key)
	default:
		h.Set("Authorization", "Bearer "+key)
	}
	return nil
}

const (
	redacted     = "[REDACTED]"
	minRedactLen = 6 // shorter "keys" would redact ordinary words
)

// redactError makes sure the key appears nowhere in e's text.
func redactError(e *ir.Error, key string) *ir.Error {
	key = strings.TrimSpace(key)
	if len(key) < minRedactLen {
		return e
	}
	e.Message = strings.ReplaceAll(e.Message, key, redacted)
	e.Type = strings.ReplaceAll(e.Type, key, redacted)
	return e
}
