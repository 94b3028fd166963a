package mgmt

import (
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// dashboardCSP lets the dashboard load only its own files. The Vite build
// emits one module script and one stylesheet and nothing inline (component
// styles are extracted; the one script-set style goes through the CSSOM,
// which CSP does not govern), so neither needs 'unsafe-inline'. Vite
// inlines assets under 4 KiB as data: URLs, hence data: for images and
// fonts. The API and live events are same-origin.
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// notBuiltPage is what a binary built before the frontend serves instead of
// the dashboard (a fresh checkout embeds an empty frontend/dist).
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard: dashboard not built</title></head>
<body><h1>Dashboard not built</h1>
<p>This Switchboard binary was built without its dashboard. The gateway (/v1) and the
management API (/api) work. To get the dashboard, run <code>npm run build</code> in
<code>frontend/</code> (scripts/build.sh does it) and build Switchboard again.</p>
</body></html>
`

// dashboard serves the built Svelte files with a strict policy. It never
// lists a directory: a folder is served only through its index.html, and
// without a build every path answers the "not built" page.
func dashboard(ui fs.FS) http.Handler {
	built := ui != nil && isFile(ui, "index.html")
	var files http.Handler
	if built {
		files = http.FileServerFS(ui)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", dashboardCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY") // for browsers without frame-ancestors
		hd.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the dashboard only answers GET")
			return
		}
		if !built {
			hd.Set("Content-Type", "text/html; charset=utf-8")
			hd.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNotFound)
			if r.Method == http.MethodGet {
				_, _ = io.WriteString(w, notBuiltPage)
			}
			return
		}
		// FileServer would list a folder without index.html (or redirect
		// "/assets" to "/assets/" and list it there).
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if st, err := fs.Stat(ui, name); err == nil && st.IsDir() && !isFile(ui, path.Join(name, "index.html")) {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

func isFile(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && st.Mode().IsRegular()
}
