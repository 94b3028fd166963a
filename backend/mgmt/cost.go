package mgmt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/backend/usage"
)

// Cost services: prices and overrides, Analytics, and the request log's
// retention and size (Settings).

// CostDeps are what the cost services read and change.
type CostDeps struct {
	Prices *usage.PriceBook
	Upkeep *usage.Maintainer
	// RetentionFromConfig: the config file sets the retention, which the
	// dashboard then shows and cannot change.
	RetentionFromConfig bool
}

// SetCost wires the cost services (a running instance).
func (s *Services) SetCost(d CostDeps) { s.cost = &d }

var errNoCost = errors.New("cost tracking is not running in this process")

// retentionKey is the settings row holding the dashboard's retention.
const retentionKey = "retention"

// Analytics aggregates the request log (GET /api/analytics).
func (s *Services) Analytics(ctx context.Context, q usage.AnalyticsQuery) (usage.Report, error) {
	rep, err := usage.Analyze(ctx, s.db, q, time.Now())
	if errors.Is(err, usage.ErrBadQuery) {
		return rep, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return rep, err
}

// Prices lists every model's effective price (GET /api/prices).
func (s *Services) Prices() []usage.ModelPrice {
	if s.cost == nil {
		return usage.CatalogPrices().List()
	}
	return s.cost.Prices.List()
}

// SetPrice overrides a model's price for new requests (PUT /api/prices).
func (s *Services) SetPrice(ctx context.Context, o usage.Override) error {
	if s.cost == nil {
		return errNoCost
	}
	return priceErr(s.cost.Prices.Set(ctx, o))
}

// DeletePrice drops an override (DELETE /api/prices).
func (s *Services) DeletePrice(ctx context.Context, providerID, model string) error {
	if s.cost == nil {
		return errNoCost
	}
	return priceErr(s.cost.Prices.Delete(ctx, providerID, model))
}

func priceErr(err error) error {
	if errors.Is(err, usage.ErrBadPrice) || errors.Is(err, usage.ErrConfigPrice) {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return err
}

// StorageView is Settings' retention and database size.
type StorageView struct {
	Retention  usage.Retention   `json:"retention"`
	FromConfig bool              `json:"fromConfig"`
	Size       usage.StorageSize `json:"size"`
	LastPass   usage.PassReport  `json:"lastPass"`
}

// Storage reports the retention and the database's size (GET /api/storage).
func (s *Services) Storage(ctx context.Context) (StorageView, error) {
	v := StorageView{Retention: usage.DefaultRetention()}
	if s.cost != nil {
		v.Retention, v.FromConfig, v.LastPass = s.cost.Upkeep.Retention(), s.cost.RetentionFromConfig, s.cost.Upkeep.Last()
	} else if r, ok, err := s.storedRetention(ctx); err != nil {
		return v, err
	} else if ok {
		v.Retention = r
	}
	size, err := usage.Size(ctx, s.db)
	if err == nil {
		err = usage.Counts(ctx, s.db, &size)
	}
	v.Size = size
	return v, err
}

// SaveRetention stores the dashboard's retention and applies it with a
// pass at once (PUT /api/storage/retention).
func (s *Services) SaveRetention(ctx context.Context, r usage.Retention) (StorageView, error) {
	if err := r.Validate(); err != nil {
		return StorageView{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.cost != nil && s.cost.RetentionFromConfig {
		return StorageView{}, fmt.Errorf("%w: the retention is set in the config file (retention:); change it there", ErrInvalid)
	}
	if err := s.saveJSON(ctx, retentionKey, r); err != nil {
		return StorageView{}, err
	}
	if s.cost != nil {
		s.cost.Upkeep.SetRetention(r)
	}
	return s.Storage(ctx)
}

func (s *Services) storedRetention(ctx context.Context) (usage.Retention, bool, error) {
	r := usage.DefaultRetention()
	ok, err := s.loadJSON(ctx, retentionKey, &r)
	return r, ok, err
}

// StoredRetention is the dashboard's retention (defaults when none).
func (s *Services) StoredRetention(ctx context.Context) usage.Retention {
	r, _, err := s.storedRetention(ctx)
	if err != nil || r.Validate() != nil {
		return usage.DefaultRetention()
	}
	return r
}
