package mgmt

import (
	"errors"
	"net/http"
	"strconv"
	"time"

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
	api("POST /api/providers/discover", func(w http.ResponseWriter, r *http.Request) {
		var in ProviderInput
		if !h.decode(w, r, &in) {
			return
		}
		ids, err := h.svc.DiscoverModels(r.Context(), in)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, ids)
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
	h.logRoutes()
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

// logFilter reads a log filter from a query string (the Logs page keeps
// the same names in its URL).
func logFilter(r *http.Request) usage.Filter {
	q := r.URL.Query()
	f := usage.Filter{Provider: q.Get("provider"), Model: q.Get("model"), KeyName: q.Get("key"), Account: q.Get("account"),
		Dialect: q.Get("dialect"), Status: q.Get("status"), ErrorKind: q.Get("errorKind"), Stream: q.Get("stream"), Q: q.Get("q")}
	num := func(k string) int64 { n, _ := strconv.ParseInt(q.Get(k), 10, 64); return n }
	f.Since, f.Before, f.CursorTS, f.CursorID = num("since"), num("before"), num("cursorTs"), num("cursorId")
	f.Limit = int(num("limit"))
	return f
}

func (h *HTTP) logs(w http.ResponseWriter, r *http.Request) {
	rows, err := h.svc.Logs(r.Context(), logFilter(r))
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, rows)
}

func (h *HTTP) logRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/logs", h.logs)
	api("GET /api/logs/facets", func(w http.ResponseWriter, r *http.Request) {
		f, err := h.svc.LogFacets(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, f)
	})
	api("GET /api/logs/export", h.exportLogs)
	api("GET /api/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "a log row id is a number")
			return
		}
		row, err := h.svc.LogDetail(r.Context(), id)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, row)
	})
}

// exportLogs streams the filtered log as CSV or JSON Lines, row by row
// (format=csv|jsonl; the page's filter; no limit unless one is given).
func (h *HTTP) exportLogs(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	ctype := map[string]string{usage.FormatCSV: "text/csv; charset=utf-8", usage.FormatJSONL: "application/x-ndjson"}[format]
	if ctype == "" {
		writeError(w, http.StatusBadRequest, "invalid", "format must be csv or jsonl")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="switchboard-logs-`+time.Now().Format("20060102-150405")+"."+format+`"`)
	if _, err := h.svc.ExportLogs(r.Context(), logFilter(r), format, w); err != nil {
		// The status line is gone; the cut body tells the client.
		h.log.Warn("log export ended early", "err", err)
	}
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
