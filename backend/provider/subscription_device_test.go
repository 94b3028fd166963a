package provider

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
	"switchboard/backend/provider/kimiid"
)

// pinDeviceIdentities pins the machine-dependent parts of the Kimi CLI's
// and Qwen Code's identity so goldens do not depend on the test machine.
func pinDeviceIdentities(t *testing.T) {
	t.Helper()
	savedKimi, savedQwen := kimiIdent, qwenUA
	kimiIdent = func() kimiid.Identity {
		return kimiid.New("dev-box", "/home/ada", "linux", "amd64", "6.8.0-45-generic")
	}
	qwenUA = newQwenUA("linux", "amd64")
	t.Cleanup(func() { kimiIdent, qwenUA = savedKimi, savedQwen })
}

// TestDeviceSubscriptionGoldens: the exact requests Kimi Code's and Qwen
// Code's upstreams receive for sign-in traffic. Neither rewrites the body.
func TestDeviceSubscriptionGoldens(t *testing.T) {
	pinDeviceIdentities(t)
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	const (
		anthropicBody = `{"model":"kimi-for-coding","max_tokens":1024,"system":"Be brief.","messages":[{"role":"user","content":"Hello"}],"stream":true}`
		chatBody      = `{"model":"coder-model","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}`
		otherUA       = "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.1"
	)
	tests := []struct {
		name, entry, ua, body string
		header                http.Header
		// resourceBase is the API base the sign-in named (Qwen's
		// resource_url); the catalog's base must not be used then.
		resourceBase bool
	}{
		{name: "kimi_other_client", entry: "kimi-coding", ua: otherUA, body: anthropicBody,
			header: http.Header{"Anthropic-Beta": {"interleaved-thinking-2025-05-14"}}},
		{name: "kimi_cli_client", entry: "kimi-coding", ua: "KimiCLI/1.52.0", body: anthropicBody},
		{name: "qwen_other_client", entry: "qwen-code", ua: otherUA, body: chatBody},
		{name: "qwen_code_client", entry: "qwen-code", ua: "QwenCode/0.14.4 (darwin; arm64)", body: chatBody},
		{name: "qwen_resource_url", entry: "qwen-code", ua: otherUA, body: chatBody, resourceBase: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := signInEntry(t, tt.entry, up.URL)
			call := &Call{Entry: e, APIKey: testToken, ClientUserAgent: tt.ua, Op: OpGenerate, Model: "m",
				Stream: true, Body: []byte(tt.body), Header: tt.header, AllowLocal: true}
			if tt.resourceBase {
				e.BaseURL, e.AllowLocal = "https://portal.qwen.ai/v1", true
				call.BaseURL = up.URL + "/v1"
			}
			resp, err := c.Send(context.Background(), call)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := up.last(t)
			if got.body != tt.body {
				t.Error("the body was changed on its way upstream")
			}
			if v := got.header.Get("Authorization"); v != "Bearer "+testToken || got.header.Get("X-Api-Key") != "" {
				t.Errorf("Authorization %q, X-Api-Key %q: want the bearer token only", v, got.header.Get("X-Api-Key"))
			}
			dialecttest.Golden(t, filepath.Join("testdata", "subscription", tt.name+".golden"), rendered(t, got))
		})
	}
}

func TestDeviceSubscriptionErrors(t *testing.T) {
	up := newUpstream(t, okJSON)
	c := newTestClient(t, ClientOptions{})
	for _, tt := range []struct{ entry, token, base string }{
		{"kimi-coding", "", ""},
		{"qwen-code", "  ", ""},
		// A resource_url in clear text to a remote host is refused before
		// the token leaves.
		{"qwen-code", testToken, "http://portal.qwen.ai/v1"},
	} {
		before := up.hits.Load()
		e := signInEntry(t, tt.entry, up.URL)
		_, err := c.Send(context.Background(), &Call{Entry: e, APIKey: tt.token, BaseURL: tt.base, Op: OpGenerate,
			Model: "m", Body: []byte(`{"model":"m"}`), AllowLocal: true})
		var ie *ir.Error
		if !errors.As(err, &ie) || ie.Kind != ir.KindAuth || ie.Provider != tt.entry {
			t.Errorf("%s %q: err = %v, want an auth error of %s", tt.entry, tt.base, err, tt.entry)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Error("the error contains the token")
		}
		if up.hits.Load() != before {
			t.Errorf("%s %q: a request that cannot be sent reached the upstream", tt.entry, tt.base)
		}
	}
}

func TestNewQwenUA(t *testing.T) {
	for _, tt := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", "QwenCode/" + qwenCodeVersion + " (linux; x64)"},
		{"darwin", "arm64", "QwenCode/" + qwenCodeVersion + " (darwin; arm64)"},
		{"windows", "386", "QwenCode/" + qwenCodeVersion + " (win32; ia32)"},
	} {
		if got := newQwenUA(tt.goos, tt.goarch); got != tt.want {
			t.Errorf("newQwenUA(%s, %s) = %q, want %q", tt.goos, tt.goarch, got, tt.want)
		}
	}
}
