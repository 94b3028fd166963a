package provider

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"switchboard/backend/dialect"
)

// recordingTap keeps what a Tap is shown.
type recordingTap struct {
	sent, answered, refused string
	status                  int
}

func (r *recordingTap) Sending(req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.sent = string(b)
	req.Body = io.NopCloser(strings.NewReader(r.sent))
}

func (r *recordingTap) Answered(resp *http.Response) {
	b, _ := io.ReadAll(resp.Body)
	r.answered = string(b)
	resp.Body = io.NopCloser(strings.NewReader(r.answered))
}

func (r *recordingTap) Refused(status int, _ string, body []byte) {
	r.status, r.refused = status, string(body)
}

// A call under WithTap shows the tap its body and answer; a refusal comes
// with the key redacted; a call without one is left alone, and once
// released, the lookup is off again.
func TestTapSeesOnlyTheCallsItWasSetOn(t *testing.T) {
	var up *upstream
	up = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(up.last(t).body, "refuse") { // the recorder read the body
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"bad key `+testKey+`"}}`)
			return
		}
		okJSON(w, r)
	})
	c := newTestClient(t, ClientOptions{})
	call := func(ctx context.Context, body string) (*http.Response, error) {
		return c.Send(ctx, &Call{Entry: entryFor(dialect.OpenAIChat, up.URL, AuthBearer), APIKey: testKey, Op: OpGenerate,
			Body: []byte(body), AllowLocal: true})
	}
	tap := &recordingTap{}
	ctx, release := WithTap(context.Background(), tap)
	resp, err := call(ctx, `{"model":"m"}`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if tap.sent != `{"model":"m"}` || tap.answered != `{"ok":true}` || string(got) != tap.answered {
		t.Errorf("tap saw %q → %q; caller read %q", tap.sent, tap.answered, got)
	}
	if _, err := call(ctx, `{"model":"refuse"}`); err == nil {
		t.Fatal("a 400 was not an error")
	}
	if tap.status != 400 || strings.Contains(tap.refused, testKey) || !strings.Contains(tap.refused, "[REDACTED]") {
		t.Errorf("refusal %d %q", tap.status, tap.refused)
	}

	other := &recordingTap{}
	_, _ = WithTap(context.Background(), other) // another send's tap, still running
	if _, err := call(context.Background(), `{"model":"plain"}`); err != nil {
		t.Fatal(err)
	}
	if other.sent != "" || tap.sent != `{"model":"refuse"}` {
		t.Errorf("a call without a tap was shown to one: %q %q", other.sent, tap.sent)
	}
	release()
	release() // twice is once
	if n := tapsOn.Load(); n != 1 {
		t.Errorf("taps on = %d, want 1 (the unreleased one)", n)
	}
	tapsOn.Add(-1)
	if n := testing.AllocsPerRun(100, func() { _ = tapOf(context.Background()) }); n != 0 {
		t.Errorf("tapOf allocates %v times", n)
	}
}

// The lookup ordinary calls pay: one atomic load.
func BenchmarkTapOfNone(b *testing.B) {
	ctx := context.WithValue(context.Background(), struct{ k int }{1}, 1)
	for b.Loop() {
		if tapOf(ctx) != nil {
			b.Fatal("a tap")
		}
	}
}
