package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"switchboard/backend/config"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"
)

// allUpstreams starts one upstream per dialect behind one gateway.
func allUpstreams(t *testing.T, o gwOpts) (*gateway, map[string]*upstream) {
	ups := map[string]*upstream{}
	var provs []prov
	for _, d := range allDialects {
		ups[d] = newUpstream(t, d)
		provs = append(provs, provFor(ups[d]))
	}
	return startGateway(t, o, provs...), ups
}

// TestErrorShapes: errors the gateway itself raises (unknown model, no key,
// a wrong key, a body that is not JSON) come back with the right status in
// each client's dialect, parsed by that client's SDK error type.
func TestErrorShapes(t *testing.T) {
	g, ups := allUpstreams(t, gwOpts{})
	cases := []struct {
		name   string
		model  string
		mutate func(*http.Request)
		status int
		typ    map[string]string // per client dialect: OpenAI code / Anthropic type / Gemini status
	}{
		{"unknown_model", "nobody/no-such-model", nil, 404, map[string]string{
			dOpenAI: "model_not_found", dResponses: "model_not_found", dAnthropic: "not_found_error", dGemini: "NOT_FOUND"}},
		{"missing_key", clientModel(dOpenAI), func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Del("X-Api-Key")
			r.Header.Del("X-Goog-Api-Key")
		}, 401, map[string]string{
			dOpenAI: "invalid_api_key", dResponses: "invalid_api_key", dAnthropic: "authentication_error", dGemini: "UNAUTHENTICATED"}},
		{"wrong_key", clientModel(dOpenAI), func(r *http.Request) {
			for _, h := range []string{"Authorization", "X-Api-Key", "X-Goog-Api-Key"} {
				if r.Header.Get(h) != "" {
					v := "sk-sb-not-a-real-key-000000000000"
					if h == "Authorization" {
						v = "Bearer " + v
					}
					r.Header.Set(h, v)
				}
			}
		}, 401, map[string]string{
			dOpenAI: "invalid_api_key", dResponses: "invalid_api_key", dAnthropic: "authentication_error", dGemini: "UNAUTHENTICATED"}},
		{"invalid_json", clientModel(dOpenAI), func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"model": "oai/oai-model", "messages": [`))
			r.ContentLength = -1
			r.Header.Del("Content-Length")
		}, 400, map[string]string{
			dOpenAI: "type:invalid_request_error", dResponses: "type:invalid_request_error", dAnthropic: "invalid_request_error", dGemini: "INVALID_ARGUMENT"}},
	}
	for _, tc := range cases {
		for _, cd := range allDialects {
			t.Run(tc.name+"/"+clientName[cd], func(t *testing.T) {
				t.Parallel()
				rt := g.hc.Transport
				if tc.mutate != nil {
					rt = mutateTransport{base: rt, mutate: tc.mutate}
				}
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				for _, stream := range []bool{false, true} {
					cv := newConvoVia(g, rt, cd, tc.model, "hi", false)
					_, err := cv.ask(ctx, stream)
					if err == nil {
						t.Fatalf("stream=%v: no error", stream)
					}
					e := sdkError(t, cd, err)
					if e.status != tc.status || e.message == "" {
						t.Errorf("stream=%v: status %d message %q, want %d with a message", stream, e.status, e.message, tc.status)
					}
					if want, ok := strings.CutPrefix(tc.typ[cd], "type:"); ok {
						if e.typ != want {
							t.Errorf("stream=%v: error type %q, want %q (body %s)", stream, e.typ, want, cv.raw())
						}
					} else if want != "" {
						got := e.typ
						if cd == dOpenAI || cd == dResponses {
							var oe *openai.Error
							if errors.As(err, &oe) {
								got = oe.Code
							}
						}
						if got != want {
							t.Errorf("stream=%v: error code/type %q, want %q (body %s)", stream, got, want, cv.raw())
						}
					}
				}
			})
		}
	}
	for d, u := range ups {
		if u.Hits() != 0 {
			t.Errorf("%s upstream was called %d times by requests the gateway must refuse", d, u.Hits())
		}
	}
}

// TestModelLists: GET /v1/models answers the OpenAI shape, the Anthropic
// shape when anthropic-version is sent, and /v1beta/models the Gemini
// shape; every id is routable prefix/model, none is an invented claude-*.
func TestModelLists(t *testing.T) {
	g, _ := allUpstreams(t, gwOpts{})
	want := map[string]bool{}
	for _, d := range allDialects {
		want[clientModel(d)] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	check := func(t *testing.T, ids []string) {
		t.Helper()
		got := map[string]bool{}
		for _, id := range ids {
			got[id] = true
			if strings.Contains(strings.ToLower(id), "claude") {
				t.Errorf("invented model name %q", id)
			}
		}
		for id := range want {
			if !got[id] {
				t.Errorf("model %q missing from %v", id, ids)
			}
		}
		if len(ids) != len(want) {
			t.Errorf("listed %d models %v, want %d", len(ids), ids, len(want))
		}
	}
	t.Run("openai_shape", func(t *testing.T) {
		oc := g.openai()
		page, err := oc.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
			if m.Object != "model" || m.OwnedBy == "" || m.Created == 0 {
				t.Errorf("model entry %s lacks object/owned_by/created", m.RawJSON())
			}
		}
		check(t, ids)
		r := g.do("GET", "/v1/models", "", nil)
		var body map[string]any
		_ = json.Unmarshal(r.Body, &body)
		if str(body["object"]) != "list" || body["has_more"] != nil {
			t.Errorf("OpenAI list shape expected, got %s", r.Body)
		}
	})
	t.Run("anthropic_shape", func(t *testing.T) {
		ac := g.anthropic()
		page, err := ac.Models.List(ctx, anthropic.ModelListParams{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
			if m.DisplayName == "" || m.CreatedAt.IsZero() || string(m.Type) != "model" {
				t.Errorf("model entry %s lacks display_name/created_at/type", m.RawJSON())
			}
		}
		check(t, ids)
		r := g.do("GET", "/v1/models", "", map[string]string{"anthropic-version": "2023-06-01", "x-api-key": g.key, "Authorization": ""})
		var body map[string]any
		_ = json.Unmarshal(r.Body, &body)
		if _, ok := body["has_more"].(bool); !ok || str(body["first_id"]) == "" || str(body["last_id"]) == "" {
			t.Errorf("Anthropic list shape (has_more, first_id, last_id) expected, got %s", r.Body)
		}
	})
	t.Run("gemini_shape", func(t *testing.T) {
		page, err := g.genai(g.key).Models.List(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range page.Items {
			if !strings.HasPrefix(m.Name, "models/") {
				t.Errorf("Gemini model name %q lacks models/", m.Name)
			}
			ids = append(ids, strings.TrimPrefix(m.Name, "models/"))
			if len(m.SupportedActions) == 0 {
				t.Errorf("Gemini model %q lists no supportedGenerationMethods", m.Name)
			}
		}
		check(t, ids)
	})
}

// TestGeminiModelWithSlash: a prefix/model name works in Gemini's URL path
// both raw and %2F-encoded, streamed and not.
func TestGeminiModelWithSlash(t *testing.T) {
	g, ups := allUpstreams(t, gwOpts{})
	for _, d := range []string{dOpenAI, dGemini} {
		for _, enc := range []string{"raw", "escaped"} {
			for _, action := range []string{":generateContent", ":streamGenerateContent?alt=sse"} {
				model := clientModel(d)
				if enc == "escaped" {
					model = strings.Replace(model, "/", "%2F", 1)
				}
				path := "/v1beta/models/" + model + action
				t.Run(d+"_upstream/"+enc+"/"+strings.TrimPrefix(strings.SplitN(action, "?", 2)[0], ":"), func(t *testing.T) {
					marker := "[slash " + enc + action + "]"
					r := g.do("POST", path, `{"contents":[{"role":"user","parts":[{"text":"hi `+marker+`"}]}]}`, nil)
					if r.Status != 200 {
						t.Fatalf("%s: %d %s", path, r.Status, r.Body)
					}
					text := ""
					if strings.Contains(action, "stream") {
						text = streamText(dGemini, parseSSE(t, r.Body))
					} else {
						text = streamText(dGemini, []frame{{Data: string(r.Body)}})
					}
					if text != helloText(d) {
						t.Errorf("text %q, want %q", text, helloText(d))
					}
					reqs := ups[d].Find(marker)
					if len(reqs) != 1 {
						t.Fatalf("upstream got %d requests", len(reqs))
					}
					if d == dGemini && !strings.HasPrefix(reqs[0].Path, "/v1beta/models/"+upstreamModel(d)+":") {
						t.Errorf("Gemini upstream path %q", reqs[0].Path)
					}
					if d == dOpenAI && str(reqs[0].JSON()["model"]) != upstreamModel(d) {
						t.Errorf("upstream model %v", reqs[0].JSON()["model"])
					}
				})
			}
		}
	}
}

// TestEmbeddings: /v1/embeddings (float and base64, and openai-go's own
// default) and Gemini :embedContent / :batchEmbedContents reach an
// OpenAI-compatible embedding upstream through an alias, and the vectors
// decode to the upstream's values.
func TestEmbeddings(t *testing.T) {
	u := newUpstream(t, dOpenAI)
	g := startGateway(t, gwOpts{aliases: map[string]string{"my-embed": "emb/text-embed-1"}},
		prov{id: "emb", up: u, models: []string{"text-embed-1"}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	checkVec := func(t *testing.T, got []float64, i int) {
		t.Helper()
		want := embeddingFor(i)
		if len(got) != len(want) {
			t.Fatalf("vector %d has %d values, want %d", i, len(got), len(want))
		}
		for j := range want {
			if float32(got[j]) != want[j] {
				t.Errorf("vector %d[%d] = %v, want %v", i, j, got[j], want[j])
			}
		}
	}
	for _, format := range []string{"float", "base64", "sdk_default"} {
		t.Run("openai/"+format, func(t *testing.T) {
			p := openai.EmbeddingNewParams{Model: "my-embed",
				Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}}}
			if format != "sdk_default" {
				p.EncodingFormat = openai.EmbeddingNewParamsEncodingFormat(format)
			}
			var raw *http.Response
			oc := g.openai()
			r, err := oc.Embeddings.New(ctx, p, option.WithResponseInto(&raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Data) != 2 {
				t.Fatalf("%d embeddings, want 2: %s", len(r.Data), r.RawJSON())
			}
			for i, e := range r.Data {
				checkVec(t, e.Embedding, i)
				isString := strings.HasPrefix(e.JSON.Embedding.Raw(), `"`)
				if format == "base64" && !isString {
					t.Errorf("asked for base64, got %s", e.JSON.Embedding.Raw())
				}
				if format == "float" && isString {
					t.Errorf("asked for float, got %s", e.JSON.Embedding.Raw())
				}
			}
			if r.Model != "my-embed" || r.Usage.PromptTokens == 0 {
				t.Errorf("model %q usage %+v", r.Model, r.Usage)
			}
		})
	}
	t.Run("openai/base64_raw_decodes_as_float32", func(t *testing.T) {
		r := g.do("POST", "/v1/embeddings", `{"model":"my-embed","input":"alpha","encoding_format":"base64"}`, nil)
		var body struct {
			Data []struct {
				Embedding string `json:"embedding"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Data) != 1 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		b, err := base64.StdEncoding.DecodeString(body.Data[0].Embedding)
		if err != nil || len(b) != 16 {
			t.Fatalf("base64 %q: %v (%d bytes)", body.Data[0].Embedding, err, len(b))
		}
		var got []float64
		for i := 0; i < len(b); i += 4 {
			got = append(got, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
		checkVec(t, got, 0)
	})
	t.Run("gemini/sdk_embed_content", func(t *testing.T) {
		r, err := g.genai(g.key).Models.EmbedContent(ctx, "my-embed",
			[]*genai.Content{genai.NewContentFromText("alpha", genai.RoleUser), genai.NewContentFromText("beta", genai.RoleUser)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Embeddings) != 2 {
			t.Fatalf("%d embeddings, want 2", len(r.Embeddings))
		}
		for i, e := range r.Embeddings {
			var got []float64
			for _, v := range e.Values {
				got = append(got, float64(v))
			}
			checkVec(t, got, i)
		}
	})
	t.Run("gemini/raw_embedContent", func(t *testing.T) {
		r := g.do("POST", "/v1beta/models/my-embed:embedContent", `{"content":{"parts":[{"text":"alpha"}]}}`, nil)
		var body struct {
			Embedding struct {
				Values []float64 `json:"values"`
			} `json:"embedding"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		checkVec(t, body.Embedding.Values, 0)
	})
	for _, req := range u.Requests() {
		if req.Path != "/v1/embeddings" || str(req.JSON()["model"]) != "text-embed-1" {
			t.Errorf("embedding upstream got %s model %v", req.Path, req.JSON()["model"])
		}
	}
}

// TestGeminiQueryKey: Gemini clients may pass the key as ?key=; it is
// accepted there (and only there), and it never lands in the request log.
func TestGeminiQueryKey(t *testing.T) {
	g, _ := allUpstreams(t, gwOpts{})
	noKey := map[string]string{"x-goog-api-key": "", "Authorization": ""}
	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	for _, path := range []string{
		"/v1beta/models/" + clientModel(dOpenAI) + ":generateContent?key=" + g.key,
		"/v1beta/models/" + clientModel(dAnthropic) + ":streamGenerateContent?alt=sse&key=" + g.key,
	} {
		if r := g.do("POST", path, body, noKey); r.Status != 200 {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := g.do("POST", "/v1beta/models/"+clientModel(dOpenAI)+":generateContent", body, noKey); r.Status != 401 {
		t.Errorf("no key at all: %d, want 401", r.Status)
	}
	if r := g.do("POST", "/v1/chat/completions?key="+g.key, `{"model":"oai/oai-model","messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": ""}); r.Status != 401 {
		t.Errorf("?key= on an OpenAI path: %d, want 401", r.Status)
	}
	waitFor(t, "two log rows", func() bool { return len(g.logs()) >= 2 })
	for _, row := range g.logs() {
		b, _ := json.Marshal(row)
		if bytes.Contains(b, []byte(g.key)) {
			t.Errorf("the key from ?key= reached the request log: %s", b)
		}
	}
}

// TestHeadRoot: Claude Code probes the base URL with HEAD / before its
// first call, without a key.
func TestHeadRoot(t *testing.T) {
	g, _ := allUpstreams(t, gwOpts{})
	req, _ := http.NewRequest("HEAD", g.base+"/", nil)
	resp, err := g.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HEAD / = %d, want 200", resp.StatusCode)
	}
}

// TestCountTokens: Anthropic's count_tokens and Gemini's :countTokens ask
// an upstream that can count and estimate otherwise.
func TestCountTokens(t *testing.T) {
	g, ups := allUpstreams(t, gwOpts{})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	prompt := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20)
	t.Run("anthropic_client", func(t *testing.T) {
		for _, d := range []string{dOpenAI, dResponses, dAnthropic, dGemini} {
			before := ups[d].Hits()
			ac := g.anthropic()
			r, err := ac.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: clientModel(d),
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}})
			if err != nil {
				t.Fatalf("%s upstream: %v", d, err)
			}
			switch d {
			case dAnthropic:
				if r.InputTokens != 42 {
					t.Errorf("anthropic upstream: %d tokens, want the upstream's 42", r.InputTokens)
				}
				last := ups[d].Requests()[len(ups[d].Requests())-1]
				if last.Path != "/v1/messages/count_tokens" || str(last.JSON()["model"]) != upstreamModel(d) {
					t.Errorf("anthropic upstream got %s model %v", last.Path, last.JSON()["model"])
				}
			case dGemini:
				if r.InputTokens != 42 {
					t.Errorf("gemini upstream: %d tokens, want the upstream's 42", r.InputTokens)
				}
			default:
				if r.InputTokens < 180 || r.InputTokens > 320 {
					t.Errorf("%s upstream: estimate %d for a ~200-token prompt", d, r.InputTokens)
				}
				if ups[d].Hits() != before {
					t.Errorf("%s upstream was asked to count, it cannot", d)
				}
			}
		}
	})
	t.Run("gemini_client", func(t *testing.T) {
		c := g.genai(g.key)
		for _, d := range []string{dOpenAI, dGemini, dAnthropic} {
			r, err := c.Models.CountTokens(ctx, clientModel(d), []*genai.Content{genai.NewContentFromText(prompt, genai.RoleUser)}, nil)
			if err != nil {
				t.Fatalf("%s upstream: %v", d, err)
			}
			if d == dOpenAI && (r.TotalTokens < 180 || r.TotalTokens > 320) {
				t.Errorf("openai upstream: estimate %d for a ~200-token prompt", r.TotalTokens)
			}
			if d != dOpenAI && r.TotalTokens != 42 {
				t.Errorf("%s upstream: %d tokens, want the upstream's 42", d, r.TotalTokens)
			}
		}
		last := ups[dGemini].Requests()[len(ups[dGemini].Requests())-1]
		if last.Path != "/v1beta/models/"+upstreamModel(dGemini)+":countTokens" {
			t.Errorf("gemini upstream got %s", last.Path)
		}
	})
}

// TestPassThrough: when client and upstream speak the same dialect the
// client receives the upstream's bytes with only the model renamed to the one
// it asked for, and the upstream receives the client's bytes with only the
// model rewritten.
func TestPassThrough(t *testing.T) {
	g, ups := allUpstreams(t, gwOpts{})
	for _, d := range allDialects {
		for _, stream := range []bool{false, true} {
			mode := "json"
			if stream {
				mode = "stream"
			}
			t.Run(clientName[d]+"/"+mode, func(t *testing.T) {
				marker := "[passthrough " + d + " " + mode + "]"
				path, body := rawRequest(d, clientModel(d), stream, "Say hello. "+marker)
				if d != dGemini {
					// Unknown fields and odd spacing must survive as they are.
					body = strings.Replace(body, "{", `{"x_unknown_field": {"keep": [1, 2.50, "me"]},   `, 1)
				}
				hdr := map[string]string{}
				if d == dAnthropic {
					hdr["anthropic-beta"] = "interleaved-thinking-2025-05-14"
				}
				r := g.do("POST", path, body, hdr)
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				var want string // the upstream's bytes, naming the client's model
				if stream {
					for _, ev := range buildStream(d, turnPlain, clientModel(d)) {
						want += string(ev.bytes())
					}
				} else {
					want = buildJSON(d, turnPlain, clientModel(d))
				}
				if string(r.Body) != want {
					t.Errorf("client got bytes different from the upstream's:\ngot:\n%s\nwant:\n%s", r.Body, want)
				}
				reqs := ups[d].Find(marker)
				if len(reqs) != 1 {
					t.Fatalf("upstream got %d requests", len(reqs))
				}
				wantBody := body
				if d != dGemini {
					wantBody = strings.Replace(body, `"model":"`+clientModel(d)+`"`, `"model":"`+upstreamModel(d)+`"`, 1)
				}
				if string(reqs[0].Body) != wantBody {
					t.Errorf("upstream body differs beyond the model:\ngot:  %s\nwant: %s", reqs[0].Body, wantBody)
				}
				if d == dAnthropic && reqs[0].Header.Get("Anthropic-Beta") != "interleaved-thinking-2025-05-14" {
					t.Errorf("anthropic-beta not forwarded: %v", reqs[0].Header)
				}
			})
		}
	}
}

// TestPreviousResponseID: a Responses request that continues a stored
// response goes only to a Responses upstream (which stored it), the field
// intact; a route to another dialect refuses it clearly instead of
// answering without the conversation, and a combo moves on to a target
// that can serve it, blaming no upstream.
func TestPreviousResponseID(t *testing.T) {
	ant, rsp := newUpstream(t, dAnthropic), newUpstream(t, dResponses)
	o := gwOpts{combos: []config.ComboConfig{{Name: "resume", Targets: []config.TargetEntry{
		{Model: clientModel(dAnthropic)}, {Model: clientModel(dResponses)}}}}}
	g := startGateway(t, o, provFor(ant), provFor(rsp))
	send := func(model, marker string) rawResp {
		path, body := rawRequest(dResponses, model, false, "Go on. "+marker)
		body = strings.Replace(body, "{", `{"previous_response_id":"resp_stored_1",`, 1)
		return g.do("POST", path, body, nil)
	}
	r := send(clientModel(dResponses), "[prev rsp]")
	if r.Status != 200 {
		t.Fatalf("to a Responses upstream: %d %s", r.Status, r.Body)
	}
	if got := rsp.Find("[prev rsp]"); len(got) != 1 || str(got[0].JSON()["previous_response_id"]) != "resp_stored_1" {
		t.Errorf("the Responses upstream did not get previous_response_id")
	}
	r = send(clientModel(dAnthropic), "[prev ant]")
	if r.Status != 400 || !strings.Contains(string(r.Body), "previous_response_id can only be resumed") ||
		!strings.Contains(string(r.Body), `"error":{`) {
		t.Errorf("to an Anthropic upstream: %d %s, want a 400 in the Responses error shape", r.Status, r.Body)
	}
	if n := len(ant.Find("[prev ant]")); n != 0 {
		t.Errorf("the Anthropic upstream got %d requests it cannot serve", n)
	}
	if cs := g.in.Health.Cooldowns(); len(cs) != 0 {
		t.Errorf("an unfit request benched upstreams: %+v", cs)
	}
	r = send("resume", "[prev combo]")
	if r.Status != 200 || len(rsp.Find("[prev combo]")) != 1 || len(ant.Find("[prev combo]")) != 0 {
		t.Errorf("the combo did not move on to the Responses target: %d %s", r.Status, r.Body)
	}
}
