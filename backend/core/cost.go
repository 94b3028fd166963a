package core

import (
	"context"
	"fmt"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
	"switchboard/backend/usage"
)

// startCost loads the prices (catalog, stored overrides, the config
// file's) into the request log recorder and prepares the log's upkeep
// (rollups and retention; started with the background loops).
func (in *Instance) startCost() error {
	ctx := context.Background()
	var fromConfig []usage.Override
	for _, p := range in.Config.Prices {
		fromConfig = append(fromConfig, usage.Override{Provider: p.Provider, Model: p.Model, Input: p.Input,
			Output: p.Output, CacheRead: p.CacheRead, CacheWrite: p.CacheWrite, Reasoning: p.Reasoning})
	}
	book, err := usage.NewPriceBook(ctx, in.DB, fromConfig, in.Recorder.SetPrices)
	if err != nil {
		return fmt.Errorf("core: prices: %w", err)
	}
	in.Prices = book
	// Cost-optimized routing reads the same prices as the log rows.
	in.Health.SetPricer(func(p, m string) (float64, bool) { return book.Current().RoutingPrice(p, m) })
	ret := in.Services.StoredRetention(ctx)
	if c := in.Config.Retention; c != nil {
		ret = retentionFromConfig(*c)
	}
	in.Upkeep = usage.NewMaintainer(in.DB, in.log, book.Current, ret)
	in.Upkeep.WaitForQuiet(in.Recorder.Traffic())
	in.Services.SetCost(mgmt.CostDeps{Prices: book, Upkeep: in.Upkeep, RetentionFromConfig: in.Config.Retention != nil})
	return nil
}

func retentionFromConfig(c config.RetentionConfig) usage.Retention {
	r := usage.DefaultRetention()
	if c.Days > 0 {
		r.Days = c.Days
	}
	if c.MaxDBMiB > 0 {
		r.MaxMiB = c.MaxDBMiB
	}
	return r
}
