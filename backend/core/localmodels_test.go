package core

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/config"
)

// TestLocalModelsDiscovered: an Ollama-style server lists what is pulled;
// routing, /v1/models and bare names follow it, and follow a change.
func TestLocalModelsDiscovered(t *testing.T) {
	var mu sync.Mutex
	pulled := `{"object":"list","data":[{"id":"qwen3:8b","object":"model"},{"id":"llama3.2","object":"model"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, pulled)
	}))
	defer srv.Close()
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Providers = []config.ProviderConfig{{ID: "ollama", BaseURL: srv.URL + "/v1"}}
	in, err := Start(context.Background(), cfg, Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Shutdown(context.Background())
	models := func() string {
		p, ok := in.Routes.Load().Provider("ollama")
		if !ok {
			return ""
		}
		var ids []string
		for _, m := range p.Entry.Models {
			ids = append(ids, m.ID)
		}
		return strings.Join(ids, ",")
	}
	deadline := time.Now().Add(5 * time.Second)
	for models() != "qwen3:8b,llama3.2" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := models(); got != "qwen3:8b,llama3.2" {
		t.Fatalf("ollama routes %q, want what the server has pulled", got)
	}
	if _, err := in.Routes.Load().Resolve("qwen3:8b"); err != nil {
		t.Errorf("the bare name of a pulled model does not route: %v", err)
	}
	if _, err := in.Routes.Load().Resolve("gpt-oss:20b"); err == nil {
		t.Errorf("a catalog example the machine does not have still routes")
	}
	ck, err := in.Services.CreateKey(context.Background(), "t", "cli")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+in.Server.Addr()+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer "+ck.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"ollama/qwen3:8b"`) {
		t.Errorf("/v1/models does not list the pulled model: %s", body)
	}
	// The user pulls another model and removes one.
	mu.Lock()
	pulled = `{"object":"list","data":[{"id":"qwen3:8b"},{"id":"devstral:24b"}]}`
	mu.Unlock()
	if !in.discoverLocalModels(context.Background()) {
		t.Fatal("a changed list was not noticed")
	}
	if got := models(); got != "qwen3:8b,devstral:24b" {
		t.Errorf("after a pull: %q", got)
	}
	// The server stops: the last list stays.
	srv.Close()
	if in.discoverLocalModels(context.Background()) {
		t.Error("a server that is down changed the routes")
	}
	if got := models(); got != "qwen3:8b,devstral:24b" {
		t.Errorf("with the server down: %q", got)
	}
}
