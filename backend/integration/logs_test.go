package integration

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/backend/keys"
	"switchboard/backend/mgmt"
	"switchboard/backend/route"
	"switchboard/backend/usage"
)

// api calls the management API as a logged-in dashboard.
func (g *gateway) api(method, path, body string) rawResp {
	g.t.Helper()
	if g.hc.Jar == nil {
		jar, _ := cookiejar.New(nil)
		g.hc.Jar = jar
		token := g.in.LoginURL[strings.Index(g.in.LoginURL, "token=")+6:]
		resp, err := g.hc.Get(g.base + "/login?token=" + token)
		if err != nil {
			g.t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(method, g.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (g *gateway) logBodies(on bool) {
	g.t.Helper()
	if _, err := g.in.Services.SaveSettings(context.Background(), mgmt.Settings{Theme: "system", LogRequestBodies: on}); err != nil {
		g.t.Fatal(err)
	}
}

func notesOf(t *testing.T, r usage.Row) []route.Note {
	t.Helper()
	var ns []route.Note
	if err := json.Unmarshal([]byte(r.Route), &ns); err != nil {
		t.Fatalf("route %q: %v", r.Route, err)
	}
	return ns
}

// TestLogDetail: with body logging on, a streamed answer is kept in the
// log, the headers that matter are kept with the key redacted, every
// attempt carries its timing, and the detail, search, filters and export
// of the management API find the row.
func TestLogDetail(t *testing.T) {
	g, u1, _ := twoProviders(t, dOpenAI, dAnthropic)
	g.logBodies(true)
	u1.Push(Script{Status: 503, Delay: 40 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cv := newConvo(g, dOpenAI, sharedModel, "Say hello.", false)
	if _, err := cv.ask(ctx, true); err != nil {
		t.Fatal(err)
	}
	row := onlyRow(t, g)
	if !row.HasBody || row.ResponseBody != "" {
		t.Fatalf("a listed row carries its bodies, or says it has none: %+v", row)
	}
	ns := notesOf(t, row)
	if len(ns) != 2 || ns[0].Result != "upstream_5xx" || ns[0].MS < 40 || ns[1].Result != "ok" || ns[1].AtMS < ns[0].MS {
		t.Fatalf("attempt timing: %+v", ns)
	}

	r := g.api("GET", "/api/logs/"+strconv.FormatInt(row.ID, 10), "")
	var d usage.Row
	if r.Status != 200 || json.Unmarshal(r.Body, &d) != nil {
		t.Fatalf("detail: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(d.ResponseBody, "data: [DONE]") || !strings.Contains(d.ResponseBody, "Hello") {
		t.Fatalf("the streamed answer was not kept: %q", d.ResponseBody)
	}
	var hdr map[string]map[string]string
	if err := json.Unmarshal([]byte(d.Headers), &hdr); err != nil {
		t.Fatalf("headers %q: %v", d.Headers, err)
	}
	if hdr["request"]["Authorization"] != "[REDACTED]" || !strings.Contains(hdr["request"]["User-Agent"], "OpenAI/Go") ||
		hdr["response"]["X-Switchboard-Route"] == "" || strings.Contains(d.Headers, g.key) {
		t.Fatalf("headers %s", d.Headers)
	}
	if r := g.api("GET", "/api/logs/999999", ""); r.Status != 404 {
		t.Fatalf("missing row: %d", r.Status)
	}

	// Search, filters and paging over the API, as the Logs page sends them.
	var rows []usage.Row
	r = g.api("GET", "/api/logs?q="+row.ReqID[4:12]+"&stream=yes&dialect=openai&account=main&status=ok", "")
	if json.Unmarshal(r.Body, &rows); len(rows) != 1 || rows[0].ID != row.ID {
		t.Fatalf("search: %d %s", r.Status, r.Body)
	}
	r = g.api("GET", "/api/logs?stream=no", "")
	if json.Unmarshal(r.Body, &rows); len(rows) != 0 {
		t.Fatalf("stream filter: %s", r.Body)
	}
	r = g.api("GET", "/api/logs?cursorTs="+strconv.FormatInt(row.TS, 10)+"&cursorId="+strconv.FormatInt(row.ID, 10), "")
	if json.Unmarshal(r.Body, &rows); len(rows) != 0 {
		t.Fatalf("next page after the only row: %s", r.Body)
	}
	r = g.api("GET", "/api/logs/facets", "")
	var f usage.Facets
	if json.Unmarshal(r.Body, &f); len(f.Providers) != 1 || f.Providers[0] != "second" || f.Keys[0] != "integration" {
		t.Fatalf("facets %s", r.Body)
	}

	r = g.api("GET", "/api/logs/export?format=csv&key=integration", "")
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if r.Status != 200 || err != nil || len(recs) != 2 || !strings.Contains(r.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv export: %d %v %q", r.Status, err, r.Body)
	}
	r = g.api("GET", "/api/logs/export?format=jsonl", "")
	sc := bufio.NewScanner(strings.NewReader(string(r.Body)))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || !strings.Contains(sc.Text(), `"responseBody"`) || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl export: %q", r.Body)
	}
	if r := g.api("GET", "/api/logs/export?format=xml", ""); r.Status != 400 {
		t.Fatalf("bad format: %d", r.Status)
	}
}

// TestCanceledStreamDetail: a client that leaves mid-stream gets a row
// that says so (499, canceled, the attempt marked canceled with its
// timing) and keeps what was streamed before it left.
func TestCanceledStreamDetail(t *testing.T) {
	u := newUpstream(t, dAnthropic)
	g := startGateway(t, gwOpts{}, provFor(u))
	g.logBodies(true)
	u.SetDefault(Script{HangAfterContent: true})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	path, body := rawRequest(dOpenAI, clientModel(dAnthropic), true, "Say hello.")
	req, _ := http.NewRequestWithContext(ctx, "POST", g.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+g.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 64)
	if _, err := resp.Body.Read(first); err != nil {
		t.Fatal(err)
	}
	cancel() // the user pressed Esc
	resp.Body.Close()
	row := onlyRow(t, g)
	if row.Status != 499 || row.ErrorKind != "canceled" || !strings.Contains(row.ErrorMessage, "client went away") {
		t.Fatalf("row %+v", row)
	}
	ns := notesOf(t, row)
	if len(ns) != 1 || ns[0].Result != "canceled" || ns[0].Error == "" {
		t.Fatalf("notes %+v", ns)
	}
	d, err := g.in.Services.LogDetail(context.Background(), row.ID)
	if err != nil || !strings.Contains(d.ResponseBody, helloParts(dAnthropic)[0]) || !strings.Contains(d.ResponseBody, "client went away") {
		t.Fatalf("partial answer not kept: %q %v", d.ResponseBody, err)
	}
}

// The API keys page's calls: create with a policy, change it, list usage.
func TestKeyPolicyAPI(t *testing.T) {
	u := newUpstream(t, dOpenAI)
	g := startGateway(t, gwOpts{}, provFor(u))
	r := g.api("POST", "/api/keys", `{"name":"ui","policy":{"models":["oai/*"],"dailyTokens":100,"rpm":30}}`)
	var ck mgmt.CreatedKey
	if r.Status != 201 || json.Unmarshal(r.Body, &ck) != nil || ck.Key.Policy.RPM != 30 || ck.Secret == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := g.api("PUT", "/api/keys/ui/policy", `{"dailyTokens":-1}`); r.Status != 400 || !strings.Contains(string(r.Body), "negative") {
		t.Fatalf("bad policy: %d %s", r.Status, r.Body)
	}
	r = g.api("PUT", "/api/keys/"+ck.Key.ID+"/policy", `{"models":["oai/*"],"dailyTokens":20,"expiresAt":"2099-01-01"}`)
	var k keys.Key
	if r.Status != 200 || json.Unmarshal(r.Body, &k) != nil || k.Policy.DailyTokens != 20 || k.Policy.RPM != 0 ||
		!strings.HasPrefix(k.Policy.ExpiresAt, "2099-01-01") && !strings.HasPrefix(k.Policy.ExpiresAt, "2098-12-31") {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	g.key = ck.Secret
	path, body := rawRequest(dOpenAI, clientModel(dOpenAI), false, "hi")
	if r := g.do("POST", path, body, nil); r.Status != 200 {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	g.waitDebited("ui", 1)
	r = g.api("GET", "/api/keys", "")
	var ks []keys.Key
	if json.Unmarshal(r.Body, &ks); len(ks) < 2 {
		t.Fatalf("list: %s", r.Body)
	}
	for _, k := range ks {
		if k.Name == "ui" && (k.Usage == nil || k.Usage.Today.Tokens != 18 || k.Usage.Month.Requests != 1) {
			t.Fatalf("usage %+v", k.Usage)
		}
	}
	if r := g.api("PUT", "/api/keys/nobody/policy", `{}`); r.Status != 404 {
		t.Fatalf("unknown key: %d", r.Status)
	}
}
