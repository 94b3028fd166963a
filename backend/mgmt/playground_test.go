package mgmt

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/backend/playground"
)

// The playground's routes need a session, bound bodies, and answer the
// user's mistakes with 400 and a message.
func TestPlaygroundHTTP(t *testing.T) {
	sessions, _ := NewSessions(time.Hour)
	h := NewHTTP(NewServices(nil, nil, nil, Runtime{}), sessions, NewHostGuard(), nil, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sid := sessions.NewSession()
	do := func(method, path, body string, session bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if session {
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: sid})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"GET /api/playground/examples", "POST /api/playground/translate", "POST /api/playground/send"} {
		m, path, _ := strings.Cut(p, " ")
		if code, _ := do(m, path, `{}`, false); code != http.StatusUnauthorized {
			t.Errorf("%s without a session: %d", p, code)
		}
	}
	code, body := do("GET", "/api/playground/examples", "", true)
	var exs []playground.Example
	if code != 200 || json.Unmarshal([]byte(body), &exs) != nil || len(exs) < 8 {
		t.Fatalf("examples: %d %.200s", code, body)
	}
	in, _ := json.Marshal(playground.TranslateInput{Dialect: exs[0].Dialect, Body: exs[0].Body})
	code, body = do("POST", "/api/playground/translate", string(in), true)
	var tr playground.Translation
	if code != 200 || json.Unmarshal([]byte(body), &tr) != nil || len(tr.To) != 3 {
		t.Fatalf("translate: %d %.300s", code, body)
	}
	for _, tc := range []struct{ body, code, says string }{
		{`{"dialect":"cohere","body":"{}"}`, "invalid", "unknown dialect"},
		{`{"dialect":"openai","body":"{\"x\":\"` + strings.Repeat("a", playground.MaxBody) + `\"}"}`, "invalid", "larger than"},
		{`{"dialect":"openai","body":"` + strings.Repeat("a", 1<<20) + `"}`, "invalid_body", ""},
	} {
		code, body = do("POST", "/api/playground/translate", tc.body, true)
		if code != 400 || !strings.Contains(body, `"code":"`+tc.code+`"`) || !strings.Contains(body, tc.says) {
			t.Errorf("translate %.40s…: %d %.200s", tc.body, code, body)
		}
	}
	// No gateway (a CLI's services): a send says so instead of hanging.
	code, body = do("POST", "/api/playground/send", `{"dialect":"openai","body":"{}","model":"m"}`, true)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not running") {
		t.Errorf("send without a gateway: %d %s", code, body)
	}
}
