package provider

import (
	"testing"

	"switchboard/backend/config"
)

// Which providers run without a key: local servers and custom providers,
// not a catalog vendor pointed at a local address (a proxy of its API) nor
// a sign-in.
func TestKeyOptional(t *testing.T) {
	for _, c := range []struct {
		pc   config.ProviderConfig
		want bool
	}{
		{config.ProviderConfig{ID: "ollama"}, true},
		{config.ProviderConfig{ID: "openai"}, false},
		{config.ProviderConfig{ID: "openai", BaseURL: "http://127.0.0.1:8080/v1", AllowLocal: true}, false},
		{config.ProviderConfig{ID: "my-vllm", Type: "openai-compatible", BaseURL: "http://127.0.0.1:8000/v1", AllowLocal: true}, true},
		{config.ProviderConfig{ID: "my-proxy", Type: "openai-compatible", BaseURL: "https://llm.example.com/v1"}, true},
		{config.ProviderConfig{ID: "claude"}, false},
	} {
		e, err := FromConfig(c.pc)
		if err != nil {
			t.Fatalf("%s: %v", c.pc.ID, err)
		}
		if got := e.KeyOptional(); got != c.want {
			t.Errorf("%s (%s, allow_local %v): key optional %v, want %v", c.pc.ID, c.pc.BaseURL, c.pc.AllowLocal, got, c.want)
		}
	}
}
