package mgmt

import (
	"errors"
	"net/http"

	"switchboard/backend/notify"
)

// desktopRoutes serves the desktop services: notification preferences,
// launch at login, pause/resume, today's usage and the tray (the macOS
// tray helper reads the menu and posts clicks here with its per-launch
// session token).
func (h *HTTP) desktopRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/notifications", func(w http.ResponseWriter, r *http.Request) {
		p, err := h.svc.GetNotificationPrefs(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, p)
	})
	api("PUT /api/notifications", func(w http.ResponseWriter, r *http.Request) {
		var p notify.Prefs
		if !h.decode(w, r, &p) {
			return
		}
		saved, err := h.svc.SaveNotificationPrefs(r.Context(), p)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, saved)
	})
	api("GET /api/autostart", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.GetLaunchAtLogin()) })
	api("PUT /api/autostart", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Enabled bool `json:"enabled"`
		}
		if !h.decode(w, r, &in) {
			return
		}
		st, err := h.svc.SetLaunchAtLogin(in.Enabled)
		if err != nil {
			h.log.Warn("launch at login not changed", "err", err)
			// The reason (a read-only autostart folder, an unsupported
			// desktop) is the user's to fix, so it is shown, not hidden.
			writeError(w, http.StatusInternalServerError, "autostart_failed", "launch at login could not be changed: "+userMessage(err))
			return
		}
		writeJSON(w, 200, st)
	})
	api("GET /api/usage/today", func(w http.ResponseWriter, r *http.Request) {
		t, err := h.svc.TodayUsage(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, t)
	})
	api("GET /api/providers/paused", func(w http.ResponseWriter, r *http.Request) {
		ids, err := h.svc.PausedProviders(r.Context())
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, 200, ids)
	})
	api("POST /api/providers/{id}/pause", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.PauseProvider(r.Context(), r.PathValue("id")), http.StatusNoContent)
	})
	api("POST /api/providers/{id}/resume", func(w http.ResponseWriter, r *http.Request) {
		h.done(w, r, h.svc.ResumeProvider(r.Context(), r.PathValue("id")), http.StatusNoContent)
	})
	api("GET /api/tray", func(w http.ResponseWriter, r *http.Request) {
		m, err := h.svc.TrayMenu()
		if err != nil {
			writeError(w, http.StatusNotFound, "no_tray", err.Error())
			return
		}
		writeJSON(w, 200, m)
	})
	api("POST /api/tray/action", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Action string `json:"action"`
		}
		if !h.decode(w, r, &in) {
			return
		}
		err := h.svc.TrayAction(r.Context(), in.Action)
		if errors.Is(err, ErrNoTray) {
			writeError(w, http.StatusNotFound, "no_tray", err.Error())
			return
		}
		h.done(w, r, err, http.StatusNoContent)
	})
}
