package gateway

import "net/http"

// ServeLocal serves a request the management side makes on its own (the
// translator playground): it is routed, sent and logged like a client's,
// with keyName as the log row's key. No local key is checked: the caller
// holds a dashboard session, and it is never reachable from /v1. The
// caller bounds the body and reads the answer from w.
func (g *Gateway) ServeLocal(w http.ResponseWriter, r *http.Request, keyName string) {
	g.requests.Add(1)
	g.mux.ServeHTTP(w, r.WithContext(withKeyName(r.Context(), keyName)))
}
