package core

import (
	"switchboard/backend/metrics"
	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
	"switchboard/backend/route"
)

// startMetrics builds the Prometheus metrics (off until a setting or the
// config file turns them on) and feeds them every recorded request.
func (in *Instance) startMetrics() {
	in.Metrics = metrics.New(metrics.Sources{
		Breakers: func() []route.BreakerView {
			if in.Health == nil {
				return nil
			}
			return in.Health.Breakers()
		},
		Quota: func() quota.Overview {
			if in.Services == nil {
				return quota.Overview{}
			}
			return in.Services.Quota()
		},
		Keys:       in.Keys.List,
		LogDropped: in.Recorder.Dropped,
	})
	in.Recorder.Observe(in.Metrics.Observe)
}

// applyMetrics switches the endpoint: the config file's metrics: when set,
// else the setting (default off).
func (in *Instance) applyMetrics(st mgmt.Settings) {
	on := st.Metrics != nil && *st.Metrics
	if m := in.Config.Metrics; m != nil {
		on = *m
	}
	in.Metrics.SetEnabled(on)
}
