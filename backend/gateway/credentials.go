package gateway

import (
	"context"
	"errors"
	"net/http"

	"switchboard/backend/ir"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// authorize fills call's credentials from the account: its API key, or a
// sign-in's current access token (refreshed first when it has expired).
func authorize(ctx context.Context, call *provider.Call, a *route.Account) error {
	if a == nil {
		return nil
	}
	if a.Cred == nil {
		call.APIKey = a.APIKey
		return nil
	}
	acc, err := a.Cred.Access(ctx)
	if err != nil {
		return err
	}
	setAccess(call, acc)
	return nil
}

func setAccess(call *provider.Call, acc provider.Access) {
	call.APIKey, call.AccountRef, call.BaseURL, call.Project = acc.Token, acc.AccountRef, acc.BaseURL, acc.Project
}

// send sends call with the account's credentials. When the upstream
// rejects a sign-in's token (401: revoked early, or our clock is off), the
// token is refreshed once and the call retried once; a second 401 goes to
// the router like any auth failure.
func (g *Gateway) send(ctx context.Context, call *provider.Call, a *route.Account) (*http.Response, error) {
	if err := authorize(ctx, call, a); err != nil {
		return nil, err
	}
	resp, err := g.client.Send(ctx, call)
	var e *ir.Error
	if err == nil || a == nil || a.Cred == nil || !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
		return resp, err
	}
	acc, rerr := a.Cred.Reauthorize(ctx, call.APIKey)
	if rerr != nil {
		return nil, rerr
	}
	setAccess(call, acc)
	return g.client.Send(ctx, call)
}
