package signin

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"switchboard/backend/oauth"
	"switchboard/backend/provider"
)

// fakeVendor exercises the vendor hooks: finish names the account's API
// base and project; exchange trades the sign-in's token for another and
// reports a revoked sign-in as a refused grant.
type fakeVendor struct {
	exchanges atomic.Int32
	revoked   atomic.Bool
	lastBase  atomic.Value // string: the sign-in token exchange got
	rejected  atomic.Value // string
}

func (v *fakeVendor) finish(_ context.Context, _ *Manager, _ string, tok *oauth.Token) (Extra, error) {
	if tok.AccessToken == "" {
		return Extra{}, errors.New("no token")
	}
	return Extra{BaseURL: "https://api.vendor.example/v1", Project: "proj-7", Ref: "arn:profile/1"}, nil
}

func (v *fakeVendor) exchange(_ context.Context, _ *Manager, _, _ string, base provider.Access, rejected string) (provider.Access, error) {
	v.exchanges.Add(1)
	v.lastBase.Store(base.Token)
	v.rejected.Store(rejected)
	if v.revoked.Load() {
		return provider.Access{}, errors.Join(errors.New("seat revoked"), oauth.ErrInvalidGrant)
	}
	base.Token = "exchanged-" + base.Token
	return base, nil
}

func TestVendorHooks(t *testing.T) {
	v := &fakeVendor{}
	registerVendor("claude", v)
	t.Cleanup(func() { delete(vendors, "claude") })
	r := newRig(t)
	id := r.signIn("me")
	c, _ := r.m.Credential(ctxT(t), id)
	a, err := c.Access(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	signedIn := v.lastBase.Load().(string)
	if a.Token != "exchanged-"+signedIn || a.BaseURL != "https://api.vendor.example/v1" || a.Project != "proj-7" || a.AccountRef != "arn:profile/1" {
		t.Fatalf("access = %+v", a)
	}
	// What finish returned is stored: a restarted manager has it.
	c2, _ := r.manager().Credential(ctxT(t), id)
	if a2, _ := c2.Access(ctxT(t)); a2.Project != "proj-7" || a2.BaseURL == "" {
		t.Errorf("after restart: %+v", a2)
	}
	// A 401 on the exchanged token asks the vendor again with it, without
	// refreshing the sign-in itself.
	if _, err := c.Reauthorize(ctxT(t), a.Token); err != nil || v.rejected.Load() != a.Token || r.idp.Calls() != 1 {
		t.Fatalf("reauthorize: %v, rejected %v, token calls %d", err, v.rejected.Load(), r.idp.Calls())
	}
	// A revoked sign-in found by the vendor signs the account out, once.
	v.revoked.Store(true)
	if _, err := c.Access(ctxT(t)); err == nil || !c.NeedsSignIn() || r.outs.Load() != 1 {
		t.Fatalf("revoked: %v, needs sign-in %v, notifications %d", err, c.NeedsSignIn(), r.outs.Load())
	}
}
