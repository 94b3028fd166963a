package core

import (
	"context"
	"time"

	"switchboard/backend/mgmt"
	"switchboard/backend/quota"
)

// QuotaSaveDelay batches quota window changes into one write: they change
// on most answers, and a crash loses at most this much of them.
var QuotaSaveDelay = time.Second

// startQuota creates the quota windows, restores the saved ones and lets
// routing consult them. Polling starts with runQuota.
func (in *Instance) startQuota() {
	in.Quota = quota.New(quota.Options{Health: in.Health, OnChange: in.routingChange, Log: in.log,
		Send: quota.ClientSender(in.Client), Targets: in.quotaTargets})
	if err := in.Quota.Load(context.Background(), in.DB.DB); err != nil {
		in.log.Warn("saved quota windows not restored", "err", err)
	}
	if p, err := in.Services.GetNotificationPrefs(context.Background()); err == nil {
		in.Quota.SetThreshold(p.QuotaThresholdPercent, p.QuotaThresholds)
	}
	in.Health.SetQuota(in.Quota)
}

// runQuota polls usage endpoints and saves the windows until ctx ends;
// each save tells live views that the figures changed (Services.QuotaSaved).
func (in *Instance) runQuota(ctx context.Context) {
	go in.Quota.Persist(ctx, in.DB.DB, QuotaSaveDelay, func(err error) {
		in.log.Warn("quota windows not saved", "err", err)
	}, in.Services.QuotaSaved)
	in.Quota.Run(ctx)
}

// applyReserve sets the quota reserve: the config file's when it has one,
// else the settings'.
func (in *Instance) applyReserve(st mgmt.Settings) {
	if in.Quota == nil {
		return
	}
	if p := in.Config.QuotaReservePercent; p != nil {
		in.Quota.SetReserve(*p)
		return
	}
	if st.QuotaReservePercent != nil {
		in.Quota.SetReserve(*st.QuotaReservePercent)
	}
}

// quotaTargets lists the sign-in accounts whose usage endpoint is polled:
// enabled, signed in, of a provider that has one.
func (in *Instance) quotaTargets() []quota.Target {
	var out []quota.Target
	for _, p := range in.Routes.Load().Providers() {
		if p.Disabled || !quota.HasFetcher(p.Entry.ID) {
			continue
		}
		for _, a := range p.Accounts {
			if a.Cred != nil && a.Usable() {
				out = append(out, quota.Target{AccountID: a.ID, Account: a.Name, Entry: p.Entry, Cred: a.Cred})
			}
		}
	}
	return out
}

// quotaRouted tells the quota windows which accounts routing has now: new
// sign-ins are polled, removed accounts forgotten.
func (in *Instance) quotaRouted() {
	if in.Quota == nil {
		return
	}
	keep := map[string]bool{}
	for _, p := range in.Routes.Load().Providers() {
		keep["provider:"+p.Entry.ID] = true
		for _, a := range p.Accounts {
			keep[a.ID] = true
		}
	}
	in.Quota.Forget(keep)
	in.Quota.Wake()
}
