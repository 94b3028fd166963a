package usage

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestToolOf(t *testing.T) {
	cases := []struct {
		hdr  map[string]string
		want string
	}{
		// The reference captures' User-Agents.
		{map[string]string{"User-Agent": "claude-cli/2.1.197 (external, sdk-cli)"}, "claude-code"},
		{map[string]string{"User-Agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) dumb (codex_exec; 0.169.0)"}, "codex"},
		{map[string]string{"User-Agent": "GeminiCLI-tui/0.61.0/mock-model (linux; x64; terminal)"}, "gemini-cli"},
		{map[string]string{"User-Agent": "opencode/1.18.33 ai-sdk/provider-utils/4.0.23 runtime/bun/1.3.14"}, "opencode"},
		// A Codex client the UA does not name, but its originator does.
		{map[string]string{"User-Agent": "reqwest", "Originator": "codex_cli_rs"}, "codex"},
		{map[string]string{"User-Agent": "OpenAI/JS 5.1.0", "X-Title": "Cline"}, "openai-sdk"},
		{map[string]string{"X-Title": "Cline", "HTTP-Referer": "https://cline.bot"}, "cline"},
		{map[string]string{"User-Agent": "Anthropic/Go 1.14.0"}, "anthropic-sdk"},
		{map[string]string{"User-Agent": "google-genai-sdk/1.30.0 gl-go/go1.26"}, "genai-sdk"},
		{map[string]string{"User-Agent": "curl/8.5.0"}, "curl"},
		{map[string]string{"User-Agent": "okhttp/4.12 (Android 14)"}, ""},
		{map[string]string{}, ""},
	}
	// Twice: the second time the User-Agents are answered from memory.
	for _, pass := range []string{"first", "again"} {
		for _, c := range cases {
			h := http.Header{}
			for k, v := range c.hdr {
				h.Set(k, v)
			}
			if got := ToolOf(h); got != c.want {
				t.Errorf("%s %v: %q, want %q", pass, c.hdr, got, c.want)
			}
		}
	}
	h := http.Header{"User-Agent": {"GeminiCLI-tui/0.61.0/mock-model (linux; x64; terminal)"}}
	if n := testing.AllocsPerRun(100, func() { _ = ToolOf(h) }); n != 0 {
		t.Fatalf("ToolOf allocates %v times per request", n)
	}
	// A client choosing a new User-Agent each time fills the memory only
	// so far.
	for i := range 2 * maxUAMemo {
		if got := ToolOf(http.Header{"User-Agent": {fmt.Sprintf("claude-cli/%d", i)}}); got != "claude-code" {
			t.Fatalf("User-Agent %d: %q", i, got)
		}
	}
	userAgents.mu.RLock()
	n := len(userAgents.seen)
	userAgents.mu.RUnlock()
	if n > maxUAMemo {
		t.Fatalf("%d User-Agents remembered", n)
	}
}

func TestMaintainerPassesAfterStartAndWhenKicked(t *testing.T) {
	db := openDB(t)
	old := MaintainAfterStart
	MaintainAfterStart = 10 * time.Millisecond
	defer func() { MaintainAfterStart = old }()
	r := NewRecorder(db, discard, Options{})
	r.Record(&Row{ReqID: "a", TS: 1, Provider: "openai", UpstreamModel: "gpt-5", Status: 200, TokensIn: 10})
	r.Close()
	m := NewMaintainer(db, discard, CatalogPrices, Retention{Days: 30, MaxMiB: 1024})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	waitFor(t, func() bool { return m.Last().At != 0 })
	if l := m.Last(); l.Error != "" || l.RolledUp != 1 || l.DeletedOld != 1 { // ts 1 is long past 30 days
		t.Fatalf("first pass %+v", l)
	}
	first := m.Last().At
	m.SetRetention(Retention{Days: 7, MaxMiB: 64})
	waitFor(t, func() bool { return m.Last().At != first })
	if m.Retention().Days != 7 {
		t.Fatalf("retention %+v", m.Retention())
	}
}

// A due pass waits while requests are in flight or keep coming, and runs
// once the gateway is quiet, or after the longest wait; a kick does not
// wait.
func TestMaintainerWaitsForQuiet(t *testing.T) {
	db := openDB(t)
	defer func(a, q, w time.Duration) { MaintainAfterStart, MaintainQuiet, MaintainMaxWait = a, q, w }(MaintainAfterStart, MaintainQuiet, MaintainMaxWait)
	MaintainAfterStart, MaintainQuiet, MaintainMaxWait = time.Millisecond, 20*time.Millisecond, time.Hour
	run := func(tr *Traffic) (*Maintainer, context.CancelFunc) {
		m := NewMaintainer(db, discard, CatalogPrices, Retention{Days: 30, MaxMiB: 1024})
		m.WaitForQuiet(tr)
		ctx, cancel := context.WithCancel(context.Background())
		go m.Run(ctx)
		return m, cancel
	}

	var busy Traffic
	busy.Start() // a long stream
	m, cancel := run(&busy)
	defer cancel()
	time.Sleep(150 * time.Millisecond)
	if m.Last().At != 0 {
		t.Fatal("the pass ran with a request in flight")
	}
	busy.Done()
	for i := 0; i < 10; i++ { // short requests, one every 5 ms: never quiet for 20 ms
		busy.Start()
		busy.Done()
		time.Sleep(5 * time.Millisecond)
	}
	if m.Last().At != 0 {
		t.Fatal("the pass ran while requests kept coming")
	}
	waitFor(t, func() bool { return m.Last().At != 0 }) // quiet now

	var kicked Traffic
	kicked.Start()
	m2, cancel2 := run(&kicked)
	defer cancel2()
	time.Sleep(20 * time.Millisecond) // due, and waiting for quiet
	m2.Kick()
	waitFor(t, func() bool { return m2.Last().At != 0 })
	cancel()
	cancel2()

	MaintainMaxWait = 50 * time.Millisecond
	var stuck Traffic
	stuck.Start()
	m3, cancel3 := run(&stuck)
	defer cancel3()
	waitFor(t, func() bool { return m3.Last().At != 0 })
}
