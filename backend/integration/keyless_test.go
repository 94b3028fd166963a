package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
)

// keylessServer is a self-hosted OpenAI-compatible server that takes no
// key (vLLM, llama.cpp without --api-key): it serves /v1/models and
// /v1/chat/completions and records the Authorization headers it got.
type keylessServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
}

func newKeylessServer(t *testing.T, models ...string) *keylessServer {
	t.Helper()
	k := &keylessServer{}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.auth = append(k.auth, r.Header.Get("Authorization"))
		k.mu.Unlock()
		switch r.URL.Path {
		case "/v1/models":
			data := make([]map[string]string, len(models))
			for i, m := range models {
				data[i] = map[string]string{"id": m, "object": "model", "owned_by": "local"}
			}
			b, _ := json.Marshal(map[string]any{"object": "list", "data": data})
			writeJSON(w, 200, string(b))
		case "/v1/chat/completions":
			writeJSON(w, 200, `{"id":"c1","object":"chat.completion","created":1,"model":"m1",
				"choices":[{"index":0,"message":{"role":"assistant","content":"keyless hello"},"finish_reason":"stop"}],
				"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`)
		default:
			writeJSON(w, 404, `{"error":{"message":"no route","type":"invalid_request_error"}}`)
		}
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *keylessServer) base() string { return k.srv.URL + "/v1" }

func (k *keylessServer) authHeaders() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.auth...)
}

func chatOnce(t *testing.T, g *gateway, model string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c := g.openai()
	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if err != nil {
		t.Fatalf("chat %s: %v", model, err)
	}
	return res.Choices[0].Message.Content
}

func findProvider(t *testing.T, g *gateway, id string) mgmt.ProviderView {
	t.Helper()
	for _, p := range g.in.Services.Providers() {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("provider %s not listed", id)
	return mgmt.ProviderView{}
}

// A custom provider added from the dashboard (or the API) without a key
// gets a keyless account, routes at once, and is "untested" until a
// request succeeds.
func TestKeylessCustomProviderFromDashboard(t *testing.T) {
	up := newKeylessServer(t, "m1")
	g := startGateway(t, gwOpts{})
	ctx := context.Background()
	if err := g.in.Services.SaveProvider(ctx, mgmt.ProviderInput{ID: "lan", Type: "openai-compatible",
		BaseURL: up.base(), AllowLocal: true, Models: []string{"m1"}}); err != nil {
		t.Fatalf("SaveProvider: %v", err)
	}
	p := findProvider(t, g, "lan")
	if !p.Usable || len(p.Accounts) != 1 || !p.Accounts[0].Keyless || p.Accounts[0].Name != "keyless" {
		t.Fatalf("want one keyless account, got usable=%v accounts=%+v", p.Usable, p.Accounts)
	}
	if p.Check != "untested" || !p.Custom || p.Type != "openai-compatible" {
		t.Fatalf("check=%q custom=%v type=%q, want untested custom openai-compatible", p.Check, p.Custom, p.Type)
	}
	if got := chatOnce(t, g, "lan/m1"); got != "keyless hello" {
		t.Fatalf("answer %q", got)
	}
	for _, a := range up.authHeaders() {
		if a != "" {
			t.Fatalf("a keyless account sent Authorization %q", a)
		}
	}
	// The gateway notes the success once the attempt returns, which may be
	// just after the client has read the answer.
	waitFor(t, `check "ok" after a successful request`, func() bool { return findProvider(t, g, "lan").Check == "ok" })
	// Saving it again (an edit) adds no second account.
	if err := g.in.Services.SaveProvider(ctx, mgmt.ProviderInput{ID: "lan", Type: "openai-compatible",
		BaseURL: up.base(), AllowLocal: true, Models: []string{"m1", "m2"}}); err != nil {
		t.Fatal(err)
	}
	if p := findProvider(t, g, "lan"); len(p.Accounts) != 1 || len(p.Models) != 2 {
		t.Fatalf("after an edit: %d accounts, models %+v", len(p.Accounts), p.Models)
	}
}

// A key given in the form becomes the provider's account (no keyless one).
func TestCustomProviderWithKeyFromForm(t *testing.T) {
	up := newKeylessServer(t, "m1")
	g := startGateway(t, gwOpts{})
	if err := g.in.Services.SaveProvider(context.Background(), mgmt.ProviderInput{ID: "lan", Type: "openai-compatible",
		BaseURL: up.base(), AllowLocal: true, Models: []string{"m1"}, APIKey: "sk-local-123456789"}); err != nil {
		t.Fatal(err)
	}
	p := findProvider(t, g, "lan")
	if len(p.Accounts) != 1 || p.Accounts[0].Keyless || p.Accounts[0].Last4 != "6789" {
		t.Fatalf("accounts %+v", p.Accounts)
	}
	chatOnce(t, g, "lan/m1")
	if h := up.authHeaders(); len(h) == 0 || h[len(h)-1] != "Bearer sk-local-123456789" {
		t.Fatalf("auth headers %q", h)
	}
}

// A custom provider declared in the config file without accounts routes
// through an automatic keyless account.
func TestKeylessCustomProviderFromConfig(t *testing.T) {
	up := newKeylessServer(t, "m1")
	g := startGateway(t, gwOpts{edit: func(c *config.Config) {
		c.Providers = append(c.Providers, config.ProviderConfig{ID: "lan", Type: "openai-compatible",
			BaseURL: up.base(), AllowLocal: true, Models: []string{"m1"}})
	}})
	if got := chatOnce(t, g, "lan/m1"); got != "keyless hello" {
		t.Fatalf("answer %q", got)
	}
	if p := findProvider(t, g, "lan"); len(p.Accounts) != 1 || !p.Accounts[0].Keyless {
		t.Fatalf("accounts %+v", p.Accounts)
	}
}

// A provider without a usable account fails with its own error kind (503
// no usable account, not a 429 rate limit) in every client dialect, its
// Test does not say OK, Health offers the keyless fix, and the fix works.
func TestNoUsableAccountIsItsOwnError(t *testing.T) {
	up := newKeylessServer(t, "m1")
	g := startGateway(t, gwOpts{})
	ctx := context.Background()
	svc := g.in.Services
	if err := svc.SaveProvider(ctx, mgmt.ProviderInput{ID: "lan", Type: "openai-compatible",
		BaseURL: up.base(), AllowLocal: true, Models: []string{"m1"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteAccount(ctx, findProvider(t, g, "lan").Accounts[0].ID); err != nil {
		t.Fatal(err)
	}
	wantType := map[string]string{dOpenAI: `"no_usable_account"`, dResponses: `"no_usable_account"`,
		dAnthropic: `"api_error"`, dGemini: `"UNAVAILABLE"`}
	for _, d := range []string{dOpenAI, dResponses, dAnthropic, dGemini} {
		path, body := rawRequest(d, "lan/m1", false, "hi")
		r := g.do("POST", path, body, nil)
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503: %s", d, r.Status, r.Body)
		}
		if !strings.Contains(string(r.Body), "has no account") || !strings.Contains(string(r.Body), wantType[d]) {
			t.Errorf("%s: body %s, want the no-account message and %s", d, r.Body, wantType[d])
		}
		if strings.Contains(string(r.Body), "rate") {
			t.Errorf("%s: a missing account reads as a rate limit: %s", d, r.Body)
		}
	}
	res, err := svc.TestProvider(ctx, "lan", "")
	if err != nil || len(res) != 1 || res[0].OK || !strings.Contains(res[0].Error, "has no account") {
		t.Fatalf("TestProvider = %+v, %v; want a failure naming the missing account", res, err)
	}
	if p := findProvider(t, g, "lan"); p.Check != "failed" || p.Unusable == "" {
		t.Fatalf("check %q unusable %q", p.Check, p.Unusable)
	}
	h := svc.Health()
	if len(h.Unusable) != 1 || h.Unusable[0].Provider != "lan" || h.Unusable[0].Fix != "add_keyless" {
		t.Fatalf("Health().Unusable = %+v", h.Unusable)
	}
	// The one-click fix: a keyless account.
	if _, err := svc.AddAccount(ctx, "lan", mgmt.AccountInput{Name: "keyless"}); err != nil {
		t.Fatal(err)
	}
	if got := chatOnce(t, g, "lan/m1"); got != "keyless hello" {
		t.Fatalf("after the fix: %q", got)
	}
	if len(svc.Health().Unusable) != 0 {
		t.Fatalf("still unusable after the fix")
	}
	res, _ = svc.TestProvider(ctx, "lan", "")
	if len(res) != 1 || !res[0].OK {
		t.Fatalf("TestProvider after the fix = %+v", res)
	}
}

// Models are discovered from the upstream's /v1/models, with the base URL
// and type of a provider not saved yet.
func TestDiscoverModels(t *testing.T) {
	up := newKeylessServer(t, "llama-3.1-8b", "qwen2.5")
	g := startGateway(t, gwOpts{})
	ids, err := g.in.Services.DiscoverModels(context.Background(), mgmt.ProviderInput{ID: "lan",
		Type: "openai-compatible", BaseURL: up.base(), AllowLocal: true})
	if err != nil || strings.Join(ids, ",") != "llama-3.1-8b,qwen2.5" {
		t.Fatalf("DiscoverModels = %v, %v", ids, err)
	}
	// Without "Allow local network addresses" the loopback server is
	// refused, and the error names the checkbox.
	_, err = g.in.Services.DiscoverModels(context.Background(), mgmt.ProviderInput{ID: "lan2",
		Type: "openai-compatible", BaseURL: up.base()})
	if err == nil || !strings.Contains(err.Error(), mgmt.AllowLocalLabel) {
		t.Fatalf("err = %v, want it to name the %q checkbox", err, mgmt.AllowLocalLabel)
	}
	// Saving plain http to another machine says the same.
	err = g.in.Services.SaveProvider(context.Background(), mgmt.ProviderInput{ID: "lan3", Type: "openai-compatible",
		BaseURL: "http://10.0.0.5:8000/v1", Models: []string{"m"}})
	if err == nil || !strings.Contains(err.Error(), mgmt.AllowLocalLabel) {
		t.Fatalf("SaveProvider err = %v, want it to name the %q checkbox", err, mgmt.AllowLocalLabel)
	}
}

// A key added later replaces the automatic keyless account (requests do
// not try the server without a key first); an export keeps a keyless
// account, so the imported provider routes too.
func TestKeylessAccountReplacedByAKeyAndExported(t *testing.T) {
	up := newKeylessServer(t, "m1")
	a := startGateway(t, gwOpts{})
	ctx := context.Background()
	for _, id := range []string{"lan", "box"} {
		if err := a.in.Services.SaveProvider(ctx, mgmt.ProviderInput{ID: id, Type: "openai-compatible",
			BaseURL: up.base(), AllowLocal: true, Models: []string{"m1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.in.Services.AddAccount(ctx, "box", mgmt.AccountInput{Name: "main", APIKey: "sk-box-000000001"}); err != nil {
		t.Fatal(err)
	}
	if p := findProvider(t, a, "box"); len(p.Accounts) != 1 || p.Accounts[0].Name != "main" {
		t.Fatalf("box accounts after adding a key: %+v", p.Accounts)
	}
	file, err := a.in.Services.ExportSetupFile(ctx, "a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	b := startGateway(t, gwOpts{})
	rep, err := b.in.Services.ImportSetup(ctx, mgmt.SetupImport{Data: file.Data, Passphrase: "a long passphrase"})
	if err != nil || rep.Skipped != 0 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	if p := findProvider(t, b, "lan"); len(p.Accounts) != 1 || !p.Accounts[0].Keyless {
		t.Fatalf("imported lan accounts: %+v", p.Accounts)
	}
	if got := chatOnce(t, b, "lan/m1"); got != "keyless hello" {
		t.Fatalf("imported keyless provider answers %q", got)
	}
}
