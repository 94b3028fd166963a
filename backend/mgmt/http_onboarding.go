package mgmt

import (
	"net/http"

	"switchboard/backend/onboarding"
)

// onboardingRoutes serves the first-run setup: its state, what the machine
// has, and the steps that are not already an endpoint of their own.
func (h *HTTP) onboardingRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/onboarding", func(w http.ResponseWriter, r *http.Request) {
		st, err := h.svc.GetOnboarding(r.Context())
		h.result(w, r, st, err)
	})
	api("PUT /api/onboarding", func(w http.ResponseWriter, r *http.Request) {
		var st onboarding.State
		if h.decode(w, r, &st) {
			out, err := h.svc.SaveOnboarding(r.Context(), st)
			h.result(w, r, out, err)
		}
	})
	api("GET /api/onboarding/detect", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, h.svc.DetectSetup(r.Context()))
	})
	api("POST /api/onboarding/env-keys/{var}", func(w http.ResponseWriter, r *http.Request) {
		a, err := h.svc.AddEnvKey(r.Context(), r.PathValue("var"))
		h.result(w, r, a, err)
	})
	api("POST /api/onboarding/local/{id}", func(w http.ResponseWriter, r *http.Request) {
		p, err := h.svc.AddLocalServer(r.Context(), r.PathValue("id"))
		h.result(w, r, p, err)
	})
	api("POST /api/onboarding/test", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model string `json:"model"`
		}
		if h.decode(w, r, &body) {
			res, err := h.svc.SendSetupTest(r.Context(), body.Model)
			h.result(w, r, res, err)
		}
	})
}
