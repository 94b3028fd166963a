package route

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"switchboard/backend/internal/debounce"
)

// SaveCooldowns replaces the stored cooldowns with the live ones.
func (h *Health) SaveCooldowns(ctx context.Context, db *sql.DB) error {
	cs := h.Cooldowns()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("route: save cooldowns: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM cooldowns`); err != nil {
		return fmt.Errorf("route: save cooldowns: %w", err)
	}
	for _, c := range cs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cooldowns(account_id, model, provider, account, reason, until_ts, level, message)
			VALUES (?,?,?,?,?,?,?,?)`, c.AccountID, c.Model, c.Provider, c.Account, string(c.Reason), c.Until.UnixMilli(), c.Level, c.Message); err != nil {
			return fmt.Errorf("route: save cooldowns: %w", err)
		}
	}
	return tx.Commit()
}

// PersistCooldowns saves the cooldowns whenever they change, batching the
// changes of delay into one write, until ctx ends (then it saves once more).
// A crash therefore loses at most the last delay of changes: a quota reset
// time learned an hour ago survives kill -9. It sleeps while nothing
// changes (no timer runs).
func (h *Health) PersistCooldowns(ctx context.Context, db *sql.DB, delay time.Duration, onErr func(error)) {
	debounce.Saves(ctx, h.cooled, delay, func(ctx context.Context) {
		if err := h.SaveCooldowns(ctx, db); err != nil && onErr != nil {
			onErr(err)
		}
	})
}

// LoadCooldowns restores stored cooldowns that have not expired.
func (h *Health) LoadCooldowns(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT account_id, model, provider, account, reason, until_ts, level, message FROM cooldowns`)
	if err != nil {
		return fmt.Errorf("route: load cooldowns: %w", err)
	}
	defer rows.Close()
	var cs []Cooldown
	for rows.Next() {
		var c Cooldown
		var until int64
		var reason string
		if err := rows.Scan(&c.AccountID, &c.Model, &c.Provider, &c.Account, &reason, &until, &c.Level, &c.Message); err != nil {
			return fmt.Errorf("route: load cooldowns: %w", err)
		}
		c.Reason, c.Until = Reason(reason), time.UnixMilli(until)
		cs = append(cs, c)
	}
	h.Restore(cs)
	return rows.Err()
}

// LoadCombos reads the stored combos.
func LoadCombos(ctx context.Context, db *sql.DB) ([]Combo, error) {
	rows, err := db.QueryContext(ctx, `SELECT data FROM combos ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("route: load combos: %w", err)
	}
	defer rows.Close()
	var out []Combo
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var c Combo
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("route: combo row corrupted: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveCombo stores (or replaces) a combo.
func SaveCombo(ctx context.Context, db *sql.DB, c Combo) error {
	b, _ := json.Marshal(c)
	_, err := db.ExecContext(ctx, `INSERT INTO combos(name, data, updated_at) VALUES (?,?,?)
		ON CONFLICT(name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, c.Name, string(b), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("route: save combo: %w", err)
	}
	return nil
}

// DeleteCombo removes a stored combo; false when there was none.
func DeleteCombo(ctx context.Context, db *sql.DB, name string) (bool, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM combos WHERE name = ?`, name)
	if err != nil {
		return false, fmt.Errorf("route: delete combo: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ValidateCombo checks a combo's own fields.
func ValidateCombo(c Combo) error {
	if c.Name == "" {
		return fmt.Errorf("a combo needs a name")
	}
	known := c.Strategy == ""
	for _, s := range Strategies {
		known = known || s == c.Strategy
	}
	if !known {
		return fmt.Errorf("unknown strategy %q", c.Strategy)
	}
	if len(c.Targets) == 0 {
		return fmt.Errorf("combo %q needs at least one target", c.Name)
	}
	for i, t := range c.Targets {
		if t.Model == "" {
			return fmt.Errorf("combo %q target %d has no model", c.Name, i+1)
		}
		if t.Weight < 0 {
			return fmt.Errorf("combo %q target %d has a negative weight", c.Name, i+1)
		}
	}
	if c.Budget < 0 || c.Sticky < 0 {
		return fmt.Errorf("combo %q: budget and sticky must not be negative", c.Name)
	}
	return nil
}
