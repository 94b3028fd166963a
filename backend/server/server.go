// Package server puts the gateway, the management API and the dashboard on
// one loopback listener and owns its lifecycle: listen (with a clear message
// when the port is taken), serve, and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"switchboard/backend/rawsock"
)

// Server is the one HTTP listener.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	log  *slog.Logger
	done chan error
}

// PortInUseError explains a taken port and how to choose another.
type PortInUseError struct{ Addr string }

func (e *PortInUseError) Error() string {
	host, port, _ := net.SplitHostPort(e.Addr)
	return fmt.Sprintf("port %s on %s is already in use (another Switchboard or another gateway?). "+
		"Stop that program, or choose another port with --listen %s:PORT or SWITCHBOARD_LISTEN=%s:PORT "+
		"(--listen %s:0 picks a free one)", port, host, host, host, host)
}

// Handler routes the AI endpoints to gw and everything else to mgmt.
func Handler(gw, mgmt http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/v1/") || p == "/v1" || strings.HasPrefix(p, "/v1beta/") || p == "/v1beta":
			gw.ServeHTTP(w, r)
		case p == "/" && r.Method == http.MethodHead:
			// Claude Code probes the base URL with HEAD / before its first call.
			w.WriteHeader(http.StatusOK)
		default:
			mgmt.ServeHTTP(w, r)
		}
	})
}

// Listen binds addr. A taken port becomes *PortInUseError.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Addr: addr}
		}
		return nil, fmt.Errorf("server: listen %s: %w", addr, err)
	}
	return ln, nil
}

// Request bodies get a read deadline of their own: net/http bounds only the
// header read (ReadHeaderTimeout), so a client that declares a body and never
// sends it would otherwise hold its connection and goroutine forever. The
// deadline grows with the declared size so a large agent request on a slow
// uplink still gets through.
const (
	// DefaultBodyReadBase is what every body gets, however small.
	DefaultBodyReadBase = 60 * time.Second
	// bodyMinRate is the slowest upload tolerated on top of the base
	// (64 KiB/s, about 0.5 Mbit/s): 32 MiB get 60 s + 512 s.
	bodyMinRate = 64 << 10
	// unknownBodySize is assumed for a chunked body (no Content-Length):
	// the gateway's largest accepted body.
	unknownBodySize = 32 << 20
	// MaxHeaderBytes bounds request headers; net/http answers a larger
	// header block itself before any handler runs (Options.TooLarge puts
	// that answer in the client's dialect; the gateway refuses smaller
	// oversized headers itself).
	MaxHeaderBytes = 128 << 10
)

// Options tune a Server; the zero value is the production setting.
type Options struct {
	// BodyReadBase replaces DefaultBodyReadBase (tests shorten it).
	BodyReadBase time.Duration
	// TooLarge renders the answer to a header block over MaxHeaderBytes
	// (nil: net/http's plain text).
	TooLarge TooLargeAnswer
}

// BodyReadTimeout is how long a body of n bytes (n < 0: unknown) may take
// to arrive.
func BodyReadTimeout(base time.Duration, n int64) time.Duration {
	if n < 0 {
		n = unknownBodySize
	}
	return base + time.Duration(n/bodyMinRate)*time.Second
}

// withBodyDeadline sets the body read deadline of every request that has a
// body. net/http itself lifts it once the body is read to its end (it then
// only watches the connection for the client leaving), so it never cuts a
// long answer; requests without a body get none.
func withBodyDeadline(next http.Handler, base time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(BodyReadTimeout(base, r.ContentLength)))
		}
		next.ServeHTTP(w, r)
	})
}

// Start serves h on ln in the background.
func Start(ln net.Listener, h http.Handler, log *slog.Logger, o Options) *Server {
	if o.BodyReadBase <= 0 {
		o.BodyReadBase = DefaultBodyReadBase
	}
	s := &Server{ln: ln, log: log, done: make(chan error, 1), srv: &http.Server{
		Handler:           withBodyDeadline(h, o.BodyReadBase),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Handlers reach the connection to hold a stream's writes
		// (rawsock.Holder).
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if h, ok := c.(*headerConn); ok {
				c = h.Conn
			}
			return rawsock.NewContext(ctx, c)
		},
	}}
	go func() {
		err := s.srv.Serve(headerLimitListener{Listener: rawsock.Listener(ln), answer: o.TooLarge})
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s
}

// Addr is the real listening address (after port 0 was resolved).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Done delivers the serve loop's exit error.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops accepting, lets in-flight requests (streams included)
// finish until ctx expires, then cuts the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown deadline reached; closing remaining connections")
		return s.srv.Close()
	}
	return err
}

// RegisterOnShutdown runs f when Shutdown starts (streams use it to end
// cleanly with their terminal frame).
func (s *Server) RegisterOnShutdown(f func()) { s.srv.RegisterOnShutdown(f) }
