package reasoning

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/backend/ir"
	"switchboard/backend/secret"
	"switchboard/backend/store"
)

func sealer(t *testing.T) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var ctx = context.Background()

// anthropicAnswer: thinking, text, a call, interleaved thinking, a second call.
func anthropicAnswer() []ir.Block {
	return []ir.Block{
		{Type: ir.BlockThinking, Text: "private-plan-7f3a", Signature: "sig-1", Origin: ir.OriginAnthropic},
		{Type: ir.BlockText, Text: "Let me look."},
		{Type: ir.BlockToolUse, ToolCallID: "toolu_1", ToolName: "read", Input: json.RawMessage(`{}`)},
		{Type: ir.BlockRedactedThinking, Data: "opaque", Origin: ir.OriginAnthropic},
		{Type: ir.BlockToolUse, ToolCallID: "toolu_2", ToolName: "grep", Input: json.RawMessage(`{}`)},
	}
}

// clientEcho is the same turn as a client without thinking sends it back.
func clientEcho() []ir.Message {
	return []ir.Message{
		{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "fix it"}}},
		{Role: ir.RoleAssistant, Content: []ir.Block{
			{Type: ir.BlockText, Text: "Let me look."},
			{Type: ir.BlockToolUse, ToolCallID: "toolu_1", ToolName: "read", Input: json.RawMessage(`{}`)},
			{Type: ir.BlockToolUse, ToolCallID: "toolu_2", ToolName: "grep", Input: json.RawMessage(`{}`)},
		}},
		{Role: ir.RoleUser, Content: []ir.Block{
			{Type: ir.BlockToolResult, ToolCallID: "toolu_1"}, {Type: ir.BlockToolResult, ToolCallID: "toolu_2"},
			{Type: ir.BlockText, Text: "<system-reminder>x</system-reminder>"}}},
	}
}

func types(bs []ir.Block) string {
	var s string
	for _, b := range bs {
		s += string(b.Type) + " "
	}
	return s
}

func TestRestoreAnthropicTurn(t *testing.T) {
	m := New(Options{})
	m.Remember("keyA", "ant", ir.OriginAnthropic, anthropicAnswer())
	in := clientEcho()
	out, n := m.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, in)
	if n != 2 {
		t.Fatalf("restored %d calls, want 2", n)
	}
	got := out[1].Content
	if want := "thinking text tool_use redacted_thinking tool_use "; types(got) != want {
		t.Fatalf("turn = %s, want %s", types(got), want)
	}
	if got[0].Signature != "sig-1" || got[0].Text != "private-plan-7f3a" || got[3].Data != "opaque" {
		t.Errorf("restored blocks %+v", got)
	}
	if types(in[1].Content) != "text tool_use tool_use " {
		t.Errorf("the client's history was modified: %s", types(in[1].Content))
	}
	// A turn that carries its own thinking is left alone.
	carried := clientEcho()
	carried[1].Content = append([]ir.Block{{Type: ir.BlockThinking, Text: "private-plan-7f3a", Signature: "sig-1", Origin: ir.OriginAnthropic}}, carried[1].Content...)
	if _, n := m.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, carried); n != 0 {
		t.Errorf("restored %d into a turn that had its thinking", n)
	}
}

func TestRestoreScopedByKeyProviderAndOrigin(t *testing.T) {
	m := New(Options{})
	m.Remember("keyA", "ant", ir.OriginAnthropic, anthropicAnswer())
	for _, c := range []struct {
		scope, provider string
		origin          ir.Origin
	}{{"keyB", "ant", ir.OriginAnthropic}, {"keyA", "glm", ir.OriginAnthropic}, {"keyA", "ant", ir.OriginGemini}} {
		if _, n := m.Restore(ctx, c.scope, c.provider, c.origin, clientEcho()); n != 0 {
			t.Errorf("%+v: restored %d, want 0", c, n)
		}
	}
}

func TestRestoreGeminiSignature(t *testing.T) {
	m := New(Options{})
	m.Remember("k", "gem", ir.OriginGemini, []ir.Block{
		{Type: ir.BlockThinking, Text: "why", Origin: ir.OriginNone}, // an unsigned thought summary: not needed
		{Type: ir.BlockToolUse, ToolCallID: "gm_1", ToolName: "read", Signature: "gsig", Origin: ir.OriginGemini},
		{Type: ir.BlockToolUse, ToolCallID: "gm_2", ToolName: "read", Origin: ir.OriginGemini}, // parallel: unsigned
	})
	msgs := []ir.Message{{Role: ir.RoleAssistant, Content: []ir.Block{
		{Type: ir.BlockToolUse, ToolCallID: "gm_1", ToolName: "read"}, {Type: ir.BlockToolUse, ToolCallID: "gm_2", ToolName: "read"}}}}
	out, n := m.Restore(ctx, "k", "gem", ir.OriginGemini, msgs)
	if n != 1 {
		t.Fatalf("restored %d, want 1", n)
	}
	if b := out[0].Content[0]; b.Signature != "gsig" || b.Origin != ir.OriginGemini || len(out[0].Content) != 2 {
		t.Errorf("call = %+v (turn %s)", b, types(out[0].Content))
	}
}

func TestTrackerAssignsIDsAndCollects(t *testing.T) {
	var tr Tracker
	evs := []ir.Event{
		{Type: ir.EvMessageStart},
		{Type: ir.EvBlockStart, Index: 0, Block: &ir.Block{Type: ir.BlockThinking, Origin: ir.OriginAnthropic}},
		{Type: ir.EvThinkingDelta, Index: 0, Text: "pl"}, {Type: ir.EvThinkingDelta, Index: 0, Text: "an"},
		{Type: ir.EvSignatureDelta, Index: 0, Text: "sig-1"},
		{Type: ir.EvBlockStart, Index: 1, Block: &ir.Block{Type: ir.BlockText}},
		{Type: ir.EvTextDelta, Index: 1, Text: "not kept"},
		{Type: ir.EvBlockStart, Index: 2, Block: &ir.Block{Type: ir.BlockToolUse, ToolName: "read"}},
		{Type: ir.EvToolArgsDelta, Index: 2, Text: "{}"},
		{Type: ir.EvSignatureDelta, Index: 2, Text: "callsig"},
	}
	for i := range evs {
		tr.Observe(&evs[i])
	}
	id := evs[7].Block.ToolCallID
	if id == "" {
		t.Fatal("a call without an id got none")
	}
	got := tr.Content()
	if types(got) != "thinking tool_use " || got[0].Text != "plan" || got[0].Signature != "sig-1" ||
		got[1].ToolCallID != id || got[1].Signature != "callsig" || !tr.HasCalls() {
		t.Errorf("content = %+v", got)
	}
}

func TestPersistsAcrossRestartSealed(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	m := New(Options{DB: db.DB, Sealer: sealer(t)})
	m.Remember("keyA", "ant", ir.OriginAnthropic, anthropicAnswer())
	m.Close()
	db.Close()

	raw, err := os.ReadFile(filepath.Join(dir, "sb.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, "sb.db-wal"))
	for _, secret := range []string{"sig-1", "opaque", "toolu_1", "private-plan-7f3a"} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Errorf("%q is stored in plain text", secret)
		}
	}

	db2 := openDB(t, dir)
	m2 := New(Options{DB: db2.DB, Sealer: sealer(t)})
	defer m2.Close()
	out, n := m2.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, clientEcho())
	if n != 2 || out[1].Content[0].Signature != "sig-1" {
		t.Fatalf("after a restart restored %d: %s", n, types(out[1].Content))
	}
	// Only the current turn is read from disk: an older turn is not.
	older := append(clientEcho(), ir.Message{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockText, Text: "done"}}},
		ir.Message{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "next task"}}})
	m3 := New(Options{DB: db2.DB, Sealer: sealer(t)})
	defer m3.Close()
	if _, n := m3.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, older); n != 0 {
		t.Errorf("restored %d from disk for a finished turn", n)
	}
	// A different sealing key cannot open the rows.
	other, _ := secret.NewSealer(bytes.Repeat([]byte{8}, secret.KeySize), "other")
	m4 := New(Options{DB: db2.DB, Sealer: other})
	defer m4.Close()
	if _, n := m4.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, clientEcho()); n != 0 {
		t.Errorf("a foreign sealing key restored %d", n)
	}
}

func TestBounds(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	m := New(Options{DB: db.DB, Sealer: sealer(t), Now: clock, MaxRows: 5, TTL: time.Hour, MemBytes: 2000})
	for i := range 40 {
		m.Remember("k", "gem", ir.OriginGemini, []ir.Block{{Type: ir.BlockToolUse, ToolCallID: "c" + string(rune('A'+i)),
			Signature: string(bytes.Repeat([]byte{'s'}, 100)), Origin: ir.OriginGemini}})
	}
	m.Flush()
	m.mu.Lock()
	mem, n := m.bytes, m.lru.Len()
	m.mu.Unlock()
	if mem > 2000 || n == 40 {
		t.Errorf("memory holds %d entries, %d bytes (limit 2000)", n, mem)
	}
	m.prune()
	var rows int
	_ = db.QueryRow("SELECT count(*) FROM reasoning_memo").Scan(&rows)
	if rows != 5 {
		t.Errorf("%d rows after prune, want MaxRows 5", rows)
	}
	now = now.Add(2 * time.Hour)
	m.prune()
	_ = db.QueryRow("SELECT count(*) FROM reasoning_memo").Scan(&rows)
	if rows != 0 {
		t.Errorf("%d rows past the TTL", rows)
	}
	m.Close()
}

// BenchmarkRestoreLongLoop: an agent 200 tool calls deep, all remembered,
// the client carrying none of it (the translated hot path of every turn).
func BenchmarkRestoreLongLoop(b *testing.B) {
	m := New(Options{})
	var msgs []ir.Message
	msgs = append(msgs, ir.Message{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "fix the bug"}}})
	for i := range 200 {
		id := "gm_" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		m.Remember("k", "gem", ir.OriginGemini, []ir.Block{{Type: ir.BlockToolUse, ToolCallID: id, Signature: "sig", Origin: ir.OriginGemini}})
		msgs = append(msgs,
			ir.Message{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockToolUse, ToolCallID: id, ToolName: "read"}}},
			ir.Message{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockToolResult, ToolCallID: id}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, n := m.Restore(ctx, "k", "gem", ir.OriginGemini, msgs); n != 200 {
			b.Fatalf("restored %d", n)
		}
	}
}

// A current-turn call the memo never saw is looked up in the database
// once, not on every request of the loop; an entry saved later for it
// still wins.
func TestRemembersAbsence(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	logs := &lockedLog{}
	m := New(Options{DB: db.DB, Sealer: sealer(t), Log: slog.New(slog.NewTextHandler(logs, nil))})
	defer m.Close()
	if _, n := m.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, clientEcho()); n != 0 {
		t.Fatalf("restored %d from an empty memo", n)
	}
	// With the database gone, a second lookup that went to it would log a
	// failed read.
	db.Close()
	if _, n := m.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, clientEcho()); n != 0 {
		t.Fatalf("restored %d", n)
	}
	if logs.count("read failed") != 0 {
		t.Fatalf("the absence was not remembered; the database was read again: %s", logs.String())
	}
	m.Remember("keyA", "ant", ir.OriginAnthropic, anthropicAnswer())
	if _, n := m.Restore(ctx, "keyA", "ant", ir.OriginAnthropic, clientEcho()); n != 2 {
		t.Fatalf("after the answer was remembered restored %d, want 2", n)
	}
	// A failed read is not taken for an absence.
	logs2 := &lockedLog{}
	m2 := New(Options{DB: db.DB, Sealer: sealer(t), Log: slog.New(slog.NewTextHandler(logs2, nil))})
	defer m2.Close()
	for range 2 {
		m2.Restore(ctx, "keyB", "ant", ir.OriginAnthropic, clientEcho())
	}
	if got := logs2.count("read failed"); got != 2 {
		t.Fatalf("failed reads logged %d times, want 2 (a failure must be retried)", got)
	}
}

// lockedLog is a log sink the memo's writer goroutine and the test share.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lockedLog) count(s string) int { return strings.Count(l.String(), s) }
