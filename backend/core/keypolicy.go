package core

import (
	"context"
	"strconv"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/events"
	"switchboard/backend/keys"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// keyPolicy is the policy a config file declares for a key.
func keyPolicy(kc config.KeyConfig) keys.Policy {
	return keys.Policy{Models: kc.Models, RPM: kc.RPM, TPM: kc.TPM, DailyUSD: kc.DailyUSD, MonthlyUSD: kc.MonthlyUSD,
		DailyTokens: kc.DailyTokens, MonthlyTokens: kc.MonthlyTokens, ExpiresAt: kc.ExpiresAt, Disabled: kc.Disabled}
}

func declaredKeys(cfg config.Config) map[string]keys.Declared {
	out := make(map[string]keys.Declared, len(cfg.Keys))
	for _, kc := range cfg.Keys {
		out[kc.Name] = keys.Declared{Secret: kc.Key.Reveal(), Policy: keyPolicy(kc)}
	}
	return out
}

// SeedKeySpend gives every key its spend today and this month from the
// request log, so budgets hold across restarts (serve does it before
// listening; `keys list` to show it). One grouped scan of this month's
// rows: about 1.4 s for a million rows here, so other commands skip it.
func (in *Instance) SeedKeySpend(ctx context.Context) {
	now := time.Now()
	spend, err := usage.SpendByKey(ctx, in.DB, keys.DayStart(now), keys.MonthStart(now))
	if err != nil {
		in.log.Warn("key budgets start from zero: the request log could not be read", "err", err)
		return
	}
	seeds := make(map[string]keys.Seed, len(spend))
	for name, s := range spend {
		seeds[name] = keys.Seed{Today: keySpend(s.Today), Month: keySpend(s.Month)}
	}
	in.Keys.SeedSpend(seeds)
}

func keySpend(p usage.PeriodSpend) keys.Spend {
	return keys.Spend{USD: p.USD, Tokens: p.Tokens, Requests: p.Requests, Unpriced: p.Unpriced}
}

// KeyBudgetKind is the bus and events-table kind of a key's budget warning
// (data: route.Change with Account = the key, see keyWarning).
const KeyBudgetKind = events.KeyBudget

// watchKeyPolicy debits each recorded request from its key's meters and
// turns budget warnings into events (bus: tray, notifications, dashboard;
// events table: the Health page's history).
func (in *Instance) watchKeyPolicy() {
	in.Recorder.Observe(func(r *usage.Row) {
		if r.KeyName == "" {
			return
		}
		cost, priced := usage.RowCost(r)
		in.Keys.Debit(r.KeyName, int64(r.TokensIn)+int64(r.TokensOut), cost, priced)
	})
	in.Keys.OnWarning(in.keyWarning)
}

func (in *Instance) keyWarning(w keys.Warning) {
	c := keyBudgetChange(w)
	if in.Events != nil {
		in.Events.Record(events.Row{TS: time.Now().UnixMilli(), Kind: string(KeyBudgetKind), Account: w.Key,
			Until: c.Until.UnixMilli(), Message: c.Message})
	}
	in.Bus.Publish(KeyBudgetKind, c)
	in.Bus.Publish(events.KeysChanged, nil)
	in.log.Warn("key budget warning", "key", w.Key, "budget", w.Budget, "unit", w.Unit, "percent", w.Percent)
}

// keyBudgetChange carries a warning on the bus in the shape notifications
// and the events table read: Account is the key, Window names the budget.
func keyBudgetChange(w keys.Warning) route.Change {
	reset, _ := time.Parse(time.RFC3339, w.ResetAt)
	budget, used, limit := w.Budget+" budget", "$"+strconv.FormatFloat(w.Used, 'f', 2, 64), "$"+strconv.FormatFloat(w.Limit, 'f', 2, 64)
	if w.Unit == "tokens" {
		budget = w.Budget + " token budget"
		used, limit = strconv.FormatFloat(w.Used, 'f', 0, 64)+" tokens", strconv.FormatFloat(w.Limit, 'f', 0, 64)
	}
	return route.Change{Kind: route.ChangeKind(KeyBudgetKind), Account: w.Key, Window: budget, Percent: w.Percent,
		Until: reset, Message: "key " + w.Key + " used " + used + " of its " + budget + " of " + limit}
}
