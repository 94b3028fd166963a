package mgmt_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/backend/config"
	"switchboard/backend/mgmt"
	"switchboard/backend/usage"
)

func pricesOf(t *testing.T, c client) map[string]usage.ModelPrice {
	t.Helper()
	code, body := c.do("GET", "/api/prices", "")
	var list []usage.ModelPrice
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("GET /api/prices: %d %s", code, body)
	}
	m := map[string]usage.ModelPrice{}
	for _, p := range list {
		m[p.Provider+"/"+p.Model] = p
	}
	return m
}

func TestPricesAPI(t *testing.T) {
	cfg := config.Default()
	cfg.Prices = []config.PriceConfig{{Provider: "openai", Model: "gpt-5-mini", Input: 0.3, Output: 3}}
	in := startCore(t, cfg)
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}

	m := pricesOf(t, c)
	if p := m["openai/gpt-5"]; p.Source != "catalog" || p.Input != 1.25 || p.AsOf == "" || !p.Known {
		t.Fatalf("catalog price %+v", p)
	}
	if p := m["openai/gpt-5-mini"]; p.Source != "config" || p.Input != 0.3 {
		t.Fatalf("config price %+v", p)
	}
	if code, body := c.do("PUT", "/api/prices", `{"provider":"openai","model":"gpt-5","input":2,"output":20}`); code != 204 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if p := pricesOf(t, c)["openai/gpt-5"]; p.Source != "override" || p.Input != 2 || p.Catalog == nil || p.Catalog.In != 1.25 {
		t.Fatalf("override %+v", p)
	}
	// New rows are costed at the override.
	in.Recorder.Record(&usage.Row{ReqID: "r1", TS: time.Now().UnixMilli(), Provider: "openai", UpstreamModel: "gpt-5",
		Status: 200, TokensIn: 1_000_000, TokensOut: 100_000})
	in.Recorder.Flush()
	rows, _ := in.Services.Logs(t.Context(), usage.Filter{Limit: 1})
	if len(rows) != 1 || !rows[0].CostKnown || math.Abs(rows[0].CostUSD-4) > 1e-9 || rows[0].Billing != "api" {
		t.Fatalf("row %+v", rows)
	}
	for _, bad := range []string{
		`{"provider":"openai","model":"gpt-5-mini","input":1,"output":1}`, // the config file's
		`{"provider":"openai","model":"gpt-5","input":-1,"output":1}`,
		`{"provider":"","model":"x","input":1,"output":1}`,
	} {
		if code, body := c.do("PUT", "/api/prices", bad); code != 400 {
			t.Fatalf("PUT %s: %d %s", bad, code, body)
		}
	}
	if code, body := c.do("PUT", "/api/prices", `{"provider":"openai","model":"gpt-5-mini","input":1,"output":1}`); !strings.Contains(body, "config file") {
		t.Fatalf("config price changed: %d %s", code, body)
	}
	if code, body := c.do("DELETE", "/api/prices?provider=openai&model=gpt-5", ""); code != 204 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if p := pricesOf(t, c)["openai/gpt-5"]; p.Source != "catalog" || p.Input != 1.25 {
		t.Fatalf("after delete %+v", p)
	}
	// The override survives a restart of the price book (stored).
	if code, _ := c.do("PUT", "/api/prices", `{"provider":"my-llm","model":"m","input":1,"output":1}`); code != 204 {
		t.Fatal("PUT custom")
	}
	book, err := usage.NewPriceBook(t.Context(), in.DB, nil, nil)
	if err != nil || !book.Current().Quote("my-llm", "m", usage.Tokens{In: 1_000_000}).CostKnown {
		t.Fatalf("stored override not reloaded: %v", err)
	}
	if code, _ := (client{t, c.base, "nope"}).do("GET", "/api/prices", ""); code != 401 {
		t.Fatalf("unauthenticated: %d", code)
	}
}

func TestAnalyticsAPI(t *testing.T) {
	in := startCore(t, config.Default())
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	now := time.Now()
	for i := range 6 {
		in.Recorder.Record(&usage.Row{ReqID: fmt.Sprint(i), TS: now.Add(-time.Duration(i) * time.Minute).UnixMilli(), Provider: "claude",
			UpstreamModel: "claude-sonnet-4-5", Status: 200, Attempts: 1 + i%2, TokensIn: 100_000, Tool: []string{"claude-code", "codex"}[i%2],
			KeyName: "alice", LatencyMS: 100})
	}
	in.Recorder.Flush()
	q := url.Values{"from": {fmt.Sprint(now.Add(-time.Hour).UnixMilli())}, "to": {fmt.Sprint(now.Add(time.Minute).UnixMilli())},
		"groupBy": {"tool"}, "tz": {"60"}}
	code, body := c.do("GET", "/api/analytics?"+q.Encode(), "")
	var rep usage.Report
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("GET /api/analytics: %d %s", code, body)
	}
	// Subscription rows: $0 cost, $0.30 of API value each.
	if rep.Totals.Requests != 6 || rep.Totals.Fallbacks != 3 || rep.Totals.CostUSD != 0 || math.Abs(rep.Totals.ValueUSD-1.8) > 1e-9 ||
		len(rep.Breakdown) != 2 || rep.Breakdown[0].Requests != 3 || len(rep.Latency) != 1 || len(rep.TopSpenders) != 1 || rep.GroupBy != "tool" {
		t.Fatalf("report %+v", rep)
	}
	q.Set("tool", "codex")
	if _, body := c.do("GET", "/api/analytics?"+q.Encode(), ""); !strings.Contains(body, `"requests":3,`) {
		t.Fatalf("filtered: %s", body)
	}
	for _, bad := range []string{"groupBy=colour", "from=yesterday", "bucket=week", "tz=abc"} {
		if code, body := c.do("GET", "/api/analytics?"+bad, ""); code != 400 {
			t.Fatalf("%s: %d %s", bad, code, body)
		}
	}
}

func TestStorageAPI(t *testing.T) {
	in := startCore(t, config.Default())
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	in.Recorder.Record(&usage.Row{ReqID: "a", TS: time.Now().UnixMilli(), Status: 200})
	in.Recorder.Flush()
	code, body := c.do("GET", "/api/storage", "")
	var v mgmt.StorageView
	if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /api/storage: %d %s", code, body)
	}
	if v.Retention != usage.DefaultRetention() || v.FromConfig || v.Size.FileBytes <= 0 || v.Size.UsedBytes <= 0 || v.Size.Rows != 1 {
		t.Fatalf("storage %+v", v)
	}
	if code, body := c.do("PUT", "/api/storage/retention", `{"days":7,"maxDbMib":64}`); code != 200 || !strings.Contains(body, `"days":7`) {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if r := in.Upkeep.Retention(); r.Days != 7 || r.MaxMiB != 64 {
		t.Fatalf("upkeep retention %+v", r)
	}
	if r := in.Services.StoredRetention(t.Context()); r.Days != 7 {
		t.Fatalf("stored %+v", r)
	}
	for _, bad := range []string{`{"days":0,"maxDbMib":64}`, `{"days":7,"maxDbMib":1}`, `{"days":99999,"maxDbMib":64}`} {
		if code, body := c.do("PUT", "/api/storage/retention", bad); code != 400 {
			t.Fatalf("%s: %d %s", bad, code, body)
		}
	}
}

func TestStorageRetentionFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Retention = &config.RetentionConfig{Days: 14}
	in := startCore(t, cfg)
	c := client{t, "http://" + in.Server.Addr(), in.Sessions.NewSession()}
	_, body := c.do("GET", "/api/storage", "")
	if !strings.Contains(body, `"fromConfig":true`) || !strings.Contains(body, `"days":14,"maxDbMib":1024`) {
		t.Fatalf("storage %s", body)
	}
	if code, body := c.do("PUT", "/api/storage/retention", `{"days":7,"maxDbMib":64}`); code != 400 || !strings.Contains(body, "config file") {
		t.Fatalf("PUT over the config: %d %s", code, body)
	}
}
