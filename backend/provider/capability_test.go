package provider

import (
	"strings"
	"testing"

	"switchboard/backend/config"
)

// A custom provider declares what its models serve; a bad name is refused.
func TestCustomProviderCapabilities(t *testing.T) {
	e, err := FromConfig(config.ProviderConfig{ID: "whisper", Type: "openai-compatible", BaseURL: "http://127.0.0.1:8080/v1", AllowLocal: true,
		Capabilities: []string{"Transcription"}, Models: []string{"whisper-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Serves("whisper-1", CapTranscription) || e.Serves("whisper-1", CapChat) || e.Serves("other", CapImage) {
		t.Errorf("caps %v", e.Capabilities)
	}
	if !e.Serves("other", CapTranscription) {
		t.Error("an unlisted model of the provider is refused its declared capability")
	}
	plain, _ := FromConfig(config.ProviderConfig{ID: "vllm", Type: "openai-compatible", BaseURL: "http://127.0.0.1:8000/v1", AllowLocal: true, Models: []string{"m"}})
	if !plain.Serves("m", CapChat) || !plain.Serves("m", CapEmbedding) {
		t.Error("an undeclared custom model is judged")
	}
	_, err = FromConfig(config.ProviderConfig{ID: "x", Type: "openai-compatible", BaseURL: "http://127.0.0.1:8000/v1", AllowLocal: true, Capabilities: []string{"telepathy"}})
	if err == nil || !strings.Contains(err.Error(), `unknown capability "telepathy"`) {
		t.Errorf("err %v", err)
	}
}
