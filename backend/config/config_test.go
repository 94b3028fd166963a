package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseValidFile(t *testing.T) {
	t.Setenv("SB_TEST_OPENAI", "sk-upstream-123")
	src := `
listen: 127.0.0.1:3000
keys:
  - name: ci
    key: sk-sb-0123456789abcdef
providers:
  - id: openai
    accounts:
      - name: main
        api_key: ${SB_TEST_OPENAI}
combos:
  - name: coding
    strategy: priority
    targets:
      - model: openai/gpt-5
aliases:
  fast: openai/gpt-5-mini
`
	cfg, err := Parse("sb.yaml", []byte(src), Default())
	if err != nil {
		t.Fatalf("valid file rejected: %v", err)
	}
	if cfg.Listen != "127.0.0.1:3000" || cfg.LogFormat != "text" {
		t.Fatalf("file or defaults not applied: %+v", cfg)
	}
	if got := cfg.Providers[0].Accounts[0].APIKey.Reveal(); got != "sk-upstream-123" {
		t.Fatalf("env reference not expanded: %q", got)
	}
	if s := fmt.Sprintf("%v %+v", cfg.Keys[0].Key, cfg.Keys[0]); strings.Contains(s, "0123456789") {
		t.Fatalf("secret printed: %s", s)
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	src := `listen: nowhere
log_format: xml
colour: blue
keys:
  - name: "bad name!"
    key: short
providers:
  - id: Bad_ID
    base_url: ftp://example.com
    account_strategy: weighted
    accounts:
      - name: a
        api_key: ${SB_TEST_UNSET_VAR}
        rpm: -1
        bogus: 1
combos:
  - name: c
    strategy: fastest
    targets: []
`
	_, err := Parse("sb.yaml", []byte(src), Default())
	if err == nil {
		t.Fatal("bad file accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"sb.yaml:1: listen:",
		"sb.yaml:2: log_format:",
		"sb.yaml:3: colour: unknown key",
		"keys[0].name",
		"keys[0].key",
		"providers[0].id",
		"providers[0].base_url",
		"providers[0].account_strategy",
		"SB_TEST_UNSET_VAR is not set",
		"providers[0].accounts[0].bogus: unknown key",
		"combos[0].strategy",
		"combos[0].targets",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing problem %q in:\n%s", want, msg)
		}
	}
}

func TestParseTypeErrorAndEmpty(t *testing.T) {
	if _, err := Parse("x.yaml", []byte("listen: [1, 2]\n"), Default()); err == nil || !strings.Contains(err.Error(), "x.yaml") {
		t.Fatalf("type error not reported with file: %v", err)
	}
	cfg, err := Parse("empty.yaml", nil, Default())
	if err != nil || cfg.Listen != DefaultListen {
		t.Fatalf("empty file: %v %+v", err, cfg)
	}
	if _, err := Parse("bad.yaml", []byte("listen: : :\n\t- x"), Default()); err == nil {
		t.Fatal("invalid YAML accepted")
	}
}

func TestPrecedence(t *testing.T) {
	cfg := Default()
	env := EnvOverrides(func(k string) (string, bool) {
		m := map[string]string{"SWITCHBOARD_LISTEN": "127.0.0.1:1111", "SWITCHBOARD_LOG_LEVEL": "debug"}
		v, ok := m[k]
		return v, ok
	})
	cfg.Apply(env)
	flagListen := "127.0.0.1:2222"
	cfg.Apply(Overrides{Listen: &flagListen})
	if cfg.Listen != "127.0.0.1:2222" || cfg.LogLevel != "debug" {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A plain-http base_url is accepted only on this machine or with
// allow_local; anywhere else it is a config error located by file and line
// (it used to be a start-up warning while the provider was dropped).
func TestPlainHTTPNeedsLoopbackOrAllowLocal(t *testing.T) {
	src := `providers:
  - id: ollama
    base_url: http://127.0.0.1:11434/v1
  - id: lmstudio
    base_url: http://localhost:1234/v1
  - id: my-vllm
    type: openai-compatible
    base_url: http://10.0.0.5:8000/v1
    allow_local: true
  - id: corp
    type: openai-compatible
    base_url: https://llm.corp.example/v1
  - id: cleartext
    type: openai-compatible
    base_url: http://llm.corp.example/v1
  - id: ollama
    prefix: metadata
    base_url: http://169.254.169.254/
`
	_, err := Parse("sb.yaml", []byte(src), Default())
	if err == nil {
		t.Fatal("plain http to other machines accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`sb.yaml:15: providers[4].base_url: "http://llm.corp.example/v1" would send the API key in clear text`,
		`sb.yaml:18: providers[5].base_url: "http://169.254.169.254/" would send the API key in clear text`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	for _, ok := range []string{"providers[0]", "providers[1]", "providers[2]", "providers[3]"} {
		if strings.Contains(msg, ok) {
			t.Errorf("%s rejected:\n%s", ok, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 2 {
		t.Errorf("%d problems, want 2:\n%s", n, msg)
	}
}

func TestLoopbackURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:11434/v1": true, "http://127.9.9.9": true, "http://localhost:1234/v1": true,
		"http://LOCALHOST": true, "http://[::1]:8080": true, "http://[::ffff:127.0.0.1]": true,
		"http://169.254.169.254": false, "http://10.0.0.5:8000/v1": false, "http://0.0.0.0:11434": false,
		"http://localhost.evil.example": false, "http://127.0.0.1.nip.io": false, "https://api.openai.com/v1": false,
		"::bad": false,
	} {
		if got := LoopbackURL(raw); got != want {
			t.Errorf("LoopbackURL(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestMaxInflightBodyMiB(t *testing.T) {
	env := func(v string) Overrides {
		return EnvOverrides(func(k string) (string, bool) {
			if k == "SWITCHBOARD_MAX_INFLIGHT_BODY_MIB" {
				return v, true
			}
			return "", false
		})
	}
	cfg := Default()
	if cfg.MaxInflightBodyMiB != DefaultMaxInflightBodyMiB || cfg.Validate() != nil {
		t.Fatalf("default %d not valid: %v", cfg.MaxInflightBodyMiB, cfg.Validate())
	}
	cfg.Apply(env("64"))
	if cfg.MaxInflightBodyMiB != 64 || cfg.Validate() != nil {
		t.Fatalf("env override: %d %v", cfg.MaxInflightBodyMiB, cfg.Validate())
	}
	for _, bad := range []string{"lots", "0", "-5", "2000000"} {
		cfg := Default()
		cfg.Apply(env(bad))
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "max_inflight_body_mib") || !strings.Contains(err.Error(), strings.Trim(bad, "-")) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := Parse("sb.yaml", []byte("listen: 127.0.0.1:1\nmax_inflight_body_mib: 0\n"), Default()); err == nil ||
		!strings.Contains(err.Error(), "sb.yaml:2: max_inflight_body_mib") {
		t.Errorf("file value 0: %v", err)
	}
	if c, err := Parse("sb.yaml", []byte("max_inflight_body_mib: 32\n"), Default()); err != nil || c.MaxInflightBodyMiB != 32 {
		t.Errorf("file value 32: %v %d", err, c.MaxInflightBodyMiB)
	}
}

func TestMaxUploadMiB(t *testing.T) {
	cfg := Default()
	if cfg.MaxUploadMiB != DefaultMaxUploadMiB {
		t.Fatalf("default %d", cfg.MaxUploadMiB)
	}
	cfg.Apply(EnvOverrides(func(k string) (string, bool) { return "200", k == "SWITCHBOARD_MAX_UPLOAD_MIB" }))
	if cfg.MaxUploadMiB != 200 || cfg.Validate() != nil {
		t.Fatalf("env override: %d %v", cfg.MaxUploadMiB, cfg.Validate())
	}
	if _, err := Parse("sb.yaml", []byte("listen: 127.0.0.1:1\nmax_upload_mib: 0\n"), Default()); err == nil ||
		!strings.Contains(err.Error(), "sb.yaml:2: max_upload_mib: 0 is not a number of MiB") {
		t.Errorf("file value 0: %v", err)
	}
	if _, err := Parse("sb.yaml", []byte("providers:\n  - id: w\n    type: openai-compatible\n    base_url: http://127.0.0.1:8080/v1\n    capabilities: [transcription]\n"), Default()); err != nil {
		t.Errorf("capabilities: %v", err)
	}
}

func TestQuotaReservePercent(t *testing.T) {
	cases := []struct {
		yaml string
		want *int
		err  string
	}{
		{"listen: 127.0.0.1:1\n", nil, ""},
		{"quota_reserve_percent: 10\n", ptr(10), ""},
		{"quota_reserve_percent: 0\n", ptr(0), ""},
		{"listen: 127.0.0.1:1\nquota_reserve_percent: 60\n", nil, "sb.yaml:2: quota_reserve_percent: 60 is not a percentage from 0 to 50"},
		{"quota_reserve_percent: -1\n", nil, "quota_reserve_percent: -1"},
	}
	for _, tc := range cases {
		c, err := Parse("sb.yaml", []byte(tc.yaml), Default())
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil || (tc.want == nil) != (c.QuotaReservePercent == nil) || (tc.want != nil && *tc.want != *c.QuotaReservePercent) {
			t.Errorf("%q: %v %v", tc.yaml, err, c.QuotaReservePercent)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestPricesAndRetention(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`
retention: {days: 14, max_db_mib: 64}
prices:
  - {provider: my-llm, model: m, input: 0.2, output: 0.6, cache_read: 0.02}
`), Default())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention == nil || cfg.Retention.Days != 14 || cfg.Retention.MaxDBMiB != 64 || len(cfg.Prices) != 1 || cfg.Prices[0].CacheRead != 0.02 {
		t.Fatalf("parsed %+v %+v", cfg.Retention, cfg.Prices)
	}
	_, err = Parse("c.yaml", []byte(`
retention: {days: 5000, max_db_mib: 1}
prices:
  - {provider: my-llm, model: m, input: -1, output: 1}
  - {provider: my-llm, model: m, input: 1, output: 1}
  - {model: m, input: 1, output: 1, cach_read: 1}
`), Default())
	for _, want := range []string{"c.yaml:2: retention.days", "retention.max_db_mib", "prices[0]: prices must be from 0", "prices[1]: my-llm/m is priced twice", "prices[2]: provider and model are required", "cach_read: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("want %q in %v", want, err)
		}
	}
}
