package integration

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"switchboard/backend/mgmt"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

func parseScrape(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		s := sample{name: line[:i], labels: map[string]string{}, value: v}
		if j := strings.IndexByte(line[:i], '{'); j >= 0 {
			s.name = line[:j]
			for _, kv := range strings.Split(strings.TrimSuffix(line[j+1:i], "}"), ",") {
				k, val, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(val, `"`)
			}
		}
		out = append(out, s)
	}
	return out
}

// value is the sum of the samples of name whose labels include want.
func value(ss []sample, name string, want map[string]string) (float64, bool) {
	var sum float64
	found := false
next:
	for _, s := range ss {
		if s.name != name {
			continue
		}
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

func (g *gateway) scrape() (int, string) {
	g.t.Helper()
	resp, err := g.hc.Get(g.base + "/metrics")
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsEndpoint: off by default (404); switched on in the settings,
// a scrape after scripted requests (a fallback, a stream, a refusal) has
// the requests, tokens, durations, TTFT, upstream errors, breaker state
// and key spend they caused.
func TestMetricsEndpoint(t *testing.T) {
	g, u1, _ := twoProviders(t, dOpenAI, dAnthropic)
	if code, _ := g.scrape(); code != http.StatusNotFound {
		t.Fatalf("metrics off: %d, want 404", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	on := true
	if _, err := g.in.Services.SaveSettings(ctx, mgmt.Settings{Theme: "system", Metrics: &on}); err != nil {
		t.Fatal(err)
	}
	u1.Push(Script{Status: 500}) // the first request falls back to the second provider
	for _, stream := range []bool{false, true} {
		cv := newConvo(g, dOpenAI, sharedModel, "Say hello.", false)
		if _, err := cv.ask(ctx, stream); err != nil {
			t.Fatal(err)
		}
	}
	path, body := rawRequest(dOpenAI, "nobody/none", false, "hi")
	if r := g.do("POST", path, body, nil); r.Status != 404 {
		t.Fatalf("unknown model: %d", r.Status)
	}
	waitFor(t, "three rows", func() bool { return len(g.logs()) == 3 })

	code, text := g.scrape()
	if code != 200 {
		t.Fatalf("scrape: %d %s", code, text)
	}
	ss := parseScrape(t, text)
	check := func(name string, labels map[string]string, want float64) {
		t.Helper()
		got, ok := value(ss, name, labels)
		if !ok || got != want {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, got, ok, want)
		}
	}
	// The fallback's answer came from the second provider, the stream's
	// from the first (its failure was scripted once).
	check("switchboard_requests_total", map[string]string{"gen_ai_provider_name": "second", "http_response_status_code": "200", "key": "integration"}, 1)
	check("switchboard_requests_total", map[string]string{"gen_ai_request_model": sharedModel, "stream": "true", "gen_ai_provider_name": "first"}, 1)
	check("switchboard_requests_total", map[string]string{"gen_ai_request_model": "nobody/none", "error_type": "not_found"}, 1)
	check("gen_ai_client_token_usage_sum", map[string]string{"gen_ai_request_model": sharedModel, "gen_ai_token_type": "input"}, 22)
	check("gen_ai_client_token_usage_sum", map[string]string{"gen_ai_provider_name": "second", "gen_ai_token_type": "output"}, 7)
	check("gen_ai_client_token_usage_count", map[string]string{"gen_ai_operation_name": "chat", "gen_ai_token_type": "output"}, 2)
	check("gen_ai_client_operation_duration_seconds_count", map[string]string{"gen_ai_request_model": sharedModel, "error_type": ""}, 2)
	check("gen_ai_server_time_to_first_token_seconds_count", map[string]string{"gen_ai_response_model": sharedModel}, 2)
	check("switchboard_upstream_errors_total", map[string]string{"gen_ai_provider_name": "first", "error_type": "upstream_5xx"}, 1)
	check("switchboard_breaker_state", map[string]string{"gen_ai_provider_name": "first", "state": "closed"}, 1)
	check("switchboard_breaker_state", map[string]string{"gen_ai_provider_name": "first", "state": "open"}, 0)
	check("switchboard_key_spend_tokens", map[string]string{"key": "integration", "period": "day"}, 36)
	check("switchboard_unpriced_requests_total", map[string]string{"gen_ai_response_model": sharedModel}, 2)
	check("switchboard_request_log_dropped_total", nil, 0)
	if !strings.Contains(text, "# TYPE gen_ai_client_token_usage histogram") {
		t.Error("token usage is not a histogram")
	}

	off := false
	if _, err := g.in.Services.SaveSettings(ctx, mgmt.Settings{Theme: "system", Metrics: &off}); err != nil {
		t.Fatal(err)
	}
	if code, _ := g.scrape(); code != http.StatusNotFound {
		t.Fatalf("metrics switched off: %d", code)
	}
}
