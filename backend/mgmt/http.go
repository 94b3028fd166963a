package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/events"
	"switchboard/backend/keys"
	"switchboard/backend/usage"
)

// HTTP serves the management API, the login link and the dashboard.
type HTTP struct {
	svc      *Services
	sessions *Sessions
	guard    *HostGuard
	ui       fs.FS // built dashboard; nil when not embedded
	mux      *http.ServeMux
	log      *slog.Logger
	stop     chan struct{} // closed at shutdown: live event streams end
	stopOnce sync.Once
}

// Stop ends open live-event streams so a shutdown does not wait on them.
func (h *HTTP) Stop() { h.stopOnce.Do(func() { close(h.stop) }) }

// NewHTTP builds the handler. ui may be nil.
func NewHTTP(svc *Services, sessions *Sessions, guard *HostGuard, ui fs.FS, log *slog.Logger) *HTTP {
	h := &HTTP{svc: svc, sessions: sessions, guard: guard, ui: ui, mux: http.NewServeMux(), log: log, stop: make(chan struct{})}
	h.routes()
	return h
}

func (h *HTTP) routes() {
	api := func(pattern string, fn http.HandlerFunc) { h.mux.Handle(pattern, h.requireSession(fn)) }
	api("GET /api/status", h.getStatus)
	api("GET /api/keys", h.listKeys)
	api("POST /api/keys", h.createKey)
	api("DELETE /api/keys/{id}", h.revokeKey)
	api("PUT /api/keys/{id}/policy", func(w http.ResponseWriter, r *http.Request) {
		var p keys.Policy
		if !h.decode(w, r, &p) {
			return
		}
		k, err := h.svc.SetKeyPolicy(r.Context(), r.PathValue("id"), p)
		if err != nil {
			h.serviceError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, k)
	})
	api("GET /api/settings", h.getSettings)
	api("PUT /api/settings", h.putSettings)
	api("GET /api/events", h.streamEvents)
	api("POST /api/app/quit", func(w http.ResponseWriter, r *http.Request) {
		if !h.svc.Quit() {
			writeError(w, http.StatusNotFound, "no_window", "this Switchboard runs headless; stop it with SIGTERM")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h.providerRoutes()
	h.signinRoutes()
	h.toolRoutes()
	h.desktopRoutes()
	h.quotaRoutes()
	h.portableRoutes()
	h.onboardingRoutes()

	h.costRoutes()
	h.playgroundRoutes()
	h.mux.Handle("/api/", h.requireSession(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such management endpoint: "+r.Method+" "+r.URL.Path)
	}))
	// Prometheus scrapers cannot log in: /metrics needs no session, is
	// off unless switched on, and answers loopback clients only.
	h.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if h.svc.rt.Metrics == nil {
			http.NotFound(w, r)
			return
		}
		h.svc.rt.Metrics.ServeHTTP(w, r)
	})
	h.mux.HandleFunc("GET /login", h.login)
	// Instance handoff: a second launch finds the running app on its port and
	// asks it to show its window. No session needed; it reveals nothing and
	// can only focus a window (cross-origin POSTs are still refused).
	h.mux.HandleFunc("GET /api/instance", func(w http.ResponseWriter, r *http.Request) {
		st := h.svc.Status()
		writeJSON(w, 200, map[string]string{"app": "switchboard", "version": st.Version, "mode": st.Mode})
	})
	h.mux.HandleFunc("POST /api/instance/show", func(w http.ResponseWriter, r *http.Request) {
		if !h.svc.ShowWindow() {
			writeError(w, http.StatusNotFound, "no_window", "this Switchboard runs headless")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h.mux.Handle("/", dashboard(h.ui))
}

// ServeHTTP applies the host guard and cross-origin protection to
// everything it serves.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.guard.Wrap(crossOrigin(h.mux)).ServeHTTP(w, r)
}

// crossOrigin rejects cross-origin non-safe requests (a page elsewhere
// POSTing to /api) with a JSON error. API reads from another page are
// refused too, whatever the method: another port on 127.0.0.1 is the same
// site, so the browser sends the session cookie along, and although it
// would not let that page read the answer, nothing of the API should run
// for it (Sec-Fetch-Site, sent by every current browser, says who asks).
func crossOrigin(next http.Handler) http.Handler {
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuseBody(w, r)
		writeError(w, http.StatusForbidden, "cross_origin", "cross-origin requests to the management API are refused")
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(deny)
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
				deny(w, r)
				return
			}
		}
		protected.ServeHTTP(w, r)
	})
}

func (h *HTTP) requireSession(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.sessions.Valid(FromRequest(r)) {
			refuseBody(w, r)
			writeError(w, http.StatusUnauthorized, "login_required",
				"not logged in: open the one-time login link printed in Switchboard's log")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r)
	})
}

func (h *HTTP) login(w http.ResponseWriter, r *http.Request) {
	id, ok := h.sessions.Redeem(r.URL.Query().Get("token"))
	if !ok {
		if h.sessions.Valid(FromRequest(r)) {
			// Already signed in here (the link was opened twice): go on.
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		writeLoginPage(w)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(h.sessions.TTL().Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// loginPage is what a browser shows for a used or bad login link: a page
// that says how to get a new one, not a JSON error.
const loginPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Login link not valid · Switchboard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}
main{max-width:34rem;margin:1rem;padding:1.6rem 1.8rem;background:#fff;border:1px solid #dde1e8;border-radius:12px}
h1{font-size:1.3rem;margin:0 0 .6rem}code{background:#eef0f4;padding:.1rem .3rem;border-radius:4px}
@media (prefers-color-scheme:dark){body{background:#12151b;color:#e6e9ef}main{background:#1a1e26;border-color:#2c323d}code{background:#262b35}}</style>
</head><body><main data-testid="login-link-invalid">
<h1>This login link does not work any more</h1>
<p>Each login link opens the dashboard once: this one was already used, or it is not the current one
(Switchboard makes a new link every time it starts).</p>
<p><strong>To get a new link:</strong> restart Switchboard (for example <code>switchboard serve</code>) and open
the link it prints in its log, on the line that says <code>dashboard login (one-time link)</code>.</p>
<p>If you signed in with this browser before, the dashboard may still be open to you:
<a href="/">go to the dashboard</a>.</p>
</main></body></html>
`

func writeLoginPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = io.WriteString(w, loginPage)
}

func (h *HTTP) getStatus(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.Status()) }

func (h *HTTP) listKeys(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, h.svc.ListKeys()) }

func (h *HTTP) createKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name   string       `json:"name"`
		Policy *keys.Policy `json:"policy"`
	}
	if !h.decode(w, r, &body) {
		return
	}
	var p keys.Policy
	if body.Policy != nil {
		p = *body.Policy
	}
	ck, err := h.svc.CreateKeyWithPolicy(r.Context(), body.Name, keys.SourceDashboard, p)
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ck)
}

func (h *HTTP) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.RevokeKey(r.Context(), r.PathValue("id")); err != nil {
		h.serviceError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *HTTP) getSettings(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.GetSettings(r.Context())
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, st)
}

func (h *HTTP) putSettings(w http.ResponseWriter, r *http.Request) {
	var st Settings
	if !h.decode(w, r, &st) {
		return
	}
	saved, err := h.svc.SaveSettings(r.Context(), st)
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, 200, saved)
}

// streamEvents pushes status snapshots over SSE whenever something changes
// (a status event, request log rows written). The page extrapolates its
// uptime by itself; a comment line every sseKeepAlive is all an idle
// connection costs.
func (h *HTTP) streamEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "no_streaming", "streaming unsupported")
		return
	}
	sub := h.svc.Bus().Subscribe(16)
	if sub == nil {
		writeError(w, http.StatusServiceUnavailable, "too_many_listeners", "too many live views open")
		return
	}
	defer sub.Close()
	stored, stopStored := h.svc.WaitRowsStored()
	defer stopStored()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	write := func(b []byte) bool {
		_, err := w.Write(b)
		fl.Flush()
		return err == nil
	}
	send := func() bool {
		b, _ := json.Marshal(h.svc.Status())
		return write(append(append([]byte("event: status\ndata: "), b...), '\n', '\n'))
	}
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	if !send() {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.stop:
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Kind == events.StatusChanged && !send() {
				return
			}
		case <-stored:
			if !send() {
				return
			}
		case <-keepAlive.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}

// sseKeepAlive spaces the comment lines that tell an idle live view the
// server is still there.
const sseKeepAlive = 30 * time.Second

const maxBody = 1 << 20

// errBodyTimeout: the body did not arrive before the server's body read
// deadline (see server.BodyReadTimeout).
var errBodyTimeout = errors.New("the request body did not arrive in time")

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errBodyTimeout
		}
		return errors.New("request body is not the expected JSON: " + err.Error())
	}
	return nil
}

// refuseBody makes the answer about to be written the connection's last and
// ends reads on it, so an unread body (a request refused before its body is
// read, or one that stalled) is not drained first: net/http would read it
// before writing the answer and again when the handler returns.
func refuseBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}

func (h *HTTP) serviceError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, keys.ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, usage.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", userMessage(err))
	case errors.Is(err, keys.ErrExists):
		writeError(w, http.StatusConflict, "exists", err.Error())
	case errors.Is(err, keys.ErrConfigOwned):
		writeError(w, http.StatusConflict, "config_owned", userMessage(err))
	case isUserError(err), errors.Is(err, keys.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", userMessage(err))
	default:
		// Storage failures are not phrased for users and may name files.
		h.log.Error("management request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error; see Switchboard's log")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// userMessage strips the package prefixes wrapped errors carry
// ("accounts: invalid: …"), leaving what the user must fix.
func userMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"accounts: invalid: ", "keys: invalid: ", "invalid: ", "provider: ", "accounts: ", "keys: ", "clitools: "} {
		for strings.HasPrefix(msg, p) {
			msg = strings.TrimPrefix(msg, p)
		}
	}
	return msg
}
