package mgmt

import "net/http"

// signinRoutes serve subscription sign-ins (see signin.go).
func (h *HTTP) signinRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/signin", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.SignInProviders()) })
	api("GET /api/signin/log", func(w http.ResponseWriter, r *http.Request) {
		l, err := h.svc.RefreshLog(r.Context())
		h.answer(w, r, l, err, http.StatusOK)
	})
	api("POST /api/signin/{provider}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Account string `json:"account"`
		}
		if h.decode(w, r, &in) {
			f, err := h.svc.StartSignIn(r.Context(), r.PathValue("provider"), in.Account)
			h.answer(w, r, f, err, http.StatusCreated)
		}
	})
	api("POST /api/signin/{provider}/import", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Account string `json:"account"`
		}
		if h.decode(w, r, &in) {
			a, err := h.svc.ImportSignIn(r.Context(), r.PathValue("provider"), in.Account)
			h.answer(w, r, a, err, http.StatusCreated)
		}
	})
	api("GET /api/signin/flows/{id}", func(w http.ResponseWriter, r *http.Request) {
		f, err := h.svc.SignInFlow(r.PathValue("id"))
		h.answer(w, r, f, err, http.StatusOK)
	})
	api("POST /api/signin/flows/{id}/code", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Code string `json:"code"`
		}
		if h.decode(w, r, &in) {
			f, err := h.svc.CompleteSignIn(r.Context(), r.PathValue("id"), in.Code)
			h.answer(w, r, f, err, http.StatusOK)
		}
	})
	api("DELETE /api/signin/flows/{id}", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.CancelSignIn(r.PathValue("id")), http.StatusNoContent)
	})
	api("POST /api/accounts/{id}/refresh", func(w http.ResponseWriter, r *http.Request) {
		a, err := h.svc.RefreshAccount(r.Context(), r.PathValue("id"))
		h.answer(w, r, a, err, http.StatusOK)
	})
}

// answer writes v with status, or the service error.
func (h *HTTP) answer(w http.ResponseWriter, r *http.Request, v any, err error, status int) {
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}
