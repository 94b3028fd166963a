package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

func TestListModels(t *testing.T) {
	tests := []struct {
		name    string
		d       dialect.Name
		auth    AuthStyle
		handler http.HandlerFunc
		want    []string
		calls   int32
	}{
		{"openai", dialect.OpenAIChat, AuthBearer, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/models" || r.Header.Get("Authorization") != "Bearer "+testKey {
				http.Error(w, `{"error":{"message":"bad"}}`, http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"gpt-4.1","object":"model","owned_by":"openai"},{"id":"text-embedding-3-small","object":"model"},{"id":"gpt-4.1"}]}`)
		}, []string{"gpt-4.1", "text-embedding-3-small"}, 1},
		{"anthropic paginated", dialect.Anthropic, AuthXAPIKey, func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if r.URL.Path != "/v1/models" || q.Get("limit") != "1000" || r.Header.Get("X-Api-Key") != testKey {
				http.Error(w, `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`, 400)
				return
			}
			if q.Get("after_id") == "" {
				_, _ = io.WriteString(w, `{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5"}],"has_more":true,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}`)
				return
			}
			_, _ = io.WriteString(w, `{"data":[{"type":"model","id":"claude-haiku-4-5"}],"has_more":false,"last_id":"claude-haiku-4-5"}`)
		}, []string{"claude-sonnet-4-5", "claude-haiku-4-5"}, 2},
		{"gemini paginated", dialect.Gemini, AuthGoogKey, func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if r.URL.Path != "/v1beta/models" || q.Get("pageSize") != "1000" || r.Header.Get("X-Goog-Api-Key") != testKey {
				http.Error(w, `{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}`, 400)
				return
			}
			if q.Get("pageToken") == "" {
				_, _ = io.WriteString(w, `{"models":[{"name":"models/gemini-2.5-pro","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"tok2"}`)
				return
			}
			_, _ = io.WriteString(w, `{"models":[{"name":"models/gemini-embedding-001"}]}`)
		}, []string{"gemini-2.5-pro", "gemini-embedding-001"}, 2},
	}
	c := newTestClient(t, ClientOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			base := up.URL
			if versioned(tt.d) {
				base += "/v1"
			}
			e := entryFor(tt.d, base, tt.auth)
			e.ListModels = true
			got, err := c.ListModels(context.Background(), e, testKey, true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if up.hits.Load() != tt.calls {
				t.Errorf("%d requests, want %d", up.hits.Load(), tt.calls)
			}
		})
	}
}

func TestListModelsErrors(t *testing.T) {
	c := newTestClient(t, ClientOptions{})
	e := entryFor(dialect.Anthropic, "http://127.0.0.1:1", AuthXAPIKey)
	_, err := c.ListModels(context.Background(), e, testKey, true)
	var ie *ir.Error
	if !errors.As(err, &ie) || ie.Kind != ir.KindNotFound {
		t.Errorf("entry without list_models: %v", err)
	}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>hi</html>") })
	e = entryFor(dialect.OpenAIChat, up.URL, AuthBearer)
	e.ListModels = true
	if _, err := c.ListModels(context.Background(), e, testKey, true); !errors.As(err, &ie) || ie.Kind != ir.KindUpstream5xx {
		t.Errorf("non-JSON list: %v", err)
	}
	endless := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"models":[{"name":"models/x"}],"nextPageToken":"again"}`)
	})
	e = entryFor(dialect.Gemini, endless.URL, AuthGoogKey)
	e.ListModels = true
	if got, err := c.ListModels(context.Background(), e, testKey, true); err != nil || len(got) != 1 || endless.hits.Load() != maxModelPages {
		t.Errorf("endless pagination: %v %v after %d pages", got, err, endless.hits.Load())
	}
}

func TestProviderTest(t *testing.T) {
	c := newTestClient(t, ClientOptions{})
	t.Run("lists models when it can", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"data":[{"id":"m"}]}`) })
		e := entryFor(dialect.OpenAIChat, up.URL, AuthBearer)
		e.ListModels = true
		lat, err := c.Test(context.Background(), e, Access{Token: testKey}, true)
		if err != nil || lat <= 0 || up.last(t).method != http.MethodGet {
			t.Fatalf("latency %v err %v", lat, err)
		}
	})
	pings := []struct {
		d          dialect.Name
		path       string
		checkField string
	}{
		{dialect.Anthropic, "/v1/messages", "max_tokens"},
		{dialect.OpenAIChat, "/chat/completions", "max_tokens"},
		{dialect.Responses, "/responses", "max_output_tokens"},
		{dialect.Gemini, "/v1beta/models/chat-model:generateContent", "generationConfig"},
	}
	for _, p := range pings {
		t.Run("pings "+string(p.d), func(t *testing.T) {
			up := newUpstream(t, okJSON)
			e := entryFor(p.d, up.URL, defaultAuth(p.d))
			e.Models = []Model{{ID: "embedder", Embedding: true}, {ID: "chat-model"}}
			if _, err := c.Test(context.Background(), e, Access{Token: testKey}, true); err != nil {
				t.Fatal(err)
			}
			got := up.last(t)
			var body map[string]any
			if err := json.Unmarshal([]byte(got.body), &body); err != nil {
				t.Fatalf("ping body %q: %v", got.body, err)
			}
			if got.method != http.MethodPost || got.path != p.path || body[p.checkField] == nil {
				t.Errorf("%s %s %s", got.method, got.path, got.body)
			}
			if p.d != dialect.Gemini && body["model"] != "chat-model" {
				t.Errorf("ping used model %v", body["model"])
			}
		})
	}
	t.Run("falls back to a ping when /models is missing", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				http.NotFound(w, r)
				return
			}
			okJSON(w, r)
		})
		e := entryFor(dialect.OpenAIChat, up.URL, AuthBearer)
		e.ListModels, e.Models = true, []Model{{ID: "chat-model"}}
		if _, err := c.Test(context.Background(), e, Access{Token: testKey}, true); err != nil || up.hits.Load() != 2 {
			t.Fatalf("err %v after %d requests", err, up.hits.Load())
		}
	})
	t.Run("reports auth failures", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
		})
		e := entryFor(dialect.Anthropic, up.URL, AuthXAPIKey)
		e.Models = []Model{{ID: "chat-model"}}
		_, err := c.Test(context.Background(), e, Access{Token: testKey}, true)
		var ie *ir.Error
		if !errors.As(err, &ie) || ie.Kind != ir.KindAuth {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ranks one document on a rerank-only provider", func(t *testing.T) {
		up := newUpstream(t, okJSON)
		e := entryFor(dialect.OpenAIChat, up.URL, AuthBearer)
		e.Models = []Model{{ID: "rerank-v3.5", Capabilities: []Capability{CapRerank}}}
		if _, err := c.Test(context.Background(), e, Access{Token: testKey}, true); err != nil {
			t.Fatal(err)
		}
		if got := up.last(t); got.path != "/rerank" || !strings.Contains(got.body, `"documents":["ping"]`) || !strings.Contains(got.body, `"model":"rerank-v3.5"`) {
			t.Errorf("%s %s", got.path, got.body)
		}
	})
	t.Run("nothing to test with", func(t *testing.T) {
		e := entryFor(dialect.Anthropic, "http://127.0.0.1:1", AuthXAPIKey)
		if _, err := c.Test(context.Background(), e, Access{Token: testKey}, true); err == nil {
			t.Fatal("no error")
		}
	})
}
