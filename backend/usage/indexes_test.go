package usage

import (
	"regexp"
	"slices"
	"testing"
)

// TestRequestLogIndexesEachServeAQuery checks the request log's indexes
// against the queries that read the log by something other than its id:
// each query's plan uses an index, and every index is used by one. Every
// index costs each logged request an insert and each of the writer's
// commits a page, so one that no query reads is a defect
// (request_logs_model_ts was, until migration 0014), and so is a query
// that walks the whole table because its index went.
func TestRequestLogIndexesEachServeAQuery(t *testing.T) {
	db := openDB(t)
	type query struct {
		sql  string
		args []any
	}
	queries := map[string]query{
		"Totals since": {sinceSQL, []any{1}},
		"SpendByKey":   {spendByKeySQL, []any{2, 1}},
		"LastSuccess":  {lastSuccessSQL, []any{"oai"}},
	}
	for name, f := range map[string]Filter{
		"Logs page":             {Limit: 200},
		"Logs page, provider":   {Limit: 200, Provider: "oai"},
		"Logs page, key":        {Limit: 200, KeyName: "bench"},
		"Logs page, model":      {Limit: 200, Model: "gpt-5"},
		"Logs page, next page":  {Limit: 200, CursorTS: 1, CursorID: 1},
		"Logs page, last hour":  {Limit: 200, Since: 1},
		"Logs page, error kind": {Limit: 200, ErrorKind: "rate_limited", Status: "error"},
	} {
		q, args := f.listSQL()
		queries[name] = query{q, args}
	}

	uses := regexp.MustCompile(`USING (?:COVERING )?INDEX (\w+)`)
	used := map[string]bool{}
	for name, q := range queries {
		rows, err := db.Query(`EXPLAIN QUERY PLAN `+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "\n"
		}
		rows.Close()
		m := uses.FindAllStringSubmatch(plan, -1)
		if len(m) == 0 {
			t.Errorf("%s reads the whole table, no index:\n%s", name, plan)
		}
		for _, s := range m {
			used[s[1]] = true
		}
	}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_logs' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		have = append(have, name)
	}
	rows.Close()
	if len(have) == 0 {
		t.Fatal("request_logs has no index")
	}
	for _, name := range have {
		if !used[name] {
			t.Errorf("index %s serves none of the log's queries: it costs every logged request an insert for nothing", name)
		}
	}
	for name := range used {
		if !slices.Contains(have, name) {
			t.Errorf("a query uses %s, which is not on request_logs", name)
		}
	}
}
