package oauth

import (
	"errors"
	"html/template"
	"net"
	"net/http"
)

// serveRedirect answers the browser on the redirect path. It hands the
// query to Wait and renders what Wait makes of it, so the tab says whether
// the sign-in worked. Anything else on the port is refused: a loopback
// listener is reachable from every web page the browser has open.
func (p *Pending) serveRedirect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != p.ep.RedirectPath {
		http.NotFound(w, r)
		return
	}
	// A DNS-rebinding page reaches 127.0.0.1 under its own host name.
	if host, _, err := net.SplitHostPort(r.Host); err != nil || !isLoopbackHost(host) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rd := redirect{query: r.URL.Query(), reply: make(chan error, 1)}
	select {
	case p.redirects <- rd:
	case <-p.done:
		p.writePage(w, errFinished)
		return
	case <-r.Context().Done():
		return
	}
	select {
	case err := <-rd.reply:
		p.writePage(w, err)
	case <-r.Context().Done():
	}
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}
h1{font-size:1.3em}.err{color:#a00}</style></head>
<body><h1{{if .Failed}} class="err"{{end}}>{{.Title}}</h1><p>{{.Body}}</p></body></html>
`))

// writePage renders the outcome. The error text is the package's own
// message (server text in it is already trimmed); it holds no secret.
func (p *Pending) writePage(w http.ResponseWriter, err error) {
	data := struct {
		Title, Body string
		Failed      bool
	}{Title: "Signed in", Body: "Switchboard is signed in to " + p.ep.label() + ". You can close this tab."}
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadRequest
		data.Title, data.Body, data.Failed = "Sign-in failed", err.Error()+". You can close this tab and try again in Switchboard.", true
		if errors.Is(err, errFinished) {
			status, data.Title = http.StatusConflict, "Sign-in already finished"
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data)
}
