package mgmt

import (
	"net/http"
	"net/url"
	"strconv"

	"switchboard/backend/usage"
)

// costRoutes serve Analytics, the price list and its overrides, and the
// request log's retention and size.
func (h *HTTP) costRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/analytics", func(w http.ResponseWriter, r *http.Request) {
		q, err := analyticsQuery(r.URL.Query())
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		rep, err := h.svc.Analytics(r.Context(), q)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, rep)
	})
	api("GET /api/prices", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Prices()) })
	api("PUT /api/prices", func(w http.ResponseWriter, r *http.Request) {
		var o usage.Override
		if !h.decode(w, r, &o) {
			return
		}
		h.done(w, r, h.svc.SetPrice(r.Context(), o), http.StatusNoContent)
	})
	api("DELETE /api/prices", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		h.done(w, r, h.svc.DeletePrice(r.Context(), q.Get("provider"), q.Get("model")), http.StatusNoContent)
	})
	api("GET /api/storage", func(w http.ResponseWriter, r *http.Request) {
		v, err := h.svc.Storage(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, v)
	})
	api("PUT /api/storage/retention", func(w http.ResponseWriter, r *http.Request) {
		var ret usage.Retention
		if !h.decode(w, r, &ret) {
			return
		}
		v, err := h.svc.SaveRetention(r.Context(), ret)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, v)
	})
}

// analyticsQuery reads GET /api/analytics' parameters (times in unix ms).
func analyticsQuery(v url.Values) (usage.AnalyticsQuery, error) {
	q := usage.AnalyticsQuery{Bucket: v.Get("bucket"), GroupBy: v.Get("groupBy"), Provider: v.Get("provider"),
		Account: v.Get("account"), Model: v.Get("model"), Key: v.Get("key"), Tool: v.Get("tool"), Combo: v.Get("combo")}
	for name, dst := range map[string]*int64{"from": &q.From, "to": &q.To} {
		if s := v.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return q, &paramError{name, s}
			}
			*dst = n
		}
	}
	if s := v.Get("tz"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, &paramError{"tz", s}
		}
		q.TZOffsetMin = n
	}
	return q, nil
}

type paramError struct{ name, value string }

func (e *paramError) Error() string {
	return e.name + " " + strconv.Quote(e.value) + " is not a whole number"
}
