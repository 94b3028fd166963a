package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
)

// maxSetupBody bounds an import request (the file travels base64 in JSON).
const maxSetupBody = 48 << 20

// portableRoutes serves backups, the setup export/import, the config
// export and the import from other gateways.
func (h *HTTP) portableRoutes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/backups", func(w http.ResponseWriter, r *http.Request) {
		l, err := h.svc.Backups(r.Context())
		h.reply(w, r, l, err)
	})
	api("POST /api/backups", func(w http.ResponseWriter, r *http.Request) {
		b, err := h.svc.CreateBackup(r.Context())
		h.reply(w, r, b, err)
	})
	api("POST /api/backups/{name}/restore", func(w http.ResponseWriter, r *http.Request) {
		res, err := h.svc.RestoreBackup(r.Context(), r.PathValue("name"))
		h.reply(w, r, res, err)
	})
	api("PUT /api/backups/settings", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Keep int `json:"keep"`
		}
		if !h.decode(w, r, &body) {
			return
		}
		st, err := h.svc.SaveBackupSettings(r.Context(), body.Keep)
		h.reply(w, r, st, err)
	})
	api("POST /api/setup/export", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Passphrase string `json:"passphrase"`
		}
		if !h.decode(w, r, &body) {
			return
		}
		f, err := h.svc.ExportSetupFile(r.Context(), body.Passphrase)
		h.reply(w, r, f, err)
	})
	api("POST /api/setup/import", func(w http.ResponseWriter, r *http.Request) {
		var in SetupImport
		dec := json.NewDecoder(io.LimitReader(r.Body, maxSetupBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				writeError(w, http.StatusRequestTimeout, "body_timeout", errBodyTimeout.Error())
				return
			}
			writeError(w, http.StatusBadRequest, "invalid_json", "request body is not the expected JSON: "+err.Error())
			return
		}
		rep, err := h.svc.ImportSetup(r.Context(), in)
		h.reply(w, r, rep, err)
	})
	api("GET /api/setup/config", func(w http.ResponseWriter, r *http.Request) {
		c, err := h.svc.ExportConfig(r.Context())
		h.reply(w, r, c, err)
	})
	api("GET /api/import/sources", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.PeerSources()) })
	api("POST /api/import", func(w http.ResponseWriter, r *http.Request) {
		var in PeerImport
		if !h.decode(w, r, &in) {
			return
		}
		rep, err := h.svc.ImportPeer(r.Context(), in)
		h.reply(w, r, rep, err)
	})
}

// reply writes v, or the service error.
func (h *HTTP) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, v)
}
