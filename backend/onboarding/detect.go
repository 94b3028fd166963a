// Package onboarding finds what a machine already has that Switchboard can
// use (coding CLIs and their sign-ins, provider keys in the environment,
// local model servers, other gateways' setups) and keeps whether the
// first-run setup is complete. It only reads: every write the setup makes
// goes through the existing services (accounts, combos, clitools, keys).
package onboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"switchboard/backend/clitools"
	"switchboard/backend/transfer"
)

// ProbeTimeout bounds each local server probe: a server that is up answers
// its model list in milliseconds; the setup page must not hang on one that
// is not.
const ProbeTimeout = 1500 * time.Millisecond

// Tool is a coding CLI whose binary is on PATH.
type Tool struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	BinaryPath string `json:"binaryPath"`
	State      string `json:"state"` // clitools.State*: ours | other | untouched | malformed
	Model      string `json:"model,omitempty"`
	Managed    bool   `json:"managed"`
}

// SignIn is a subscription login a vendor CLI keeps that can be imported.
type SignIn struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Source   string `json:"source"` // the file (or keychain item) it would be read from
	// Connected: Switchboard already has a sign-in account for Provider.
	Connected bool `json:"connected,omitempty"`
}

// LocalTarget is a local model server to probe.
type LocalTarget struct {
	ID   string // catalog provider id (ollama, lmstudio)
	Name string
	URL  string // the server's root, e.g. http://127.0.0.1:11434
}

// LocalServer is what a probe found.
type LocalServer struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	URL       string   `json:"url"`
	Reachable bool     `json:"reachable"`
	Models    []string `json:"models"`
	Error     string   `json:"error,omitempty"`
	// Added: the provider is configured and usable already.
	Added bool `json:"added,omitempty"`
}

// Report is everything found.
type Report struct {
	Tools   []Tool                `json:"tools"`
	SignIns []SignIn              `json:"signIns"`
	Keys    []DetectedKey         `json:"keys"`
	Local   []LocalServer         `json:"local"`
	Peers   []transfer.PeerSource `json:"peers"`
}

// SignInProvider is a subscription provider whose CLI login may exist.
type SignInProvider struct {
	ID   string
	Name string
}

// Sources is where Detect looks; each part is injectable so tests use a
// temporary HOME, PATH, environment and an httptest server.
type Sources struct {
	Tools           func(context.Context) []clitools.Status
	SignInProviders []SignInProvider
	FindSignIn      func(providerID string) (source string, found bool)
	Peers           func() []transfer.PeerSource
	Getenv          func(string) string
	Local           []LocalTarget
	Client          *http.Client
}

// Detect looks everywhere at once; local probes run concurrently.
func Detect(ctx context.Context, src Sources) Report {
	r := Report{Tools: []Tool{}, SignIns: []SignIn{}, Keys: []DetectedKey{}, Local: []LocalServer{}, Peers: []transfer.PeerSource{}}
	var wg sync.WaitGroup
	r.Local = make([]LocalServer, len(src.Local))
	for i, t := range src.Local {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Local[i] = probe(ctx, src.Client, t)
		}()
	}
	if src.Tools != nil {
		for _, st := range src.Tools(ctx) {
			// installed means the binary is on PATH, never that a config
			// folder exists
			if st.BinaryPath == "" {
				continue
			}
			r.Tools = append(r.Tools, Tool{ID: st.ID, Name: st.Name, BinaryPath: st.BinaryPath, State: st.State,
				Model: st.Model, Managed: st.Managed})
		}
	}
	if src.FindSignIn != nil {
		for _, p := range src.SignInProviders {
			if source, found := src.FindSignIn(p.ID); found {
				r.SignIns = append(r.SignIns, SignIn{Provider: p.ID, Name: p.Name, Source: source})
			}
		}
	}
	if src.Getenv != nil {
		r.Keys = envKeys(src.Getenv)
	}
	if src.Peers != nil {
		for _, p := range src.Peers() {
			if p.Found {
				r.Peers = append(r.Peers, p)
			}
		}
	}
	wg.Wait()
	return r
}

// probe asks a local server for its models: Ollama's native /api/tags,
// else the OpenAI-compatible /v1/models LM Studio serves.
func probe(ctx context.Context, c *http.Client, t LocalTarget) LocalServer {
	s := LocalServer{ID: t.ID, Name: t.Name, URL: t.URL, Models: []string{}}
	if c == nil {
		c = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	path := "/v1/models"
	if t.ID == "ollama" {
		path = "/api/tags"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.URL, "/")+path, nil)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	res, err := c.Do(req)
	if err != nil {
		s.Error = "not reachable"
		return s
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.Error = fmt.Sprintf("answered %s", res.Status)
		return s
	}
	var body struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body); err != nil {
		s.Error = "answered something that is not a model list"
		return s
	}
	s.Reachable = true
	for _, m := range body.Models {
		s.Models = append(s.Models, m.Name)
	}
	for _, m := range body.Data {
		s.Models = append(s.Models, m.ID)
	}
	return s
}

// Default addresses of the local servers.
const (
	DefaultOllamaURL   = "http://127.0.0.1:11434"
	DefaultLMStudioURL = "http://127.0.0.1:1234"
)

// DefaultLocal is where Ollama and LM Studio listen: Ollama honours
// OLLAMA_HOST ("host:port", "host", or a URL), as its own CLI does.
func DefaultLocal(getenv func(string) string) []LocalTarget {
	return []LocalTarget{
		{ID: "ollama", Name: "Ollama", URL: OllamaURL(getenv("OLLAMA_HOST"))},
		{ID: "lmstudio", Name: "LM Studio", URL: DefaultLMStudioURL},
	}
}

// OllamaURL turns an OLLAMA_HOST value into the server's root URL. A
// wildcard listen address is reached on loopback.
func OllamaURL(host string) string {
	host = strings.TrimSpace(host)
	if host == "" {
		return DefaultOllamaURL
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Hostname() == "" && u.Port() == "" {
		return DefaultOllamaURL
	}
	h, port := u.Hostname(), u.Port()
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = "127.0.0.1"
	}
	if port == "" {
		port = "11434"
	}
	u.Host = h + ":" + port
	if strings.Contains(h, ":") {
		u.Host = "[" + h + "]:" + port
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String()
}
