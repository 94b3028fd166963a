package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"switchboard/backend/route"
)

// state reports the routing state when scraped: nothing of it costs a
// request anything.
type state struct{ src Sources }

var (
	breakerDesc = prometheus.NewDesc("switchboard_breaker_state",
		"Circuit breaker of each provider that saw traffic: 1 for its current state (closed, open, half_open).",
		[]string{lProvider, lState}, nil)
	quotaUsedDesc = prometheus.NewDesc("switchboard_quota_used_ratio",
		"Share used of each known quota window of each account (0 to 1).", []string{lProvider, lAccount, lWindow}, nil)
	quotaStateDesc = prometheus.NewDesc("switchboard_quota_state",
		"Quota state of each account: 1 for its current state (ok, reserve, exhausted).", []string{lProvider, lAccount, lState}, nil)
	keySpendDesc = prometheus.NewDesc("switchboard_key_spend_usd",
		"Estimated spend of each local API key in the current day and month (local time).", []string{lKey, lPeriod}, nil)
	keyTokensDesc = prometheus.NewDesc("switchboard_key_spend_tokens",
		"Tokens (input + output) of each local API key in the current day and month.", []string{lKey, lPeriod}, nil)
	droppedDesc = prometheus.NewDesc("switchboard_request_log_dropped_total",
		"Request log rows lost to a full write queue (their requests were still served).", nil, nil)
)

var (
	breakerStates = []route.BreakerState{route.BreakerClosed, route.BreakerOpen, route.BreakerHalfOpen}
	quotaStates   = []string{"ok", "reserve", "exhausted"}
)

func (s *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{breakerDesc, quotaUsedDesc, quotaStateDesc, keySpendDesc, keyTokensDesc, droppedDesc} {
		ch <- d
	}
}

func (s *state) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	oneHot := func(cur string) func(string) float64 {
		return func(s string) float64 {
			if s == cur {
				return 1
			}
			return 0
		}
	}
	if s.src.Breakers != nil {
		for _, b := range s.src.Breakers() {
			is := oneHot(string(b.State))
			for _, st := range breakerStates {
				gauge(breakerDesc, is(string(st)), b.Provider, string(st))
			}
		}
	}
	if s.src.Quota != nil {
		for _, a := range s.src.Quota().Accounts {
			is := oneHot(a.State)
			for _, st := range quotaStates {
				gauge(quotaStateDesc, is(st), a.Provider, a.Account, st)
			}
			for _, w := range a.Windows {
				name := w.Label
				if w.Model != "" {
					name += " (" + w.Model + ")"
				}
				gauge(quotaUsedDesc, w.Percent/100, a.Provider, a.Account, name)
			}
		}
	}
	if s.src.Keys != nil {
		for _, k := range s.src.Keys() {
			if k.Usage == nil {
				continue
			}
			gauge(keySpendDesc, k.Usage.Today.USD, k.Name, "day")
			gauge(keySpendDesc, k.Usage.Month.USD, k.Name, "month")
			gauge(keyTokensDesc, float64(k.Usage.Today.Tokens), k.Name, "day")
			gauge(keyTokensDesc, float64(k.Usage.Month.Tokens), k.Name, "month")
		}
	}
	if s.src.LogDropped != nil {
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(s.src.LogDropped()))
	}
}
