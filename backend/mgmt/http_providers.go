package mgmt

import (
	"errors"
	"net/http"
	"strconv"

	"switchboard/backend/accounts"
	"switchboard/backend/usage"
)

func (h *HTTP) providerRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/catalog", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Catalog()) })
	api("GET /api/providers", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Providers()) })
	api("POST /api/providers", func(w http.ResponseWriter, r *http.Request) {
		var in ProviderInput
		if h.decode(w, r, &in) {
			h.done(w, r, h.svc.SaveProvider(r.Context(), in), http.StatusNoContent)
		}
	})
	api("DELETE /api/providers/{id}", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.DeleteProvider(r.Context(), r.PathValue("id")), http.StatusNoContent)
	})
	api("POST /api/providers/{id}/accounts", func(w http.ResponseWriter, r *http.Request) {
		var in AccountInput
		if !h.decode(w, r, &in) {
			return
		}
		a, err := h.svc.AddAccount(r.Context(), r.PathValue("id"), in)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, a)
	})
	api("PATCH /api/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		var p accounts.AccountPatch
		if h.decode(w, r, &p) {
			h.done(w, r, h.svc.UpdateAccount(r.Context(), r.PathValue("id"), p), http.StatusNoContent)
		}
	})
	api("DELETE /api/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.DeleteAccount(r.Context(), r.PathValue("id")), http.StatusNoContent)
	})
	api("POST /api/providers/{id}/test", func(w http.ResponseWriter, r *http.Request) {
		res, err := h.svc.TestProvider(r.Context(), r.PathValue("id"), r.URL.Query().Get("account"))
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, res)
	})
	api("GET /api/models", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Models()) })
	api("GET /api/aliases", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Aliases()) })
	api("PUT /api/aliases", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Alias, Target string }
		if h.decode(w, r, &in) {
			h.done(w, r, h.svc.SetAlias(r.Context(), in.Alias, in.Target), http.StatusNoContent)
		}
	})
	api("GET /api/logs", h.logs)
	api("GET /api/health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Health()) })
	api("POST /api/health/reset", func(w http.ResponseWriter, r *http.Request) {
		n := h.svc.ResetHealth(r.URL.Query().Get("provider"), r.URL.Query().Get("account"))
		writeJSON(w, 200, map[string]int{"cleared": n})
	})
	api("GET /api/combos", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Combos()) })
	api("GET /api/combos/suggested", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.SuggestedCombo()) })
	api("POST /api/combos", func(w http.ResponseWriter, r *http.Request) {
		var in ComboInput
		if h.decode(w, r, &in) {
			h.done(w, r, h.svc.SaveCombo(r.Context(), in), http.StatusNoContent)
		}
	})
	api("DELETE /api/combos/{name}", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.DeleteCombo(r.Context(), r.PathValue("name")), http.StatusNoContent)
	})
	api("GET /api/events/recent", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		rows, err := h.svc.Events(r.Context(), limit)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, rows)
	})
}

func (h *HTTP) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := usage.Filter{Provider: q.Get("provider"), Model: q.Get("model"), KeyName: q.Get("key"),
		Status: q.Get("status"), ErrorKind: q.Get("errorKind")}
	f.Since, _ = strconv.ParseInt(q.Get("since"), 10, 64)
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	rows, err := h.svc.Logs(r.Context(), f)
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, rows)
}

func (h *HTTP) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeBody(r, v); err != nil {
		if errors.Is(err, errBodyTimeout) {
			refuseBody(w, r)
			writeError(w, http.StatusRequestTimeout, "body_timeout", err.Error())
			return false
		}
		writeError(w, http.StatusBadRequest, "invalid_body", err.Error())
		return false
	}
	return true
}

func (h *HTTP) done(w http.ResponseWriter, r *http.Request, err error, status int) {
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	w.WriteHeader(status)
}

func isUserError(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, accounts.ErrInvalid)
}
