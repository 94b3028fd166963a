package provider

import (
	"context"

	"switchboard/backend/ir"
)

// DiscoverModels asks the upstream which models a sign-in account may use,
// with the account's own access (its token, API base and account ref): a
// subscription's models depend on the plan and the seat's policy, not only
// on the vendor. Upstreams whose list says more than ids (Copilot: limits,
// vision, reasoning, the API each model is served on) fill those in; the
// others give ids only.
func (c *Client) DiscoverModels(ctx context.Context, entry *Entry, acc Access) ([]Model, error) {
	if !entry.ListModels || !entry.Supports(OpListModels) {
		return nil, &ir.Error{Kind: ir.KindNotFound, Provider: entry.ID,
			Message: "provider " + entry.ID + " has no models endpoint"}
	}
	page, err := c.fetchJSON(ctx, &Call{Entry: entry, APIKey: acc.Token, AccountRef: acc.AccountRef,
		BaseURL: acc.BaseURL, Project: acc.Project, Op: OpListModels, query: firstPageQuery(entry.Dialect)})
	if err != nil {
		return nil, err
	}
	if entry.Quirks == QuirksCopilot {
		return copilotModels(page, entry.Dialect), nil
	}
	var out []Model
	for _, id := range modelIDs(page) {
		out = append(out, Model{ID: id})
	}
	return out, nil
}
