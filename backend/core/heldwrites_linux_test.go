//go:build linux

package core

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dataSegsIn is how many data segments conn has received: on loopback, one
// per write system call of the sender (under 64 KB, Nagle off).
func dataSegsIn(t *testing.T, conn net.Conn) uint32 {
	t.Helper()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	if cerr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil || err != nil {
		t.Fatalf("TCP_INFO: %v %v", cerr, err)
	}
	return info.Data_segs_in
}

// wholeAnswerUpstream answers in one write: a stream of n OpenAI chunks
// and [DONE], or a JSON answer of about n KB, with its length declared, so
// the gateway reads it all at once.
func wholeAnswerUpstream(n int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body string
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			var sb strings.Builder
			for i := 0; i < n; i++ {
				fmt.Fprintf(&sb, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]}\n\n", i)
			}
			sb.WriteString("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\ndata: [DONE]\n\n")
			body = sb.String()
		} else {
			w.Header().Set("Content-Type", "application/json")
			body = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` +
				strings.Repeat("long answer ", n*1024/12) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		io.WriteString(w, body)
	}))
}

// An answer goes to the client in one write: a stream that arrived whole
// leaves with its end (net/http writes a chunked stream's end after the
// handler returns, in a write of its own), and a JSON answer larger than
// net/http's 4 KB buffer is not cut in two. Checked on the client's socket:
// the kernel counts the segments it received.
func TestAnswersLeaveInOneWrite(t *testing.T) {
	up := wholeAnswerUpstream(20)
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	for _, tc := range []struct{ name, path, body, want string }{
		{"pass-through stream", "/v1/chat/completions", `{"model":"fake/m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "data: [DONE]"},
		{"translated stream", "/v1/messages", `{"model":"fake/m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "event: message_stop"},
		{"pass-through JSON over 4 KB", "/v1/chat/completions", `{"model":"fake/m","messages":[{"role":"user","content":"hi"}]}`, "long answer long answer"},
		{"translated JSON over 4 KB", "/v1/messages", `{"model":"fake/m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, `"stop_reason":"end_turn"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, br := rawSend(t, "POST", in.Server.Addr(), tc.path,
				"Authorization: Bearer "+ck.Secret+"\r\nanthropic-version: 2023-06-01\r\n", len(tc.body), tc.body)
			resp, body := readAnswer(t, br)
			if resp.StatusCode != 200 || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %q, want 200 with %q", resp.StatusCode, body, tc.want)
			}
			if len(body) < 2<<10 {
				t.Fatalf("answer of %d bytes: the check needs one past net/http's buffers", len(body))
			}
			if n := dataSegsIn(t, conn); n != 1 {
				t.Fatalf("the %d-byte answer came in %d writes, want 1", len(body), n)
			}
		})
	}
}

// The gateway holds a stream's last events for the upstream's end of body
// only briefly: an upstream that stays open after [DONE] does not keep the
// client waiting for it.
func TestTerminalEventIsNotHeldForALateEnd(t *testing.T) {
	const late = 1500 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(late):
		case <-r.Context().Done():
		}
	}))
	defer up.Close()
	in, ck := startWithUpstream(t, "fake", up.URL)
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		body := `{"model":"fake/m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
		start := time.Now()
		_, br := rawSend(t, "POST", in.Server.Addr(), path,
			"Authorization: Bearer "+ck.Secret+"\r\nanthropic-version: 2023-06-01\r\n", len(body), body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(got.String(), "[DONE]") && !strings.Contains(got.String(), "message_stop") {
			n, err := resp.Body.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				t.Fatalf("%s: %v after %q", path, err, got.String())
			}
		}
		if d := time.Since(start); d > late/2 {
			t.Errorf("%s: the terminal event arrived after %v, with the upstream's end %v away", path, d, late)
		}
		resp.Body.Close()
	}
}
