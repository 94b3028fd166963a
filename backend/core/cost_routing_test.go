package core

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/usage"
)

// The cost-optimized strategy orders a combo by the prices in force: a
// price the user set (dashboard, API or config) moves traffic at once, and
// a target nobody priced goes after the priced ones.
func TestCostOptimizedRoutingFollowsPriceOverrides(t *testing.T) {
	var hits [2]atomic.Int64
	ups := make([]*httptest.Server, 2)
	for i := range ups {
		ups[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
		}))
		defer ups[i].Close()
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	for i, id := range []string{"alpha", "beta"} {
		cfg.Providers = append(cfg.Providers, config.ProviderConfig{ID: id, Type: "openai-compatible", BaseURL: ups[i].URL + "/v1",
			AllowLocal: true, Models: []string{"m"}, Accounts: []config.AccountConfig{{Name: "a", APIKey: "sk-up-1234567890"}}})
	}
	cfg.Combos = []config.ComboConfig{{Name: "cheap", Strategy: "cost-optimized",
		Targets: []config.TargetEntry{{Model: "alpha/m"}, {Model: "beta/m"}}}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Shutdown(context.Background())
	ck, _ := in.Services.CreateKey(context.Background(), "t", "cli")
	send := func() {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+in.Server.Addr()+"/v1/chat/completions",
			strings.NewReader(`{"model":"cheap","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+ck.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	served := func(want int) {
		t.Helper()
		before := [2]int64{hits[0].Load(), hits[1].Load()}
		for range 3 {
			send()
		}
		if got := hits[want].Load() - before[want]; got != 3 {
			t.Fatalf("upstream %d served %d of 3 (hits %d/%d)", want, got, hits[0].Load(), hits[1].Load())
		}
	}
	served(0) // neither priced: the combo's order
	ctx := context.Background()
	if err := in.Prices.Set(ctx, usage.Override{Provider: "beta", Model: "m", Input: 1, Output: 2}); err != nil {
		t.Fatal(err)
	}
	served(1) // priced beats unpriced
	if err := in.Prices.Set(ctx, usage.Override{Provider: "alpha", Model: "m", Input: 0.5, Output: 1}); err != nil {
		t.Fatal(err)
	}
	served(0) // cheaper now
}
