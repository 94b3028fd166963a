package mgmt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/accounts"
	"switchboard/backend/quota"
)

// Quota services: the accounts' quota windows for the Limits page, the
// Overview and the tray.

// refreshTimeout bounds an on-demand poll of a usage endpoint.
const refreshTimeout = 30 * time.Second

// Quota lists every account's windows with its state (GET /api/quota).
func (s *Services) Quota() quota.Overview {
	if s.routing == nil || s.routing.Quota == nil {
		return quota.Overview{Accounts: []quota.AccountView{}}
	}
	o := s.routing.Quota.Overview(s.routing.Routes.Load())
	o.ReserveFromConfig = s.routing.ReserveFromConfig
	return o
}

// RefreshQuota asks an account's usage endpoint now and returns what it
// says (POST /api/quota/{accountId}/refresh). An account without one is
// the user's error; a failing endpoint is reported as such.
func (s *Services) RefreshQuota(ctx context.Context, accountID string) (quota.AccountView, error) {
	if s.routing == nil || s.routing.Quota == nil {
		return quota.AccountView{}, errNoRouting
	}
	find := func() (quota.AccountView, bool) {
		for _, a := range s.Quota().Accounts {
			if a.AccountID == accountID {
				return a, true
			}
		}
		return quota.AccountView{}, false
	}
	if _, ok := find(); !ok {
		return quota.AccountView{}, fmt.Errorf("%w: account %q", accounts.ErrNotFound, accountID)
	}
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	err := s.routing.Quota.Refresh(ctx, accountID)
	if errors.Is(err, quota.ErrNotPolled) {
		return quota.AccountView{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	v, _ := find()
	return v, err
}

// TrayQuota is each provider's tightest window, for the tray's provider
// lines and icon (amber: reserve, red: exhausted).
func (s *Services) TrayQuota() []quota.ProviderLine {
	if s.routing == nil || s.routing.Quota == nil {
		return []quota.ProviderLine{}
	}
	if l := s.routing.Quota.ProviderLines(s.routing.Routes.Load()); l != nil {
		return l
	}
	return []quota.ProviderLine{}
}
