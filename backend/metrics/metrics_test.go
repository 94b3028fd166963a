package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/backend/usage"
)

func TestEndpointOffLoopbackOnly(t *testing.T) {
	m := New(Sources{})
	get := func(remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		return w
	}
	m.Observe(&usage.Row{Provider: "p", Status: 200}) // off: not counted
	if w := get("127.0.0.1:5000"); w.Code != http.StatusNotFound {
		t.Fatalf("off: %d", w.Code)
	}
	m.SetEnabled(true)
	if w := get("192.168.1.9:5000"); w.Code != http.StatusForbidden {
		t.Fatalf("from the network: %d", w.Code)
	}
	m.Observe(&usage.Row{Provider: "p", Endpoint: "/v1/embeddings", Status: 200, LatencyMS: 1500, TokensIn: 3})
	w := get("[::1]:5000")
	body := w.Body.String()
	if w.Code != 200 || strings.Count(body, `switchboard_requests_total{`) != 1 ||
		!strings.Contains(body, `gen_ai_client_operation_duration_seconds_sum{error_type="",gen_ai_operation_name="embeddings",gen_ai_provider_name="p"`) {
		t.Fatalf("scrape %d:\n%s", w.Code, body)
	}
}

func TestOperation(t *testing.T) {
	for ep, want := range map[string]string{"/v1/chat/completions": "chat", "/v1/completions": "text_completion",
		"/v1/messages": "chat", "/v1beta/models/m:batchEmbedContents": "embeddings", "/v1beta/models/m:streamGenerateContent": "chat"} {
		if got := operation(ep); got != want {
			t.Errorf("%s: %s, want %s", ep, got, want)
		}
	}
}
