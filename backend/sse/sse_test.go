package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func readAll(t testing.TB, in string) []Event {
	r := NewReader(strings.NewReader(in))
	var out []Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, Event{Name: append([]byte(nil), ev.Name...), Data: append([]byte(nil), ev.Data...)})
	}
}

func TestReader(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // "name|data"
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []string{`|{"a":1}`, "|[DONE]"}},
		{"anthropic", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n", []string{"message_start|{}", `ping|{"type":"ping"}`}},
		{"crlf and comments", ": keepalive\r\nevent: x\r\ndata: 1\r\n\r\n", []string{"x|1"}},
		{"multi-line data", "data: a\ndata: b\n\n", []string{"|a\nb"}},
		{"no space after colon", "data:x\n\n", []string{"|x"}},
		{"last event without blank line", "data: tail", []string{"|tail"}},
		{"ids and retry ignored", "id: 7\nretry: 100\ndata: z\n\n", []string{"|z"}},
		{"blank events skipped", "\n\n\ndata: q\n\n", []string{"|q"}},
		{"bare CR endings", "data: a\r\rdata: b\r\r", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := readAll(t, c.in)
			if c.want == nil {
				return // only must not fail or hang
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d events %q, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				name, data, _ := strings.Cut(w, "|")
				if string(got[i].Name) != name || string(got[i].Data) != data {
					t.Errorf("event %d = %q|%q, want %q|%q", i, got[i].Name, got[i].Data, name, data)
				}
			}
		})
	}
}

func TestReaderBoundsEventSize(t *testing.T) {
	big := "data: " + strings.Repeat("x", 5000) + "\n\n"
	r := NewReaderSize(strings.NewReader(big), 1024)
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized event: %v", err)
	}
	lines := strings.Repeat("data: 0123456789\n", 200) + "\n"
	r = NewReaderSize(strings.NewReader(lines), 1024)
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized multi-line event: %v", err)
	}
	long := "data: " + strings.Repeat("y", 40<<10) + "\n\n" // longer than the bufio buffer
	ev, err := NewReader(strings.NewReader(long)).Next()
	if err != nil || len(ev.Data) != 40<<10 {
		t.Fatalf("long line: %d %v", len(ev.Data), err)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var b []byte
	b = AppendEvent(b, "message_stop", []byte(`{"type":"message_stop"}`))
	b = AppendData(b, []byte("[DONE]"))
	got := readAll(t, string(b))
	if len(got) != 2 || string(got[0].Name) != "message_stop" || !got[1].IsDone() || !got[0].NameIs("message_stop") {
		t.Fatalf("round trip: %q", got)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("event: a\ndata: b\n\ndata: [DONE]\n\n"))
	f.Add([]byte(": c\r\ndata:x\r\n\r\n"))
	f.Add([]byte("data: a\ndata: b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReaderSize(bytes.NewReader(in), 4096)
		for i := 0; i < len(in)+2; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > 4096 || len(ev.Name) > len(in) {
				t.Fatalf("event exceeds its input or bound: %d/%d", len(ev.Data), len(ev.Name))
			}
		}
		t.Fatal("reader did not terminate")
	})
}

func BenchmarkReader(b *testing.B) {
	var in []byte
	for i := 0; i < 50; i++ {
		in = AppendData(in, []byte(`{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hello"}}]}`))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		r := NewReader(bytes.NewReader(in))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}

func TestCompleteEventBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n\ndata: b\n\ndata: c"))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if !r.CompleteEventBuffered() {
		t.Fatal("a whole second event is buffered")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.CompleteEventBuffered() {
		t.Fatal("only an unfinished event is buffered: the writer must not wait for it")
	}
}

// A pooled Reader starts each stream clean: nothing buffered, named or
// counted from the stream it read before, even one it left midway.
func TestBorrowedReadersStartClean(t *testing.T) {
	for i := range 50 {
		rd := Borrow(strings.NewReader(fmt.Sprintf("event: e%d\ndata: first %d\n\ndata: unread\n\n", i, i)))
		ev, err := rd.Next()
		if err != nil || string(ev.Name) != fmt.Sprintf("e%d", i) || string(ev.Data) != fmt.Sprintf("first %d", i) {
			t.Fatalf("stream %d: %q|%q %v", i, ev.Name, ev.Data, err)
		}
		rd.Release() // midway: "data: unread" is still buffered

		in := fmt.Sprintf("data: second %d\n\n", i)
		rd = Borrow(strings.NewReader(in))
		ev, err = rd.Next()
		if err != nil || len(ev.Name) != 0 || string(ev.Data) != fmt.Sprintf("second %d", i) {
			t.Fatalf("stream %d after reuse: %q|%q %v", i, ev.Name, ev.Data, err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("stream %d: want EOF after its only event, got %v", i, err)
		}
		if rd.BytesRead() != len(in) {
			t.Fatalf("stream %d: BytesRead %d, want %d", i, rd.BytesRead(), len(in))
		}
		rd.Release()
	}
}

// A Reader goes back to the pool without a huge event's buffer, and without
// the stream it read.
func TestReleaseDropsWhatIsLarge(t *testing.T) {
	big := "data: " + strings.Repeat("x", 2*maxKeptData) + "\n\n"
	rd := Borrow(strings.NewReader(big))
	if ev, err := rd.Next(); err != nil || len(ev.Data) != 2*maxKeptData {
		t.Fatalf("big event: %d %v", len(ev.Data), err)
	}
	rd.Release()
	if rd.data != nil || rd.br.Buffered() != 0 {
		t.Fatalf("released reader keeps %d bytes of data, %d buffered", cap(rd.data), rd.br.Buffered())
	}
}
