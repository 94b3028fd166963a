package mgmt

import (
	"errors"
	"net/http"

	"switchboard/backend/playground"
)

// playgroundRoutes serve the translator playground. Bodies are bounded by
// decodeBody (1 MiB) and the playground itself (playground.MaxBody).
func (h *HTTP) playgroundRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/playground/examples", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, h.svc.PlaygroundExamples())
	})
	api("POST /api/playground/translate", func(w http.ResponseWriter, r *http.Request) {
		var in playground.TranslateInput
		if !h.decode(w, r, &in) {
			return
		}
		t, err := h.svc.PlaygroundTranslate(in)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	api("POST /api/playground/send", func(w http.ResponseWriter, r *http.Request) {
		var in playground.SendInput
		if !h.decode(w, r, &in) {
			return
		}
		res, err := h.svc.PlaygroundSend(r.Context(), in)
		if errors.Is(err, errNoRouting) {
			writeError(w, http.StatusServiceUnavailable, "not_running", "the gateway is not running: nothing can be sent")
			return
		}
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}
