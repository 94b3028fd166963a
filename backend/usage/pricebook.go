package usage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/backend/store"
)

// PriceBook holds the user's price overrides (stored ones, set from the
// dashboard or the API, and the config file's, which win) and the prices
// snapshot built from them and the catalog.
type PriceBook struct {
	db       *store.DB
	config   []Override
	onChange func(*Prices)
	mu       sync.Mutex // serialises changes
	cur      atomic.Pointer[Prices]
}

// ErrConfigPrice refuses to change a price the config file sets.
var ErrConfigPrice = errors.New("this price is set in the config file (prices:); change it there")

// ErrBadPrice marks an override the user must correct.
var ErrBadPrice = errors.New("invalid price")

// NewPriceBook loads the stored overrides; onChange (may be nil) gets every
// new snapshot, the first one included.
func NewPriceBook(ctx context.Context, db *store.DB, config []Override, onChange func(*Prices)) (*PriceBook, error) {
	b := &PriceBook{db: db, config: config, onChange: onChange}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b, b.reload(ctx)
}

// Current is the prices snapshot in force.
func (b *PriceBook) Current() *Prices {
	if p := b.cur.Load(); p != nil {
		return p
	}
	return catalogTable
}

// List is every model's effective price (the dashboard's Prices view).
func (b *PriceBook) List() []ModelPrice { return b.Current().List() }

// CheckOverride validates an override.
func CheckOverride(o Override) error {
	var errs []error
	if o.Provider == "" || o.Model == "" {
		errs = append(errs, errors.New("provider and model are required"))
	}
	for name, v := range map[string]float64{"input": o.Input, "output": o.Output, "cacheRead": o.CacheRead,
		"cacheWrite": o.CacheWrite, "reasoning": o.Reasoning} {
		if v < 0 || v > 100_000 || math.IsNaN(v) {
			errs = append(errs, fmt.Errorf("%s %v is not a price from 0 to 100000 USD per million tokens", name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPrice, err)
	}
	return nil
}

// Set stores an override and applies it to new requests.
func (b *PriceBook) Set(ctx context.Context, o Override) error {
	if err := CheckOverride(o); err != nil {
		return err
	}
	if b.fromConfig(o.Provider, o.Model) {
		return ErrConfigPrice
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.db.ExecContext(ctx, `INSERT INTO price_overrides(provider, model, input, output, cache_read,
		cache_write, reasoning, updated_at) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT(provider, model) DO UPDATE SET input = excluded.input, output = excluded.output,
		cache_read = excluded.cache_read, cache_write = excluded.cache_write, reasoning = excluded.reasoning,
		updated_at = excluded.updated_at`, o.Provider, o.Model, o.Input, o.Output, o.CacheRead, o.CacheWrite,
		o.Reasoning, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("usage: save price: %w", err)
	}
	return b.reload(ctx)
}

// Delete removes an override: the catalog's price (or none) applies again.
func (b *PriceBook) Delete(ctx context.Context, providerID, model string) error {
	if b.fromConfig(providerID, model) {
		return ErrConfigPrice
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.db.ExecContext(ctx, `DELETE FROM price_overrides WHERE provider = ? AND model = ?`, providerID, model); err != nil {
		return fmt.Errorf("usage: delete price: %w", err)
	}
	return b.reload(ctx)
}

func (b *PriceBook) fromConfig(providerID, model string) bool {
	for _, o := range b.config {
		if o.Provider == providerID && o.Model == model {
			return true
		}
	}
	return false
}

func (b *PriceBook) reload(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT provider, model, input, output, cache_read, cache_write, reasoning
		FROM price_overrides`)
	if err != nil {
		return fmt.Errorf("usage: prices: %w", err)
	}
	defer rows.Close()
	var stored []Override
	for rows.Next() {
		var o Override
		if err := rows.Scan(&o.Provider, &o.Model, &o.Input, &o.Output, &o.CacheRead, &o.CacheWrite, &o.Reasoning); err != nil {
			return fmt.Errorf("usage: prices: %w", err)
		}
		stored = append(stored, o)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage: prices: %w", err)
	}
	p := NewPrices(map[string][]Override{"override": stored, "config": b.config})
	b.cur.Store(p)
	if b.onChange != nil {
		b.onChange(p)
	}
	return nil
}
