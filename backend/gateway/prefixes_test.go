package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// The next turn of a conversation resumes its validation where it parts
// from the last (bodies.prefixes), takes what follows the conversation
// from the last turn too, and still acts on what the skipped parts hold: a signature tagged as another vendor's, early in the history,
// keeps the request off the byte pass-through, so the upstream never sees
// the tag. An untagged conversation goes through byte for byte, and an
// invalid turn is refused even though its prefix was valid before.
func TestNextTurnResumesAndKeepsItsMarks(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}`)
	}))
	defer srv.Close()
	ups := []*route.Provider{{Entry: provider.Entry{ID: "ant", Dialect: dialect.Anthropic, BaseURL: srv.URL + "/v1", AllowLocal: true,
		Models: []provider.Model{{ID: "m"}}}, Accounts: []*route.Account{{Name: "a", APIKey: "sk-up"}}}}
	g, secret := keyedGateway(t, ups)

	// turn writes a conversation of n exchanges; the first assistant turn
	// carries signature sig.
	turn := func(sig string, n int, tail string) []byte {
		var sb strings.Builder
		sb.WriteString(`{"model":"ant/m","max_tokens":100,"messages":[`)
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			s := "plain-signature"
			if i == 0 {
				s = sig
			}
			fmt.Fprintf(&sb, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"t%d","content":"%s"}]},`, i, strings.Repeat(`file line\n\"x\" `, 500))
			fmt.Fprintf(&sb, `{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"%s"},{"type":"text","text":"next %d"}]}`, s, i)
		}
		sb.WriteString(tail + `,{"role":"user","content":"go on"}],"tools":[`)
		for i := range 12 { // the same every turn, after the conversation (as Claude Code sends them)
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"name":"tool%d","description":"%s","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}`,
				i, strings.Repeat(`Reads a file.\n`, 80))
		}
		sb.WriteString(`],"stream":false}`)
		return []byte(sb.String())
	}
	send := func(body []byte) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
		req.Header.Set("anthropic-version", "2023-06-01")
		req.Header.Set("x-api-key", secret)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec.Code
	}
	last := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return got[len(got)-1]
	}

	for _, c := range []struct {
		name, sig   string
		passThrough bool
	}{
		{"tagged", "swb1:gemini:CiQB", false},
		{"untagged", "EqQBsig", true},
	} {
		for n := 20; n <= 22; n++ { // three turns of one conversation
			body := turn(c.sig, n, "")
			skipped := g.bodies.prefixes.Skipped()
			if code := send(body); code != http.StatusOK {
				t.Fatalf("%s turn %d: %d", c.name, n, code)
			}
			// Resumed in the last exchange, and what follows the
			// conversation (the tools) taken from the turn before.
			if n > 20 && g.bodies.prefixes.Skipped()-skipped <= int64(bytes.LastIndex(body, []byte("go on"))) {
				t.Fatalf("%s turn %d: skipped %d of %d bytes", c.name, n, g.bodies.prefixes.Skipped()-skipped, len(body))
			}
			up := last()
			if bytes.Contains(up, []byte("swb1")) {
				t.Fatalf("%s turn %d: the upstream got the tagged signature raw", c.name, n)
			}
			asSent := bytes.Replace(body, []byte(`"model":"ant/m"`), []byte(`"model":"m"`), 1) // the upstream's name
			if same := bytes.Equal(up, asSent); same != c.passThrough {
				t.Fatalf("%s turn %d: sent byte for byte = %v, want %v", c.name, n, same, c.passThrough)
			}
		}
	}
	// Invalid after the shared part: refused in the client's dialect.
	skipped := g.bodies.prefixes.Skipped()
	if code := send(turn("EqQBsig", 23, `,{"role":"user","content":"\x"}`)); code != http.StatusBadRequest {
		t.Fatalf("an invalid turn answered %d", code)
	}
	if g.bodies.prefixes.Skipped() == skipped {
		t.Fatal("the invalid turn did not resume (the test no longer covers a resumed scan)")
	}
}
