package signin

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/oauth/idpsim"
)

// ccSim is a scripted Cloud Code server: loadCodeAssist, onboardUser and
// the operations it returns, each answer taken from a script.
type ccSim struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	load       string   // loadCodeAssist's answer
	loadStatus int      // non-zero: answer loadCodeAssist with this status and load
	onboard    []string // onboardUser's answers, one per call; the last repeats
	ops        []string // GET v1internal/operations/…'s answers, likewise
	reqs       []ccReq
}

type ccReq struct {
	method, path string
	header       http.Header
	body         map[string]any
}

const projectFound = `{"currentTier":{"id":"free-tier","name":"Gemini Code Assist for individuals"},"cloudaicompanionProject":"proj-found-7"}`

func newCCSim(t *testing.T) *ccSim {
	c := &ccSim{t: t, load: projectFound}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *ccSim) set(f func(*ccSim)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
}

func (c *ccSim) requests() []ccReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ccReq(nil), c.reqs...)
}

// next pops a scripted answer, keeping the last one.
func next(list *[]string) string {
	if len(*list) == 0 {
		return `{}`
	}
	a := (*list)[0]
	if len(*list) > 1 {
		*list = (*list)[1:]
	}
	return a
}

func (c *ccSim) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, ccReq{r.Method, r.URL.Path, r.Header.Clone(), body})
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer at-") {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1internal:loadCodeAssist":
		if c.loadStatus != 0 {
			w.WriteHeader(c.loadStatus)
		}
		io.WriteString(w, c.load)
	case r.Method == http.MethodPost && r.URL.Path == "/v1internal:onboardUser":
		io.WriteString(w, next(&c.onboard))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1internal/operations/"):
		io.WriteString(w, next(&c.ops))
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"code":404,"message":"no route","status":"NOT_FOUND"}}`)
	}
}

const googleSecret = "GOCSPX-test-secret"

// newGoogleRig is a rig whose identity server is shaped like Google's
// (form posts, the installed app's secret required, an id_token naming
// the account, no rotation) and whose Cloud Code providers point at cc.
func newGoogleRig(t *testing.T, cc *ccSim) *rig {
	r := newRig(t)
	r.idp.Set(func(s *idpsim.Server) {
		s.RequireJSON, s.RequireState, s.AnthropicBody, s.Rotate = false, false, false, false
		s.ClientSecret = googleSecret
		s.IDToken = idpsim.FakeJWT(map[string]any{"iss": "https://accounts.google.com", "sub": "1170", "email": "g@example.com"})
	})
	signIn := &config.SignInConfig{AuthURL: r.idp.URL() + "/authorize", TokenURL: r.idp.URL() + "/token",
		ClientID: r.idp.ClientID, ClientSecret: googleSecret, ManualRedirectURL: ptr(""), RedirectPort: ptr(0)}
	var provs []config.ProviderConfig
	for _, id := range []string{"gemini-code-assist", "antigravity"} {
		provs = append(provs, config.ProviderConfig{ID: id, BaseURL: cc.srv.URL, AllowLocal: true, SignIn: signIn})
	}
	r.m = New(Options{DB: r.db, Sealer: r.sealer, Log: slog.New(slog.DiscardHandler), Now: r.clock.now, Providers: provs,
		ImportEnv: &ImportEnv{Home: filepath.Join("testdata", "import", "gemini-expired-refresh"), GOOS: "linux",
			Getenv: func(string) string { return "" }}})
	t.Cleanup(r.m.Close)
	return r
}

// fastOnboard polls onboarding every few milliseconds, at most polls times.
func fastOnboard(t *testing.T, polls int) {
	every, max := onboardPollEvery, onboardMaxPolls
	onboardPollEvery, onboardMaxPolls = 5*time.Millisecond, polls
	t.Cleanup(func() { onboardPollEvery, onboardMaxPolls = every, max })
}

// startGoogle starts a sign-in and follows it in the browser; it returns
// the authorization URL and the flow's end.
func (r *rig) startGoogle(provider string) (*url.URL, FlowView) {
	r.t.Helper()
	ctx := ctxT(r.t)
	f, err := r.m.Start(ctx, StartOptions{Provider: provider})
	if err != nil {
		r.t.Fatal(err)
	}
	u, _ := url.Parse(f.URL)
	browser(r.t, f.URL)
	v, err := r.m.Wait(ctx, f.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return u, v
}

func TestGoogleSignInFindsProject(t *testing.T) {
	cc := newCCSim(t)
	r := newGoogleRig(t, cc)
	u, v := r.startGoogle("gemini-code-assist")
	if v.Status != FlowDone || v.Email != "g@example.com" {
		t.Fatalf("flow = %+v", v)
	}
	q := u.Query()
	if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("code_challenge_method") != "S256" ||
		!strings.HasSuffix(q.Get("redirect_uri"), "/oauth2callback") {
		t.Errorf("authorization URL %s", u)
	}
	if ex := r.idp.LastRequest(); ex.Params.Get("client_secret") != googleSecret || ex.Params.Get("code_verifier") == "" {
		t.Errorf("code exchange %v", ex.Params)
	}
	reqs := cc.requests()
	if len(reqs) != 1 || reqs[0].path != "/v1internal:loadCodeAssist" {
		t.Fatalf("Cloud Code saw %+v; want one loadCodeAssist", reqs)
	}
	md, _ := reqs[0].body["metadata"].(map[string]any)
	if md["ideType"] != "IDE_UNSPECIFIED" || md["pluginType"] != "GEMINI" || md["platform"] != "PLATFORM_UNSPECIFIED" ||
		!strings.HasPrefix(reqs[0].header.Get("User-Agent"), "GeminiCLI-tui/") {
		t.Errorf("loadCodeAssist %v %v", reqs[0].body, reqs[0].header)
	}
	c, err := r.m.Credential(ctxT(t), v.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.Access(ctxT(t))
	if err != nil || acc.Project != "proj-found-7" || !strings.HasPrefix(acc.Token, "at-") {
		t.Fatalf("access = %+v, %v", acc, err)
	}
	// Google rotates nothing: the refresh keeps the refresh token and the
	// project, and sends the secret again.
	first := c.(*cred).rec.Refresh
	r.expire()
	again, err := c.Access(ctxT(t))
	if err != nil || again.Token == acc.Token || again.Project != "proj-found-7" {
		t.Fatalf("after expiry: %+v, %v", again, err)
	}
	if c.(*cred).rec.Refresh != first {
		t.Error("the refresh token changed without rotation")
	}
	if ex := r.idp.LastRequest(); ex.Params.Get("grant_type") != "refresh_token" || ex.Params.Get("client_secret") != googleSecret {
		t.Errorf("refresh %v", ex.Params)
	}
}

func TestGoogleOnboarding(t *testing.T) {
	fastOnboard(t, 5)
	const notSetUp = `{"allowedTiers":[{"id":"legacy-tier"},{"id":"free-tier","isDefault":true}]}`
	const done = `{"name":"operations/op-1","done":true,"response":{"cloudaicompanionProject":{"id":"proj-new-9","name":"x"}}}`
	t.Run("operation polled by name", func(t *testing.T) {
		cc := newCCSim(t)
		cc.set(func(c *ccSim) {
			c.load = notSetUp
			c.onboard = []string{`{"name":"operations/op-1","done":false}`}
			c.ops = []string{`{"name":"operations/op-1"}`, done}
		})
		r := newGoogleRig(t, cc)
		_, v := r.startGoogle("gemini-code-assist")
		if v.Status != FlowDone {
			t.Fatalf("flow = %+v", v)
		}
		var paths []string
		for _, q := range cc.requests() {
			paths = append(paths, q.method+" "+q.path)
		}
		want := "POST /v1internal:loadCodeAssist,POST /v1internal:onboardUser,GET /v1internal/operations/op-1,GET /v1internal/operations/op-1"
		if strings.Join(paths, ",") != want {
			t.Errorf("calls %v", paths)
		}
		if ob := cc.requests()[1].body; ob["tierId"] != "free-tier" {
			t.Errorf("onboarded into %v", ob["tierId"])
		}
		if acc := r.access(v.AccountID); acc.Project != "proj-new-9" {
			t.Errorf("project %q", acc.Project)
		}
	})
	t.Run("operation without a name asked again (antigravity)", func(t *testing.T) {
		cc := newCCSim(t)
		cc.set(func(c *ccSim) {
			c.load = `{"allowedTiers":[{"id":"standard-tier","isDefault":true}]}`
			c.onboard = []string{`{"done":false}`, `{"done":false}`, `{"done":true,"response":{"cloudaicompanionProject":"proj-ag-3"}}`}
		})
		r := newGoogleRig(t, cc)
		_, v := r.startGoogle("antigravity")
		if v.Status != FlowDone {
			t.Fatalf("flow = %+v", v)
		}
		reqs := cc.requests()
		if len(reqs) != 4 || reqs[3].path != "/v1internal:onboardUser" {
			t.Fatalf("calls %+v", reqs)
		}
		md, _ := reqs[0].body["metadata"].(map[string]any)
		if md["ideType"] != "ANTIGRAVITY" || !strings.HasPrefix(reqs[0].header.Get("User-Agent"), "antigravity/") {
			t.Errorf("Antigravity's discovery sent %v %v", reqs[0].body, reqs[0].header.Get("User-Agent"))
		}
		if acc := r.access(v.AccountID); acc.Project != "proj-ag-3" {
			t.Errorf("project %q", acc.Project)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		fastOnboard(t, 3)
		cc := newCCSim(t)
		cc.set(func(c *ccSim) {
			c.load = notSetUp
			c.onboard = []string{`{"name":"operations/op-1","done":false}`}
			c.ops = []string{`{"name":"operations/op-1","done":false}`}
		})
		r := newGoogleRig(t, cc)
		_, v := r.startGoogle("gemini-code-assist")
		if v.Status != FlowFailed || !strings.Contains(v.Error, "had not finished setting up Gemini Code Assist") ||
			!strings.Contains(v.Error, "after 3 checks") {
			t.Fatalf("flow = %+v", v)
		}
		if n := len(cc.requests()); n != 2+3 {
			t.Errorf("%d Cloud Code calls; want load, onboard and 3 polls", n)
		}
		r.nothingStored()
	})
}

func (r *rig) access(accountID string) (acc struct{ Token, Project string }) {
	r.t.Helper()
	c, err := r.m.Credential(ctxT(r.t), accountID)
	if err != nil {
		r.t.Fatal(err)
	}
	a, err := c.Access(ctxT(r.t))
	if err != nil {
		r.t.Fatal(err)
	}
	acc.Token, acc.Project = a.Token, a.Project
	return acc
}

func (r *rig) nothingStored() {
	r.t.Helper()
	if n := r.count(`SELECT count(*) FROM accounts`) + r.count(`SELECT count(*) FROM signins`); n != 0 {
		r.t.Errorf("%d rows stored by a failed sign-in", n)
	}
}

// Every way the setup can fail ends the sign-in with a message the user
// can act on, quotes no token, and stores nothing.
func TestGoogleSetupErrors(t *testing.T) {
	fastOnboard(t, 3)
	for _, tc := range []struct {
		name   string
		script func(*ccSim)
		idp    func(*idpsim.Server)
		want   []string
	}{
		{name: "validation required", script: func(c *ccSim) {
			c.load = `{"ineligibleTiers":[{"reasonCode":"VALIDATION_REQUIRED","reasonMessage":"Verify your account","validationUrl":"https://accounts.google.com/verify?x=1"}]}`
		}, want: []string{"verify this account", "Verify your account", "https://accounts.google.com/verify?x=1"}},
		{name: "ineligible", script: func(c *ccSim) {
			c.load = `{"currentTier":{"id":"standard-tier"},"ineligibleTiers":[{"reasonCode":"INELIGIBLE_ACCOUNT","reasonMessage":"Your account is not eligible"}]}`
			c.onboard = []string{`{"done":true,"response":{}}`}
		}, want: []string{"cannot use Gemini Code Assist", "Your account is not eligible"}},
		{name: "no project and no reason", script: func(c *ccSim) {
			c.load = `{}`
			c.onboard = []string{`{"done":true,"response":{}}`}
		}, want: []string{"no Cloud project", "GOOGLE_CLOUD_PROJECT"}},
		{name: "operation failed", script: func(c *ccSim) {
			c.load = `{}`
			c.onboard = []string{`{"done":true,"error":{"code":9,"message":"Precondition Failed"}}`}
		}, want: []string{"could not set up Gemini Code Assist", "Precondition Failed"}},
		{name: "refused", script: func(c *ccSim) {
			c.loadStatus, c.load = 403, `{"error":{"code":403,"message":"Permission denied on resource","status":"PERMISSION_DENIED"}}`
		}, want: []string{"refused loadCodeAssist (403 PERMISSION_DENIED)", "Permission denied"}},
		{name: "not JSON", script: func(c *ccSim) { c.load = `<html>` }, want: []string{"not JSON"}},
		{name: "no refresh token", idp: func(s *idpsim.Server) { s.OmitRefresh = true },
			want: []string{"no refresh token", "myaccount.google.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := newCCSim(t)
			if tc.script != nil {
				cc.set(tc.script)
			}
			r := newGoogleRig(t, cc)
			if tc.idp != nil {
				r.idp.Set(tc.idp)
			}
			_, v := r.startGoogle("gemini-code-assist")
			if v.Status != FlowFailed {
				t.Fatalf("flow = %+v", v)
			}
			for _, w := range tc.want {
				if !strings.Contains(v.Error, w) {
					t.Errorf("error %q does not say %q", v.Error, w)
				}
			}
			if strings.Contains(v.Error, "at-") {
				t.Errorf("error quotes a token: %q", v.Error)
			}
			r.nothingStored()
		})
	}
}

// Importing the Gemini CLI's login whose access token has expired renews it
// first (discovery needs a live one) and stores the renewed token with the
// CLI's refresh token, which Google does not rotate.
func TestImportGeminiCLILogin(t *testing.T) {
	cc := newCCSim(t)
	r := newGoogleRig(t, cc)
	r.idp.Set(func(s *idpsim.Server) {
		s.RefreshTokens["1//FAKE-refresh-gemini"] = true
		s.IDToken = idpsim.FakeJWT(map[string]any{"iss": "https://accounts.google.com", "sub": "FAKE-sub-1170", "email": "cli@example.com"})
	})
	if src, ok := r.m.ImportSource("gemini-code-assist"); !ok || !strings.HasSuffix(src, filepath.Join(".gemini", "oauth_creds.json")) {
		t.Fatalf("import source %q, %v", src, ok)
	}
	id, err := r.m.Import(ctxT(t), "gemini-code-assist", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.idp.Calls(); n != 1 || r.idp.LastRequest().Params.Get("refresh_token") != "1//FAKE-refresh-gemini" {
		t.Fatalf("%d token calls; want the expired access token renewed once", n)
	}
	reqs := cc.requests()
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0].header.Get("Authorization"), "Bearer at-") {
		t.Fatalf("discovery %+v; want it with the renewed token", reqs)
	}
	c, _ := r.m.Credential(ctxT(t), id)
	rec := c.(*cred).rec
	if rec.Refresh != "1//FAKE-refresh-gemini" || !strings.HasPrefix(rec.Access, "at-") || rec.Extra.Project != "proj-found-7" ||
		rec.Claims.Email != "cli@example.com" || rec.Name != "cli@example.com" {
		t.Errorf("stored %+v", rec)
	}
}

// An account without a managed project (Workspace, Standard tier) uses the
// one the user names in GOOGLE_CLOUD_PROJECT, as with the Gemini CLI; the
// free tier is never sent one.
func TestGoogleOwnProject(t *testing.T) {
	fastOnboard(t, 3)
	for _, tc := range []struct {
		name, load, onboard string
		wantCalls           int
		onboardProject      any // the project onboardUser was sent
	}{
		{"set up already", `{"currentTier":{"id":"standard-tier"}}`, "", 1, nil},
		{"standard tier onboarded into it", `{"allowedTiers":[{"id":"standard-tier","isDefault":true}]}`, `{"done":true,"response":{}}`, 2, "my-proj-1"},
		{"free tier gets its managed project", `{"allowedTiers":[{"id":"free-tier","isDefault":true}]}`,
			`{"done":true,"response":{"cloudaicompanionProject":{"id":"managed-3"}}}`, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := newCCSim(t)
			cc.set(func(c *ccSim) { c.load, c.onboard = tc.load, []string{tc.onboard} })
			r := newGoogleRig(t, cc)
			r.m.importEnv.Getenv = func(k string) string { return map[string]string{"GOOGLE_CLOUD_PROJECT_ID": " my-proj-1 "}[k] }
			_, v := r.startGoogle("gemini-code-assist")
			if v.Status != FlowDone {
				t.Fatalf("flow = %+v", v)
			}
			want := "my-proj-1"
			if tc.name == "free tier gets its managed project" {
				want = "managed-3"
			}
			if acc := r.access(v.AccountID); acc.Project != want {
				t.Errorf("project %q, want %q", acc.Project, want)
			}
			reqs := cc.requests()
			if len(reqs) != tc.wantCalls {
				t.Fatalf("%d calls, want %d", len(reqs), tc.wantCalls)
			}
			md, _ := reqs[0].body["metadata"].(map[string]any)
			if reqs[0].body["cloudaicompanionProject"] != "my-proj-1" || md["duetProject"] != "my-proj-1" {
				t.Errorf("loadCodeAssist did not name the project: %v", reqs[0].body)
			}
			if tc.wantCalls == 2 && reqs[1].body["cloudaicompanionProject"] != tc.onboardProject {
				t.Errorf("onboardUser sent project %v, want %v", reqs[1].body["cloudaicompanionProject"], tc.onboardProject)
			}
		})
	}
}
