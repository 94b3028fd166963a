package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedaction(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := New(&buf, format, "debug")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("request", "api_key", "plain-upstream-key-value", "authorization", "Bearer abcdefghijklmnop",
			"url", "/v1beta/models/x:generateContent?key=AIzaSyAAAAAAAAAAAAAAAAAAAAAAAAA&alt=sse",
			"err", "upstream said: invalid key sk-proj-abcdefghijklmnopqrstuvwxyz", "model", "gpt-5")
		out := buf.String()
		for _, leak := range []string{"plain-upstream-key-value", "abcdefghijklmnop", "AIzaSy", "sk-proj-abc"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s: leaked %q in %s", format, leak, out)
			}
		}
		if !strings.Contains(out, "gpt-5") || !strings.Contains(out, "alt=sse") {
			t.Errorf("%s: over-redacted: %s", format, out)
		}
	}
	if _, err := New(&bytes.Buffer{}, "xml", "info"); err == nil {
		t.Fatal("bad format accepted")
	}
}
