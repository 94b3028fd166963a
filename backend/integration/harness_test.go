package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"switchboard/backend/config"
	"switchboard/backend/core"
	"switchboard/backend/usage"
)

// testTimeout bounds every request a test makes; nothing here should take
// more than a fraction of it.
const testTimeout = 10 * time.Second

// providerID is the id (and routing prefix) of the provider speaking d.
var providerID = map[string]string{dOpenAI: "oai", dResponses: "rsp", dAnthropic: "ant", dGemini: "gem"}

var configType = map[string]string{
	dOpenAI: "openai-compatible", dResponses: "responses-compatible",
	dAnthropic: "anthropic-compatible", dGemini: "gemini-compatible",
}

// upstreamModel is the model id the provider speaking d serves.
func upstreamModel(d string) string { return providerID[d] + "-model" }

// clientModel is what a client sends to reach that model.
func clientModel(d string) string { return providerID[d] + "/" + upstreamModel(d) }

// prov declares one provider of a test gateway: a scripted upstream, or
// any server of a dialect at base.
type prov struct {
	id      string
	up      *upstream
	models  []string
	dialect string // with base, when up is nil
	base    string
	cfg     *config.ProviderConfig // declared as is (a sign-in provider)
}

// provFor is the default provider for an upstream.
func provFor(u *upstream) prov {
	return prov{id: providerID[u.dialect], up: u, models: []string{upstreamModel(u.dialect)}}
}

func (p prov) config() config.ProviderConfig {
	if p.cfg != nil {
		return *p.cfg
	}
	d, base := p.dialect, p.base
	if p.up != nil {
		d, base = p.up.dialect, p.up.BaseURL()
	}
	return config.ProviderConfig{ID: p.id, Type: configType[d], BaseURL: base, AllowLocal: true,
		Models: p.models, Accounts: []config.AccountConfig{{Name: "main", APIKey: config.Secret(upstreamKey(d))}}}
}

// gateway is a running Switchboard with a local key.
type gateway struct {
	t    *testing.T
	in   *core.Instance
	base string // http://127.0.0.1:port
	key  string
	hc   *http.Client
	// stopped: shut down already (see stop)
	stopped bool
}

// gwOpts tune a test gateway.
type gwOpts struct {
	aliases map[string]string
	combos  []config.ComboConfig
	idle    time.Duration // upstream stream idle timeout (default 5s)
	// dataDir reuses a data directory (a restart); key then names a local
	// key already stored there instead of creating one.
	dataDir string
	key     string
	// bodyBudgetMiB sets max_inflight_body_mib (0: the default).
	bodyBudgetMiB int
	// edit changes the config last (a catalog provider's overrides).
	edit func(*config.Config)
}

// startGateway starts a real instance (core.Start) on 127.0.0.1:0 routing
// to the given providers; it stops with the test.
func startGateway(t *testing.T, o gwOpts, provs ...prov) *gateway {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = o.dataDir
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Aliases, cfg.Combos = o.aliases, o.combos
	if o.bodyBudgetMiB != 0 {
		cfg.MaxInflightBodyMiB = o.bodyBudgetMiB
	}
	if o.idle == 0 {
		o.idle = 5 * time.Second
	}
	for _, p := range provs {
		cfg.Providers = append(cfg.Providers, p.config())
	}
	if o.edit != nil {
		o.edit(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	in, err := core.Start(ctx, cfg, core.Options{Mode: "headless", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		StreamIdleTimeout: o.idle})
	if err != nil {
		t.Fatalf("core.Start: %v", err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: testTimeout}
	g := &gateway{t: t, in: in, base: "http://" + in.Server.Addr(), hc: &http.Client{Transport: tr, Timeout: 2 * testTimeout}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if !g.stopped {
			g.stop()
		}
	})
	if o.key != "" {
		g.key = o.key
		return g
	}
	ck, err := in.Services.CreateKey(ctx, "integration", "cli")
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	g.key = ck.Secret
	return g
}

// stop shuts the gateway down now (a restart); the cleanup then does nothing.
func (g *gateway) stop() {
	g.t.Helper()
	g.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := g.in.Shutdown(ctx); err != nil {
		g.t.Errorf("shutdown: %v", err)
	}
}

// logs flushes the request log and returns every row.
func (g *gateway) logs() []usage.Row {
	g.t.Helper()
	g.in.Recorder.Flush()
	rows, err := g.in.Services.Logs(context.Background(), usage.Filter{})
	if err != nil {
		g.t.Fatalf("Logs: %v", err)
	}
	return rows
}

// --- official SDK clients pointed at the gateway ---

func (g *gateway) openai(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(g.base + "/v1/"), option.WithAPIKey(g.key),
		option.WithMaxRetries(0), option.WithHTTPClient(g.hc)}, opts...)...)
}

func (g *gateway) anthropic(opts ...aoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]aoption.RequestOption{aoption.WithBaseURL(g.base), aoption.WithAPIKey(g.key),
		aoption.WithMaxRetries(0), aoption.WithHTTPClient(g.hc)}, opts...)...)
}

func (g *gateway) genai(key string) *genai.Client {
	g.t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: key, Backend: genai.BackendGeminiAPI,
		HTTPClient: g.hc, HTTPOptions: genai.HTTPOptions{BaseURL: g.base}})
	if err != nil {
		g.t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

// --- raw HTTP ---

type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a raw request with the key the way the path's SDK would.
func (g *gateway) do(method, path, body string, hdr map[string]string) rawResp {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(path, "/v1beta/"):
		req.Header.Set("x-goog-api-key", g.key)
	case strings.HasPrefix(path, "/v1/messages"):
		req.Header.Set("x-api-key", g.key)
		req.Header.Set("anthropic-version", "2023-06-01")
	default:
		req.Header.Set("Authorization", "Bearer "+g.key)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatalf("%s %s: reading body: %v (read so far: %s)", method, path, err, b)
	}
	return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// frame is one SSE event as a client parses it.
type frame struct {
	Event string
	Data  string
}

// parseSSE splits an SSE body into events, failing on lines a strict
// client would not expect (anything but event:, data:, id:, retry:, comments).
func parseSSE(t *testing.T, body []byte) []frame {
	t.Helper()
	var out []frame
	var cur frame
	var data []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil || cur.Event != "" {
				cur.Data = strings.Join(data, "\n")
				out = append(out, cur)
			}
			cur, data = frame{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			cur.Event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case strings.HasPrefix(line, "id:"), strings.HasPrefix(line, "retry:"):
		default:
			t.Errorf("SSE body has a line no SSE client expects: %q\nbody:\n%s", line, body)
		}
	}
	if data != nil || cur.Event != "" {
		t.Errorf("SSE body does not end with a blank line after its last event:\n%s", body)
	}
	return out
}

func shorten(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// rawRequest is a minimal request of the client's dialect for model.
func rawRequest(client, model string, stream bool, prompt string) (path, body string) {
	s := "false"
	if stream {
		s = "true"
	}
	switch client {
	case dResponses:
		return "/v1/responses", `{"model":` + q(model) + `,"stream":` + s + `,"input":` + q(prompt) + `}`
	case dAnthropic:
		return "/v1/messages", `{"model":` + q(model) + `,"max_tokens":256,"stream":` + s + `,"messages":[{"role":"user","content":` + q(prompt) + `}]}`
	case dGemini:
		action := ":generateContent"
		if stream {
			action = ":streamGenerateContent?alt=sse"
		}
		return "/v1beta/models/" + model + action, `{"contents":[{"role":"user","parts":[{"text":` + q(prompt) + `}]}]}`
	}
	opts := ""
	if stream {
		opts = `,"stream_options":{"include_usage":true}`
	}
	return "/v1/chat/completions", `{"model":` + q(model) + `,"stream":` + s + opts + `,"messages":[{"role":"user","content":` + q(prompt) + `}]}`
}

// streamText concatenates the text deltas of a client-dialect stream.
func streamText(client string, fs []frame) string {
	var b strings.Builder
	for _, f := range fs {
		var m map[string]any
		if json.Unmarshal([]byte(f.Data), &m) != nil {
			continue
		}
		switch client {
		case dOpenAI:
			for _, c := range arr(m["choices"]) {
				b.WriteString(str(obj(obj(c)["delta"])["content"]))
			}
		case dAnthropic:
			if d := obj(m["delta"]); str(d["type"]) == "text_delta" {
				b.WriteString(str(d["text"]))
			}
		case dResponses:
			if str(m["type"]) == "response.output_text.delta" {
				b.WriteString(str(m["delta"]))
			}
		case dGemini:
			for _, c := range arr(m["candidates"]) {
				for _, p := range arr(obj(obj(c)["content"])["parts"]) {
					b.WriteString(str(obj(p)["text"]))
				}
			}
		}
	}
	return b.String()
}
