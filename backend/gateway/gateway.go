// Package gateway is the client-facing AI endpoint: /v1 (OpenAI Chat,
// Responses, Anthropic Messages) and /v1beta (Gemini), behind the local API
// keys. It decodes the client's dialect into the hub IR, asks the router for
// candidates, and streams the answer back in the client's dialect.
package gateway

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
	"switchboard/backend/keys"
)

// Gateway serves the AI endpoints.
type Gateway struct {
	keys     *keys.Service
	log      *slog.Logger
	mux      *http.ServeMux
	requests atomic.Int64
}

// Options wire a Gateway.
type Options struct {
	Keys *keys.Service
	Log  *slog.Logger
}

// New builds the gateway.
func New(o Options) *Gateway {
	g := &Gateway{keys: o.Keys, log: o.Log, mux: http.NewServeMux()}
	g.routes()
	return g
}

// Requests counts authenticated requests served.
func (g *Gateway) Requests() int64 { return g.requests.Load() }

func (g *Gateway) routes() {
	g.mux.HandleFunc("GET /v1/models", g.listModels)
	g.mux.HandleFunc("GET /v1beta/models", g.listModels)
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, dialectOf(r), ir.Errorf(ir.KindNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// ServeHTTP authenticates, then dispatches.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := dialectOf(r)
	key := presentedKey(r)
	if key == "" {
		writeError(w, d, ir.Errorf(ir.KindAuth, "missing API key: send your Switchboard key (sk-sb-…) as Authorization: Bearer, x-api-key or x-goog-api-key"))
		return
	}
	if _, ok := g.keys.Verify(key); !ok {
		writeError(w, d, ir.Errorf(ir.KindAuth, "invalid API key: create one with `switchboard keys create --name NAME` or in the dashboard"))
		return
	}
	g.requests.Add(1)
	g.mux.ServeHTTP(w, r)
}

// listModels answers the model list in the caller's dialect. The list holds
// only models that are actually routable.
func (g *Gateway) listModels(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch dialectOf(r) {
	case dialect.Anthropic:
		_, _ = w.Write([]byte(`{"data":[],"has_more":false,"first_id":null,"last_id":null}`))
	case dialect.Gemini:
		_, _ = w.Write([]byte(`{"models":[]}`))
	default:
		_, _ = w.Write([]byte(`{"object":"list","data":[]}`))
	}
}
