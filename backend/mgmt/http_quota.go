package mgmt

import (
	"errors"
	"net/http"

	"switchboard/backend/quota"
)

// quotaRoutes serves the quota windows: the Limits page reads them and
// asks for a fresh poll; the tray reads each provider's tightest window.
func (h *HTTP) quotaRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/quota", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Quota()) })
	api("GET /api/quota/tray", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.TrayQuota()) })
	api("POST /api/quota/{accountId}/refresh", func(w http.ResponseWriter, r *http.Request) {
		v, err := h.svc.RefreshQuota(r.Context(), r.PathValue("accountId"))
		if errors.Is(err, quota.ErrPollFailed) {
			// The vendor's endpoint failed, not Switchboard: say what it said.
			writeError(w, http.StatusBadGateway, "usage_endpoint_failed", err.Error())
			return
		}
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, v)
	})
}
