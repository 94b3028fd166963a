package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"switchboard/backend/config"
	"switchboard/backend/internal/vendorsim"
	"switchboard/backend/oauth/idpsim"
	"switchboard/backend/signin"
)

// Gemini Code Assist through a Google sign-in, end to end: the official
// SDKs → the gateway → a scripted Cloud Code server speaking the envelope.
// The Cloud Code server sits in front of a Gemini API (a scripted upstream
// or a reasoning vendor), so every script and check of those applies.

const (
	ccProvider = "gemini-code-assist"
	ccProject  = "proj-it-7"
	ccSecret   = "GOCSPX-integration"
)

// cloudCode is the scripted Cloud Code server.
type cloudCode struct {
	t     *testing.T
	srv   *httptest.Server
	inner string // the Gemini API behind it (its root)
	key   string // and its key
	hc    *http.Client

	mu      sync.Mutex
	revoked map[string]bool
	calls   []ccCall
}

// ccCall is one request as Cloud Code got it.
type ccCall struct {
	path, token, ua string
	env             gjson.Result
}

func newCloudCode(t *testing.T, inner, key string) *cloudCode {
	c := &cloudCode{t: t, inner: inner, key: key, revoked: map[string]bool{},
		hc: &http.Client{Transport: &http.Transport{}, Timeout: 2 * testTimeout}}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(func() {
		c.srv.CloseClientConnections()
		c.srv.Close()
		c.hc.CloseIdleConnections()
	})
	return c
}

func (c *cloudCode) revoke(tok string) {
	c.mu.Lock()
	c.revoked[tok] = true
	c.mu.Unlock()
}

func (c *cloudCode) seen() []ccCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ccCall(nil), c.calls...)
}

func (c *cloudCode) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c.mu.Lock()
	c.calls = append(c.calls, ccCall{path: r.URL.Path, token: tok, ua: r.Header.Get("User-Agent"), env: gjson.ParseBytes(raw)})
	bad := c.revoked[tok] || !strings.HasPrefix(tok, "at-") || r.Header.Get("X-Goog-Api-Key") != ""
	c.mu.Unlock()
	if bad {
		writeJSON(w, http.StatusUnauthorized, vendorError(dGemini, 401, "Request had invalid authentication credentials."))
		return
	}
	switch r.URL.Path {
	case "/v1internal:loadCodeAssist":
		writeJSON(w, 200, `{"currentTier":{"id":"free-tier"},"cloudaicompanionProject":"`+ccProject+`"}`)
	case "/v1internal:generateContent", "/v1internal:streamGenerateContent":
		c.forward(w, r, gjson.ParseBytes(raw))
	default:
		writeJSON(w, 404, vendorError(dGemini, 404, "no route "+r.URL.Path))
	}
}

// forward unwraps the envelope, asks the Gemini API behind, and wraps
// every answer in {"response":…,"traceId":…} the way Cloud Code does.
func (c *cloudCode) forward(w http.ResponseWriter, r *http.Request, env gjson.Result) {
	model, req := env.Get("model").String(), env.Get("request")
	if env.Get("project").String() != ccProject || model == "" || !req.IsObject() {
		writeJSON(w, 400, vendorError(dGemini, 400, "bad envelope: "+env.Raw))
		return
	}
	u := c.inner + "/v1beta/models/" + model + strings.TrimPrefix(r.URL.Path, "/v1internal")
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	out, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, u, strings.NewReader(req.Raw))
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("X-Goog-Api-Key", c.key)
	resp, err := c.hc.Do(out)
	if err != nil {
		panic(http.ErrAbortHandler) // the API behind dropped the connection: so does Cloud Code
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	switch {
	case resp.StatusCode != 200:
		_, _ = io.Copy(w, resp.Body)
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
		wrapStream(w, resp.Body)
	default:
		b, _ := io.ReadAll(resp.Body)
		_, _ = io.WriteString(w, `{"response":`+string(b)+`,"traceId":"tr-it"}`)
	}
}

// wrapStream wraps each data line, passes the rest, and cuts when the API
// behind cut.
func wrapStream(w http.ResponseWriter, body io.Reader) {
	fl := w.(http.Flusher)
	br := bufio.NewReader(body)
	for {
		line, err := br.ReadString('\n')
		if payload, ok := strings.CutPrefix(line, "data: "); ok && !strings.HasPrefix(payload, `{"error"`) {
			line = `data: {"response":` + strings.TrimRight(payload, "\r\n") + `,"traceId":"tr-it"}` + "\n"
		}
		_, _ = io.WriteString(w, line)
		if strings.TrimSpace(line) == "" {
			fl.Flush()
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	}
}

// googleIDP is the identity server shaped like Google's.
func googleIDP(t *testing.T) *idpsim.Server {
	idp := idpsim.New(t)
	idp.Set(func(s *idpsim.Server) {
		s.ClientSecret = ccSecret
		s.IDToken = idpsim.FakeJWT(map[string]any{"iss": "https://accounts.google.com", "sub": "42", "email": "coder@example.com"})
	})
	return idp
}

// ccProv declares the Cloud Code provider id (Gemini Code Assist or
// Antigravity) at c, signing in at idp.
func ccProv(id string, c *cloudCode, idp *idpsim.Server, models ...string) prov {
	empty, port := "", 0
	return prov{id: id, cfg: &config.ProviderConfig{ID: id, BaseURL: c.srv.URL, AllowLocal: true, Models: models,
		SignIn: &config.SignInConfig{AuthURL: idp.URL() + "/authorize", TokenURL: idp.URL() + "/token", ClientID: idp.ClientID,
			ClientSecret: ccSecret, ManualRedirectURL: &empty, RedirectPort: &port}}}
}

// signInCloudCode signs the gateway in to the Cloud Code provider id.
func signInCloudCode(t *testing.T, g *gateway, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	f, err := g.in.SignIns.Start(ctx, signin.StartOptions{Provider: id})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v, err := g.in.SignIns.Wait(ctx, f.ID); err != nil || v.Status != signin.FlowDone {
		t.Fatalf("sign-in: %+v, %v", v, err)
	}
}

// ccGateway starts a scripted Gemini upstream behind Cloud Code and a
// gateway (with o and the extra providers) signed in to the Cloud Code
// provider id, serving models.
func ccGateway(t *testing.T, id string, o gwOpts, models []string, extra ...prov) (*gateway, *upstream, *cloudCode, *idpsim.Server) {
	t.Helper()
	inner := newUpstream(t, dGemini)
	cc := newCloudCode(t, inner.BaseURL(), upstreamKey(dGemini))
	idp := googleIDP(t)
	g := startGateway(t, o, append([]prov{ccProv(id, cc, idp, models...)}, extra...)...)
	signInCloudCode(t, g, id)
	return g, inner, cc, idp
}

// TestCloudCodeMatrix drives every official SDK through the gateway to
// Gemini Code Assist: a plain answer, the same streamed, and a get_weather
// round trip both ways. Cloud Code must see every request in the envelope
// with the sign-in's token and project.
func TestCloudCodeMatrix(t *testing.T) {
	g, inner, cc, _ := ccGateway(t, ccProvider, gwOpts{}, []string{upstreamModel(dGemini)})
	model := "gca/" + upstreamModel(dGemini)
	t.Run("cases", func(t *testing.T) {
		for _, cd := range allDialects {
			for _, sc := range []string{"plain", "stream", "tool", "stream_tool"} {
				t.Run(clientName[cd]+"/"+sc, func(t *testing.T) {
					t.Parallel()
					runCaseAs(t, g, inner, cd, sc, model)
				})
			}
		}
	})
	var generated int
	for _, c := range cc.seen() {
		if !isGeneration(c.path) { // project discovery and the quota poller's usage calls
			continue
		}
		generated++
		if !strings.HasPrefix(c.token, "at-") || c.env.Get("project").String() != ccProject ||
			c.env.Get("model").String() != upstreamModel(dGemini) || !strings.HasPrefix(c.ua, "GeminiCLI") {
			t.Errorf("Cloud Code got %s with token %q UA %q envelope %s", c.path, c.token, c.ua, shorten([]byte(c.env.Raw)))
		}
	}
	if want := len(allDialects) * 6; generated != want { // two scenarios of one turn, two of two
		t.Errorf("Cloud Code saw %d generation requests, want %d", generated, want)
	}
}

// TestAntigravityThroughHub: the same tool loops to Antigravity, whose
// envelope carries its agent fields and whose requests name its IDE.
func TestAntigravityThroughHub(t *testing.T) {
	g, inner, cc, _ := ccGateway(t, "antigravity", gwOpts{}, []string{upstreamModel(dGemini)})
	t.Run("cases", func(t *testing.T) {
		for _, cd := range allDialects {
			t.Run(clientName[cd], func(t *testing.T) {
				t.Parallel()
				runCaseAs(t, g, inner, cd, "stream_tool", "ag/"+upstreamModel(dGemini))
			})
		}
	})
	for _, c := range cc.seen() {
		if !isGeneration(c.path) { // project discovery and the quota poller's usage calls
			continue
		}
		e := c.env
		if e.Get("requestType").String() != "agent" || e.Get("userAgent").String() != "antigravity" ||
			!strings.HasPrefix(e.Get("requestId").String(), "agent-") || !strings.HasPrefix(e.Get("request.sessionId").String(), "-") ||
			e.Get("project").String() != ccProject || !strings.HasPrefix(c.ua, "antigravity/") {
			t.Errorf("Antigravity got UA %q envelope %s", c.ua, shorten([]byte(e.Raw)))
		}
	}
}

// TestCloudCodeThoughtSignatures: a reasoning Gemini behind Cloud Code
// signs its function calls; whatever the client's dialect, the second step
// of the tool loop must bring the real signature back through the envelope
// (the reasoning memo restores what the client could not carry).
func TestCloudCodeThoughtSignatures(t *testing.T) {
	sim := vendorsim.New(dGemini, vendorsim.Options{Key: upstreamKey(dGemini), FinalText: finalText, PlainText: helloText(dGemini),
		Pick: func(tools []vendorsim.Tool) (string, map[string]any, bool) {
			return toolName, map[string]any{"city": "Paris"}, len(tools) > 0
		}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cc := newCloudCode(t, srv.URL, upstreamKey(dGemini))
	g := startGateway(t, gwOpts{}, ccProv(ccProvider, cc, googleIDP(t), upstreamModel(dGemini)))
	signInCloudCode(t, g, ccProvider)
	same := func() *gateway { return g }
	for _, cd := range allDialects {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", clientName[cd], stream), func(t *testing.T) {
				t.Parallel()
				marker := fmt.Sprintf("[cloudcode loop %s %v]", cd, stream)
				runReasoningLoop(t, g, same, sim, cd, dGemini, "gca/"+upstreamModel(dGemini), marker, stream)
			})
		}
	}
}

// askCC sends one plain OpenAI request for model and reports the error.
func askCC(t *testing.T, g *gateway, model string) (outcome, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return newConvo(g, dOpenAI, model, "Say hello.", false).ask(ctx, false)
}

// A token Google revoked early is refreshed once and the request retried
// with the new one.
func TestCloudCode401RefreshesAndRetries(t *testing.T) {
	g, _, cc, idp := ccGateway(t, ccProvider, gwOpts{}, []string{upstreamModel(dGemini)})
	model := "gca/" + upstreamModel(dGemini)
	if _, err := askCC(t, g, model); err != nil {
		t.Fatal(err)
	}
	// The requests themselves: the sign-in's background calls (project,
	// quota) may run with the old token around them.
	generations := func() []ccCall {
		var out []ccCall
		for _, c := range cc.seen() {
			if strings.HasSuffix(c.path, "enerateContent") {
				out = append(out, c)
			}
		}
		return out
	}
	first := generations()[len(generations())-1].token
	cc.revoke(first)
	out, err := askCC(t, g, model)
	if err != nil || out.Text != helloText(dGemini) {
		t.Fatalf("after a revoked token: %+v, %v", out, err)
	}
	calls := generations() // the request and its retry last
	last := calls[len(calls)-2:]
	if last[0].token != first || last[1].token == first || !strings.HasPrefix(last[1].token, "at-") {
		t.Errorf("tokens %q then %q; want the revoked one, then a new one", last[0].token, last[1].token)
	}
	var refreshes int
	idp.Set(func(s *idpsim.Server) { refreshes = s.RefreshCalls })
	if refreshes != 1 || idp.LastRequest().Params.Get("client_secret") != ccSecret {
		t.Errorf("%d refreshes (%v), want 1 with the client secret", refreshes, idp.LastRequest().Params)
	}
}

// cloudCodeQuota is Cloud Code's answer to an exhausted model quota.
const cloudCodeQuota = `{"error":{"code":429,"message":"You have exhausted your capacity on this model. Your quota will reset after 1h0m0s.",` +
	`"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED",` +
	`"domain":"cloudcode-pa.googleapis.com","metadata":{"quotaResetDelay":"1h0m0s"}},` +
	`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3600s"}]}}`

// A 429 that names its reset cools the account down until then: the next
// request is refused at once, without reaching Cloud Code.
func TestCloudCode429CoolsDownUntilReset(t *testing.T) {
	g, inner, _, _ := ccGateway(t, ccProvider, gwOpts{}, []string{upstreamModel(dGemini)})
	inner.Push(Script{Status: 429, ErrBody: cloudCodeQuota})
	model := "gca/" + upstreamModel(dGemini)
	if _, err := askCC(t, g, model); err == nil {
		t.Fatal("the 429 was not passed on")
	}
	var until time.Time
	for _, c := range g.in.Health.Cooldowns() {
		if c.Provider == ccProvider {
			until = c.Until
		}
	}
	if rest := time.Until(until); rest < 55*time.Minute || rest > 65*time.Minute {
		t.Fatalf("cooldowns %+v; want the account resting about an hour", g.in.Health.Cooldowns())
	}
	hits := inner.Hits()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"again"}]}`
	resp := g.do(http.MethodPost, "/v1/chat/completions", body, nil)
	if resp.Status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("while cooling down: %d Retry-After=%q %s", resp.Status, resp.Header.Get("Retry-After"), resp.Body)
	}
	if inner.Hits() != hits {
		t.Error("a request reached Cloud Code while the account was cooling down")
	}
}

// A 5xx from Cloud Code before the first byte falls back to the next
// target of the combo; the client sees only the second answer.
func TestCloudCode5xxFallsBack(t *testing.T) {
	second := newUpstream(t, dOpenAI)
	combo := config.ComboConfig{Name: "gca-first", Targets: []config.TargetEntry{{Model: "gca/" + sharedModel}, {Model: "second/" + sharedModel}}}
	g, inner, _, _ := ccGateway(t, ccProvider, gwOpts{combos: []config.ComboConfig{combo}}, []string{sharedModel},
		prov{id: "second", up: second, models: []string{sharedModel}})
	for _, stream := range []bool{false, true} {
		inner.Push(Script{Status: 503})
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		cv := newConvo(g, dAnthropic, "gca-first", "Say hello.", false)
		out, err := cv.ask(ctx, stream)
		cancel()
		if err != nil || out.Text != helloText(dOpenAI) {
			t.Fatalf("stream=%v: %+v, %v\n%s", stream, out, err, shorten(cv.raw()))
		}
	}
	if inner.Hits() != 2 || second.Hits() != 2 {
		t.Errorf("hits: cloud code %d, second %d; want 2 and 2", inner.Hits(), second.Hits())
	}
}

// isGeneration tells Cloud Code's generation calls from the others
// (loadCodeAssist, the usage calls the quota poller makes).
func isGeneration(path string) bool {
	return path == "/v1internal:generateContent" || path == "/v1internal:streamGenerateContent"
}
