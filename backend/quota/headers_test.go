package quota

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// hdr builds an http.Header the way net/http stores an answer's headers.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// brief renders a window for comparison.
func brief(w Window) string {
	s := fmt.Sprintf("%s used=%.2f", w.Name, w.Used)
	if w.Limit > 0 {
		s += fmt.Sprintf(" %d/%d", w.Remaining, w.Limit)
	}
	if !w.ResetAt.IsZero() {
		s += " reset+" + w.ResetAt.Sub(t0).String()
	}
	if w.Span > 0 {
		s += " span=" + w.Span.String()
	}
	if w.Plan {
		s += " plan"
	}
	return s
}

func TestParseHeadersPerVendorFamily(t *testing.T) {
	cases := []struct {
		name string
		h    http.Header
		want []string
	}{
		{"openai", hdr("x-ratelimit-limit-requests", "500", "x-ratelimit-remaining-requests", "499",
			"x-ratelimit-reset-requests", "120ms", "x-ratelimit-limit-tokens", "30000",
			"x-ratelimit-remaining-tokens", "7500", "x-ratelimit-reset-tokens", "6m0s"),
			[]string{"requests used=0.00 499/500 reset+120ms", "tokens used=0.75 7500/30000 reset+6m0s"}},
		{"openai requests per day", hdr("x-ratelimit-limit-requests", "200", "x-ratelimit-remaining-requests", "0",
			"x-ratelimit-reset-requests", "13h5m2.5s"),
			[]string{"requests used=1.00 0/200 reset+13h5m2.5s plan"}},
		{"anthropic api key", hdr("anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "10",
			"anthropic-ratelimit-requests-reset", "2026-11-26T12:00:30Z",
			"anthropic-ratelimit-input-tokens-limit", "40000", "anthropic-ratelimit-input-tokens-remaining", "40000",
			"anthropic-ratelimit-input-tokens-reset", "2026-11-26T12:00:01Z",
			"anthropic-ratelimit-output-tokens-limit", "8000", "anthropic-ratelimit-output-tokens-remaining", "2000",
			"anthropic-ratelimit-output-tokens-reset", "2026-11-26T12:00:40+00:00"),
			[]string{"requests used=0.80 10/50 reset+30s", "input_tokens used=0.00 40000/40000 reset+1s",
				"output_tokens used=0.75 2000/8000 reset+40s"}},
		{"claude plan (unified)", hdr("anthropic-ratelimit-unified-5h-utilization", "0.42",
			"anthropic-ratelimit-unified-5h-reset", fmt.Sprint(t0.Add(72*time.Minute).Unix()),
			"anthropic-ratelimit-unified-5h-status", "allowed",
			"anthropic-ratelimit-unified-7d-utilization", "0.18",
			"anthropic-ratelimit-unified-7d-reset", fmt.Sprint(t0.Add(50*time.Hour).Unix())),
			[]string{"5h used=0.42 reset+1h12m0s span=5h0m0s plan", "7d used=0.18 reset+50h0m0s span=168h0m0s plan"}},
		{"claude plan refused", hdr("anthropic-ratelimit-unified-5h-status", "rejected",
			"anthropic-ratelimit-unified-5h-reset", fmt.Sprint(t0.Add(time.Hour).Unix())),
			[]string{"5h used=1.00 reset+1h0m0s span=5h0m0s plan"}},
		{"codex", hdr("x-codex-primary-used-percent", "42.5", "x-codex-primary-window-minutes", "300",
			"x-codex-primary-reset-at", fmt.Sprint(t0.Add(3*time.Hour).Unix()),
			"x-codex-secondary-used-percent", "13", "x-codex-secondary-window-minutes", "10080",
			"x-codex-secondary-reset-after-seconds", "86400"),
			[]string{"primary used=0.42 reset+3h0m0s span=5h0m0s plan", "secondary used=0.13 reset+24h0m0s span=168h0m0s plan"}},
		{"codex used up", hdr("x-codex-primary-used-percent", "100", "x-codex-primary-reset-after-seconds", "7200"),
			[]string{"primary used=1.00 reset+2h0m0s plan"}},
		{"openrouter bare, unix ms", hdr("x-ratelimit-limit", "20", "x-ratelimit-remaining", "5",
			"x-ratelimit-reset", fmt.Sprint(t0.Add(10*time.Second).UnixMilli())),
			[]string{"limit used=0.75 5/20 reset+10s"}},
		{"bare seconds", hdr("x-ratelimit-limit", "60", "x-ratelimit-remaining", "59", "x-ratelimit-reset", "1"),
			[]string{"limit used=0.02 59/60 reset+1s"}},
		{"gemini: none", hdr("content-type", "application/json", "x-goog-request-id", "1"), nil},
		{"garbage ignored", hdr("x-codex-primary-used-percent", "lots", "x-ratelimit-remaining-requests", "NaN",
			"anthropic-ratelimit-unified-5h-utilization", ""), nil},
		{"remaining without a limit", hdr("x-ratelimit-remaining-tokens", "900"), []string{"tokens used=0.00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out [MaxHeaderWindows]Window
			n := ParseHeaders(tc.h, t0, &out)
			var got []string
			for _, w := range out[:n] {
				if w.Source != SourceHeaders || !w.ObservedAt.Equal(t0) {
					t.Errorf("%s: source %s at %v", w.Name, w.Source, w.ObservedAt)
				}
				got = append(got, brief(w))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestLabels(t *testing.T) {
	cases := map[string]Window{
		"5-hour":        {Name: "5h"},
		"Weekly (Opus)": {Name: "7d", Model: "opus"},
		"Session":       {Name: "primary"},
		"5-hour ":       {Name: "primary", Span: 5 * time.Hour},
		"Weekly ":       {Name: "secondary", Span: 7 * 24 * time.Hour},
		"Monthly":       {Name: "secondary", Span: 30 * 24 * time.Hour},
		"15-minute":     {Name: "primary", Span: 15 * time.Minute},
		"Input tokens":  {Name: "input_tokens"},
	}
	for want, w := range cases {
		if got := w.Label(); got != strings.TrimSpace(want) {
			t.Errorf("%+v: %q, want %q", w, got, want)
		}
	}
}

// The header parser runs on every upstream answer.
func BenchmarkParseHeaders(b *testing.B) {
	for _, bc := range []struct {
		name string
		h    http.Header
	}{
		{"none (gemini)", hdr("content-type", "application/json", "date", "Thu, 26 Nov 2026 12:00:00 GMT",
			"x-goog-request-id", "1", "server", "scaffolding", "vary", "Origin")},
		{"openai", hdr("x-ratelimit-limit-requests", "500", "x-ratelimit-remaining-requests", "499",
			"x-ratelimit-reset-requests", "120ms", "x-ratelimit-limit-tokens", "30000",
			"x-ratelimit-remaining-tokens", "7500", "x-ratelimit-reset-tokens", "6m0s")},
		{"anthropic", hdr("anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "10",
			"anthropic-ratelimit-requests-reset", "2026-11-26T12:00:30Z", "anthropic-ratelimit-tokens-limit", "50000",
			"anthropic-ratelimit-tokens-remaining", "40000", "anthropic-ratelimit-tokens-reset", "2026-11-26T12:00:30Z")},
		{"codex", hdr("x-codex-primary-used-percent", "42.5", "x-codex-primary-window-minutes", "300",
			"x-codex-primary-reset-at", "1795000000", "x-codex-secondary-used-percent", "13",
			"x-codex-secondary-window-minutes", "10080", "x-codex-secondary-reset-at", "1795500000")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out [MaxHeaderWindows]Window
			b.ReportAllocs()
			for b.Loop() {
				ParseHeaders(bc.h, t0, &out)
			}
		})
	}
}
