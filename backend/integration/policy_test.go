package integration

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/backend/events"
	"switchboard/backend/keys"
	"switchboard/backend/route"
)

// useKey creates a key with policy p and makes it the one g's clients send.
func (g *gateway) useKey(name string, p keys.Policy) {
	g.t.Helper()
	ck, err := g.in.Services.CreateKeyWithPolicy(context.Background(), name, keys.SourceCLI, p)
	if err != nil {
		g.t.Fatalf("create key %s: %v", name, err)
	}
	g.key = ck.Secret
}

// waitDebited waits until key name's finished requests today reach n: a
// request is debited when its log row is recorded, right after its answer.
func (g *gateway) waitDebited(name string, n int64) {
	g.t.Helper()
	waitFor(g.t, "key "+name+" debited "+strconv.FormatInt(n, 10)+" requests", func() bool {
		k, ok := g.in.Keys.Get(name)
		return ok && k.Usage != nil && k.Usage.Today.Requests >= n
	})
}

// wantTypes are each dialect's error type (Gemini: status) for a policy
// refusal, as its official SDK parses it.
var (
	deniedType = map[string]string{dOpenAI: "permission_error", dResponses: "permission_error",
		dAnthropic: "permission_error", dGemini: "PERMISSION_DENIED"}
	rateType = map[string]string{dOpenAI: "rate_limit_exceeded", dResponses: "rate_limit_error",
		dAnthropic: "rate_limit_error", dGemini: "RESOURCE_EXHAUSTED"}
	budgetType = map[string]string{dOpenAI: "insufficient_quota", dResponses: "insufficient_quota",
		dAnthropic: "rate_limit_error", dGemini: "RESOURCE_EXHAUSTED"}
	authType = map[string]string{dOpenAI: "authentication_error", dResponses: "invalid_request_error",
		dAnthropic: "authentication_error", dGemini: "UNAUTHENTICATED"}
)

// TestKeyPolicyPerDialect: each limit of a key's policy, through the real
// gateway and each client dialect's official SDK, answers in that
// dialect's error shape and status, before the upstream is asked.
func TestKeyPolicyPerDialect(t *testing.T) {
	for _, cd := range allDialects {
		t.Run(clientName[cd], func(t *testing.T) {
			t.Parallel()
			u := newUpstream(t, cd)
			g := startGateway(t, gwOpts{}, provFor(u))
			ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
			defer cancel()
			ask := func() error {
				cv := newConvo(g, cd, clientModel(cd), "Say hello.", false)
				_, err := cv.ask(ctx, false)
				return err
			}
			check := func(what string, err error, status int, typ, msg string) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				e := sdkError(t, cd, err)
				if e.status != status || e.typ != typ || !strings.Contains(e.message, msg) {
					t.Fatalf("%s: %d %q %q, want %d %q containing %q", what, e.status, e.typ, e.message, status, typ, msg)
				}
			}

			if cd == dOpenAI { // the model list shows a restricted key only what it may use
				g.useKey("lister", keys.Policy{Models: []string{providerID[cd] + "/*"}})
				if r := g.do("GET", "/v1/models", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), clientModel(cd)) {
					t.Fatalf("allowed model not listed: %d %s", r.Status, r.Body)
				}
			}
			g.useKey("models", keys.Policy{Models: []string{"other/*", "coding"}})
			if r := g.do("GET", "/v1/models", "", nil); r.Status != 200 || strings.Contains(string(r.Body), clientModel(cd)) {
				t.Fatalf("a model the key may not use is listed: %d %s", r.Status, r.Body)
			}
			check("model not allowed", ask(), 403, deniedType[cd], "may not use model")
			if cd == dOpenAI { // embeddings pass the same check
				r := g.do("POST", "/v1/embeddings", `{"model":"`+clientModel(cd)+`","input":"hi"}`, nil)
				if r.Status != 403 || !strings.Contains(string(r.Body), "may not use model") || r.Header.Get("X-Should-Retry") != "false" {
					t.Fatalf("embeddings for a model the key may not use: %d %s", r.Status, r.Body)
				}
			}
			if u.Hits() != 0 {
				t.Fatalf("the upstream was asked for a model the key may not use")
			}

			g.useKey("rpm", keys.Policy{Models: []string{providerID[cd] + "/*"}, RPM: 1})
			if err := ask(); err != nil {
				t.Fatalf("first request of the minute: %v", err)
			}
			check("requests per minute", ask(), 429, rateType[cd], "1 requests per minute")
			path, body := rawRequest(cd, clientModel(cd), false, "hi")
			if r := g.do("POST", path, body, nil); r.Status != 429 || r.Header.Get("Retry-After") == "" ||
				r.Header.Get("X-Should-Retry") != "" {
				t.Fatalf("rate refusal: %d Retry-After %q X-Should-Retry %q", r.Status, r.Header.Get("Retry-After"), r.Header.Get("X-Should-Retry"))
			}

			// The scripted upstream reports 11 + 7 tokens per answer.
			g.useKey("tokens", keys.Policy{DailyTokens: 30})
			for i := range 2 {
				if err := ask(); err != nil {
					t.Fatalf("request %d under the token budget: %v", i, err)
				}
				g.waitDebited("tokens", int64(i+1))
			}
			check("daily token budget", ask(), 429, budgetType[cd], "budget exceeded")
			if r := g.do("POST", path, body, nil); r.Header.Get("X-Should-Retry") != "false" || r.Header.Get("Retry-After") == "" {
				t.Fatalf("budget refusal headers: %v", r.Header)
			}

			g.useKey("tpm", keys.Policy{TPM: 10})
			if err := ask(); err != nil {
				t.Fatal(err)
			}
			g.waitDebited("tpm", 1)
			check("tokens per minute", ask(), 429, rateType[cd], "10 tokens per minute")

			g.useKey("expired", keys.Policy{ExpiresAt: time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})
			check("expired key", ask(), 401, authType[cd], "expired")

			g.useKey("off", keys.Policy{})
			if err := ask(); err != nil {
				t.Fatal(err)
			}
			if _, err := g.in.Services.SetKeyPolicy(ctx, "off", keys.Policy{Disabled: true}); err != nil {
				t.Fatal(err)
			}
			check("disabled key", ask(), 401, authType[cd], "disabled")

			// Refusals are logged like any failed request, under the key.
			waitFor(t, "refusals logged", func() bool {
				for _, r := range g.logs() {
					if r.KeyName == "tokens" && r.Status == 429 && r.ErrorKind == "quota_exhausted" {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestKeyBudgetInUSDWarnsOnceAndHoldsAcrossRestart: a money budget priced
// from the catalog (OpenAI gpt-5 behind a scripted upstream), the 80%
// warning on the bus exactly once, refusal past the budget, streams
// counted too, and the spend read back from the log after a restart.
func TestKeyBudgetInUSDWarnsOnceAndHoldsAcrossRestart(t *testing.T) {
	u := newUpstream(t, dOpenAI)
	dir := t.TempDir()
	oa := prov{id: "openai", dialect: dOpenAI, base: u.BaseURL(), models: []string{"gpt-5"}}
	g := startGateway(t, gwOpts{dataDir: dir}, oa)
	sub := g.in.Bus.Subscribe(256)
	defer sub.Close()
	// 11 input and 7 output tokens at $1.25 and $10 per million:
	// $0.00008375 a request. Two cross 80% of $0.0002, three pass it.
	const perRequest = 11*1.25/1e6 + 7*10.0/1e6
	g.useKey("team", keys.Policy{DailyUSD: 0.0002})
	secret := g.key
	ctx, cancel := context.WithTimeout(context.Background(), 3*testTimeout)
	defer cancel()
	for i := range 3 {
		cv := newConvo(g, dOpenAI, "openai/gpt-5", "Say hello.", false)
		if _, err := cv.ask(ctx, i == 2); err != nil { // the third one streams
			t.Fatalf("request %d: %v", i, err)
		}
		g.waitDebited("team", int64(i+1))
	}
	k, _ := g.in.Keys.Get("team")
	if got := k.Usage.Today.USD; got < 3*perRequest*0.999 || got > 3*perRequest*1.001 {
		t.Fatalf("spend %v, want %v", got, 3*perRequest)
	}
	cv := newConvo(g, dOpenAI, "openai/gpt-5", "Say hello.", false)
	_, err := cv.ask(ctx, false)
	if e := sdkError(t, dOpenAI, err); e.status != 429 || e.typ != "insufficient_quota" || !strings.Contains(e.message, "daily budget of $0.00") {
		t.Fatalf("over budget: %+v", e)
	}
	var warned []route.Change
	for drained := false; !drained; {
		select {
		case e := <-sub.C:
			if e.Kind == events.KeyBudget {
				warned = append(warned, e.Data.(route.Change))
			}
		default:
			drained = true
		}
	}
	if len(warned) != 1 || warned[0].Account != "team" || warned[0].Percent < 80 || warned[0].Window != "daily budget" {
		t.Fatalf("warnings %+v, want one for team's daily budget", warned)
	}
	// The events table is written from the recorder's queue, after the bus.
	waitFor(t, "the warning in the events table", func() bool {
		rows, err := g.in.Services.Events(ctx, 50)
		return err == nil && hasEvent(rows, "key_budget", "team")
	})

	g.stop()
	g2 := startGateway(t, gwOpts{dataDir: dir, key: secret}, oa)
	if k, _ := g2.in.Keys.Get("team"); k.Usage == nil || k.Usage.Today.Requests != 4 || k.Usage.Today.USD < 3*perRequest*0.999 {
		t.Fatalf("spend after restart %+v", k.Usage)
	}
	cv = newConvo(g2, dOpenAI, "openai/gpt-5", "Say hello.", false)
	if _, err := cv.ask(ctx, false); err == nil || sdkError(t, dOpenAI, err).status != 429 {
		t.Fatalf("the budget was forgotten across a restart: %v", err)
	}
	if u.Hits() != 3 {
		t.Fatalf("upstream hits %d, want 3", u.Hits())
	}
}

func hasEvent(rows []events.Row, kind, account string) bool {
	for _, r := range rows {
		if r.Kind == kind && r.Account == account {
			return true
		}
	}
	return false
}
