package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// keyName is the keys package's rule for names.
var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)

// known api_keys columns; others (policies) travel in Key.Extra.
var keyColumns = map[string]bool{"id": true, "name": true, "hash": true, "last4": true, "source": true, "created_at": true, "last_used_at": true}

func (w *writer) applyKeys(ctx context.Context, s Setup) error {
	cols, err := columns(ctx, w.tx, "api_keys")
	if err != nil {
		return err
	}
	for _, k := range s.Keys {
		hash, l4 := k.Hash, k.Last4
		if k.Secret != "" {
			if len(k.Secret) < 16 {
				w.r.add(Item{Kind: KindKey, Name: k.Name, Action: ActSkip, Why: "shorter than the 16 characters Switchboard requires; create a new key"})
				continue
			}
			hash, l4 = hashSecret(k.Secret), last4(k.Secret)
		}
		if hash == "" {
			w.r.add(Item{Kind: KindKey, Name: k.Name, Action: ActSkip, Why: "only a hash of it is stored there, which cannot be turned back into the key; create a new key"})
			continue
		}
		var have string
		err := w.tx.QueryRowContext(ctx, `SELECT name FROM api_keys WHERE hash = ?`, hash).Scan(&have)
		if err == nil {
			w.r.add(Item{Kind: KindKey, Name: k.Name, Action: ActUnchanged, Why: keyHereAs(have, k.Name)})
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("transfer: key %s: %w", k.Name, err)
		}
		name, changes, err := w.freeKeyName(ctx, k.Name)
		if err != nil {
			return err
		}
		id := k.ID
		if !strings.HasPrefix(id, "k_") || !w.idFree(ctx, "api_keys", id) {
			id = newID("k_")
		}
		source, created := k.Source, k.CreatedAt
		if source == "" {
			source = "import"
		}
		if created == 0 {
			created = w.now.Unix()
		}
		q := `INSERT INTO api_keys(id, name, hash, last4, source, created_at`
		args := []any{id, name, hash, l4, source, created}
		var dropped []string
		for c, v := range k.Extra {
			if keyColumns[c] {
				continue
			}
			if !cols[c] {
				dropped = append(dropped, c)
				continue
			}
			q += ", " + quoteIdent(c)
			args = append(args, v)
		}
		q += `) VALUES (?` + strings.Repeat(",?", len(args)-1) + `)`
		if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("transfer: key %s: %w", k.Name, err)
		}
		if len(dropped) > 0 {
			changes = append(changes, "not carried (this Switchboard has no such key setting): "+strings.Join(sortedStrings(dropped), ", "))
		}
		w.r.add(Item{Kind: KindKey, Name: k.Name, Action: ActCreate, Changes: changes})
	}
	return nil
}

func keyHereAs(have, name string) string {
	if have == name {
		return ""
	}
	return "the same key is here as " + have
}

// freeKeyName makes name valid and unused.
func (w *writer) freeKeyName(ctx context.Context, name string) (string, []string, error) {
	var changes []string
	clean := strings.Map(func(r rune) rune {
		if r < 128 && (r == ' ' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, strings.TrimSpace(name))
	clean = strings.TrimLeft(clean, " ._-")
	if len(clean) > 56 {
		clean = clean[:56]
	}
	if clean == "" {
		clean = "imported"
	}
	if clean != name {
		changes = append(changes, "named "+clean)
	}
	for i := 1; ; i++ {
		cand := clean
		if i > 1 {
			cand = fmt.Sprintf("%s-%d", clean, i)
		}
		var n int
		if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE name = ?`, cand).Scan(&n); err != nil {
			return "", nil, fmt.Errorf("transfer: key %s: %w", name, err)
		}
		if n == 0 && keyName.MatchString(cand) {
			if i > 1 {
				changes = append(changes, "named "+cand+" (the name was taken)")
			}
			return cand, changes, nil
		}
	}
}

func (w *writer) applyTables(ctx context.Context, s Setup) error {
	for _, t := range s.Tables {
		cols, err := columns(ctx, w.tx, t.Name)
		if err != nil {
			return err
		}
		if len(cols) == 0 || !isPolicyTable(t.Name) {
			w.r.add(Item{Kind: KindTable, Name: t.Name, Action: ActSkip, Why: "this Switchboard has no such table (exported by a newer one?)"})
			continue
		}
		var missing []string
		for _, c := range t.Columns {
			if !cols[c] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			w.r.add(Item{Kind: KindTable, Name: t.Name, Action: ActSkip, Why: "this Switchboard's table has no column " + strings.Join(missing, ", ")})
			continue
		}
		q := `INSERT OR REPLACE INTO ` + quoteIdent(t.Name) + `(`
		for i, c := range t.Columns {
			if i > 0 {
				q += ","
			}
			q += quoteIdent(c)
		}
		q += `) VALUES (?` + strings.Repeat(",?", len(t.Columns)-1) + `)`
		for _, row := range t.Rows {
			if len(row) != len(t.Columns) {
				return fmt.Errorf("transfer: table %s: a row has %d values for %d columns", t.Name, len(row), len(t.Columns))
			}
			if _, err := w.tx.ExecContext(ctx, q, row...); err != nil {
				return fmt.Errorf("transfer: table %s: %w", t.Name, err)
			}
		}
		w.r.add(Item{Kind: KindTable, Name: fmt.Sprintf("%s (%d rows)", t.Name, len(t.Rows)), Action: ActCreate})
	}
	return nil
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// columns lists a table's columns (empty when there is no such table).
func columns(ctx context.Context, q queryer, table string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("transfer: columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// isPolicyTable: the tables key policies live in (key_*, api_key_*).
func isPolicyTable(name string) bool {
	return strings.HasPrefix(name, "key_") || strings.HasPrefix(name, "api_key_")
}

// policyTables lists the key policy tables of a database.
func policyTables(ctx context.Context, q queryer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("transfer: tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if isPolicyTable(n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
