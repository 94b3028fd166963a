// Package metrics is the opt-in Prometheus endpoint (/metrics on the
// loopback listener). Request figures are updated from the request log
// recorder, once per finished request (never per stream chunk); routing
// state (breakers, quota windows, key spend) is read when scraped. Names
// follow the OpenTelemetry GenAI semantic conventions where they exist
// (gen_ai.client.token.usage, gen_ai.client.operation.duration,
// gen_ai.server.time_to_first_token and their gen_ai.* attributes, with
// dots as underscores and the unit suffix of the OpenTelemetry-Prometheus
// mapping); the rest are switchboard_*.
package metrics

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/backend/keys"
	"switchboard/backend/quota"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// Label names (OpenTelemetry attribute names, dots as underscores).
const (
	lOperation  = "gen_ai_operation_name"
	lProvider   = "gen_ai_provider_name"
	lReqModel   = "gen_ai_request_model"
	lRespModel  = "gen_ai_response_model"
	lTokenType  = "gen_ai_token_type"
	lErrorType  = "error_type"
	lDialect    = "client_dialect"
	lStatus     = "http_response_status_code"
	lStream     = "stream"
	lKey        = "key"
	lAccount    = "account"
	lWindow     = "window"
	lState      = "state"
	lPeriod     = "period"
	tokenInput  = "input"
	tokenOutput = "output"
)

// Bucket boundaries the conventions recommend.
var (
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	ttftBuckets     = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}
)

// Sources are where the scrape-time gauges come from (nil: left out).
type Sources struct {
	Breakers func() []route.BreakerView
	Quota    func() quota.Overview
	Keys     func() []keys.Key
	// LogDropped counts request log rows lost to a full queue.
	LogDropped func() int64
}

// Metrics holds the registry. The zero value is not usable; see New.
type Metrics struct {
	on       atomic.Bool
	reg      *prometheus.Registry
	handler  http.Handler
	tokens   *prometheus.HistogramVec
	duration *prometheus.HistogramVec
	ttft     *prometheus.HistogramVec
	requests *prometheus.CounterVec
	cost     *prometheus.CounterVec
	unpriced *prometheus.CounterVec
	upErrors *prometheus.CounterVec
}

// New builds the metrics, off until SetEnabled(true).
func New(src Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	model := []string{lOperation, lProvider, lReqModel, lRespModel}
	m.tokens = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_client_token_usage",
		Help: "Number of input and output tokens used per request (as the upstream reported them).", Buckets: tokenBuckets},
		append(model, lTokenType))
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_client_operation_duration_seconds",
		Help: "Duration of a request through the gateway, fallbacks included, to its last byte.", Buckets: durationBuckets},
		append(model, lErrorType))
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_time_to_first_token_seconds",
		Help: "Time from the request's arrival to its first generated token, for requests that got one.", Buckets: ttftBuckets},
		model)
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_requests_total",
		Help: "Requests answered, by provider, model, client dialect, status and error kind (policy refusals included)."},
		[]string{lProvider, lReqModel, lDialect, lStream, lStatus, lErrorType, lKey})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_cost_usd_total",
		Help: "Estimated cost in US dollars from catalog prices (requests on unpriced models count 0; see switchboard_unpriced_requests_total)."},
		[]string{lProvider, lRespModel, lKey})
	m.unpriced = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_unpriced_requests_total",
		Help: "Requests with tokens on a model without a known price."}, []string{lProvider, lRespModel})
	m.upErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_upstream_errors_total",
		Help: "Failed upstream attempts by provider and error kind (those that fell back included)."},
		[]string{lProvider, lErrorType})
	m.reg.MustRegister(m.tokens, m.duration, m.ttft, m.requests, m.cost, m.unpriced, m.upErrors, &state{src: src})
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// SetEnabled switches the endpoint and the recording (off: /metrics is 404
// and Observe does nothing).
func (m *Metrics) SetEnabled(on bool) { m.on.Store(on) }

// Enabled reports whether the endpoint is on.
func (m *Metrics) Enabled() bool { return m.on.Load() }

// Observe records one finished request (a usage.Recorder observer).
func (m *Metrics) Observe(r *usage.Row) {
	if !m.on.Load() {
		return
	}
	op := operation(r.Endpoint)
	m.requests.WithLabelValues(r.Provider, r.RequestedModel, r.ClientDialect, strconv.FormatBool(r.Stream),
		strconv.Itoa(r.Status), r.ErrorKind, r.KeyName).Inc()
	m.duration.WithLabelValues(op, r.Provider, r.RequestedModel, r.UpstreamModel, r.ErrorKind).Observe(float64(r.LatencyMS) / 1000)
	if r.TTFTMS > 0 {
		m.ttft.WithLabelValues(op, r.Provider, r.RequestedModel, r.UpstreamModel).Observe(float64(r.TTFTMS) / 1000)
	}
	if r.TokensIn > 0 || r.TokensOut > 0 {
		m.tokens.WithLabelValues(op, r.Provider, r.RequestedModel, r.UpstreamModel, tokenInput).Observe(float64(r.TokensIn))
		m.tokens.WithLabelValues(op, r.Provider, r.RequestedModel, r.UpstreamModel, tokenOutput).Observe(float64(r.TokensOut))
		if c, ok := usage.RowCost(r); ok {
			m.cost.WithLabelValues(r.Provider, r.UpstreamModel, r.KeyName).Add(c)
		} else {
			m.unpriced.WithLabelValues(r.Provider, r.UpstreamModel).Inc()
		}
	}
	if r.Route != "" && (r.Attempts > 1 || r.Status >= 400) {
		m.upstreamErrors(r.Route)
	}
}

// upstreamErrors counts the failed attempts of a routing record.
func (m *Metrics) upstreamErrors(rt string) {
	var notes []route.Note
	if json.Unmarshal([]byte(rt), &notes) != nil {
		return
	}
	for _, n := range notes {
		switch {
		case n.Result == "ok", n.Result == "unfit", n.Result == "canceled", strings.HasPrefix(n.Result, "skipped:"):
			continue
		}
		prov, _, _ := strings.Cut(n.Target, "/")
		m.upErrors.WithLabelValues(prov, n.Result).Inc()
	}
}

// operation is the gen_ai.operation.name of an endpoint.
func operation(endpoint string) string {
	switch {
	case strings.HasSuffix(endpoint, "/embeddings"), strings.HasSuffix(endpoint, "mbedContent"), strings.HasSuffix(endpoint, "mbedContents"):
		return "embeddings"
	case strings.HasSuffix(endpoint, "/completions") && !strings.HasSuffix(endpoint, "/chat/completions"):
		return "text_completion"
	}
	return "chat"
}

// ServeHTTP serves the Prometheus text format when metrics are on, to
// loopback clients only; 404 when off.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !m.on.Load() {
		http.Error(w, "metrics are off: turn them on in Settings or with `metrics: true` in the config file", http.StatusNotFound)
		return
	}
	if !loopback(r.RemoteAddr) {
		http.Error(w, "metrics are served to this machine only", http.StatusForbidden)
		return
	}
	m.handler.ServeHTTP(w, r)
}

func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
