// Command fakeupstream is a fast scripted AI upstream for scripts/bench.sh.
// It answers the OpenAI Chat (POST /v1/chat/completions), OpenAI Responses
// (POST /v1/responses), Anthropic Messages (POST /v1/messages) and Gemini
// (POST /v1beta/models/{m}:generateContent and
// :streamGenerateContent?alt=sse) endpoints, as JSON or SSE, with ~1.5 KB
// answers that carry usage. Authentication is not checked.
//
// The behaviour of one request is chosen by its model name, so the gateway
// (which rewrites only the model) and the load generator hitting this server
// directly get exactly the same answer:
//
//	d<ms>   latency before the first byte (default 0)
//	n<N>    number of content chunks in a stream (default 20)
//	p<ms>   pacing between content chunks (default 0: written back to back)
//	s<B>    answer text size in bytes (default 1300: ~1.5 KB JSON answers)
//
// e.g. "d50-n20-p0", "d0-n20-p10", "d0-n30-p1000". Other names use the
// defaults. Every chunk is written and flushed on its own, as real upstreams
// do. Answers are pre-rendered per model name.
//
// Bench control endpoints: GET /_bench/stats (requests served, open
// streams) and POST /_bench/close-idle (close idle keep-alive connections,
// so a gateway's upstream pool drains without waiting for its idle timeout).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type spec struct {
	delay, pace time.Duration
	chunks      int
	size        int
}

func parseSpec(model string) spec {
	s := spec{chunks: 20, size: 1300}
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	for _, part := range strings.Split(model, "-") {
		if len(part) < 2 {
			continue
		}
		n, err := strconv.Atoi(part[1:])
		if err != nil || n < 0 {
			continue
		}
		switch part[0] {
		case 'd':
			s.delay = time.Duration(n) * time.Millisecond
		case 'p':
			s.pace = time.Duration(n) * time.Millisecond
		case 'n':
			if n > 0 && n <= 10000 {
				s.chunks = n
			}
		case 's':
			if n > 0 && n <= 1<<20 {
				s.size = n
			}
		}
	}
	return s
}

// answerText is deterministic ASCII prose (no JSON escaping needed).
func answerText(size int) string {
	const base = "Switchboard bench answer: the quick brown fox jumps over the lazy dog while the gateway forwards every byte. "
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(base)
	}
	return b.String()[:size]
}

// split cuts s into n nearly equal parts.
func split(s string, n int) []string {
	if n > len(s) {
		n = len(s)
	}
	out := make([]string, n)
	for i := range n {
		out[i] = s[i*len(s)/n : (i+1)*len(s)/n]
	}
	return out
}

// rendered is one pre-rendered answer.
type rendered struct {
	json   []byte
	chunks [][]byte // chunks[0] carries the stream's preamble
	tail   []byte   // finish, usage and terminal frames
}

const (
	usageIn  = 120
	usageOut = 300
)

func renderOpenAI(model string, sp spec) *rendered {
	text := answerText(sp.size)
	r := &rendered{}
	r.json = fmt.Appendf(nil, `{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
		model, text, usageIn, usageOut, usageIn+usageOut)
	for i, part := range split(text, sp.chunks) {
		role := ""
		if i == 0 {
			role = `"role":"assistant",`
		}
		r.chunks = append(r.chunks, fmt.Appendf(nil, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{%s\"content\":%q}}]}\n\n", model, role, part))
	}
	r.tail = fmt.Appendf(nil, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"+
		"data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n"+
		"data: [DONE]\n\n", model, model, usageIn, usageOut, usageIn+usageOut)
	return r
}

func renderAnthropic(model string, sp spec) *rendered {
	text := answerText(sp.size)
	r := &rendered{}
	r.json = fmt.Appendf(nil, `{"id":"msg_bench","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":%q}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d}}`,
		model, text, usageIn, usageOut)
	for i, part := range split(text, sp.chunks) {
		var b []byte
		if i == 0 {
			b = fmt.Appendf(b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":%q,\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%d,\"output_tokens\":1}}}\n\n"+
				"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", model, usageIn)
		}
		b = fmt.Appendf(b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":%q}}\n\n", part)
		r.chunks = append(r.chunks, b)
	}
	r.tail = fmt.Appendf(nil, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"+
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":%d}}\n\n"+
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", usageOut)
	return r
}

func renderGemini(model string, sp spec) *rendered {
	text := answerText(sp.size)
	r := &rendered{}
	r.json = fmt.Appendf(nil, `{"candidates":[{"content":{"parts":[{"text":%q}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d},"modelVersion":%q,"responseId":"bench"}`,
		text, usageIn, usageOut, usageIn+usageOut, model)
	parts := split(text, sp.chunks)
	for i, part := range parts {
		if i == len(parts)-1 {
			// Gemini's last chunk carries the finish reason and full usage.
			r.tail = fmt.Appendf(nil, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":%q}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":%d,\"candidatesTokenCount\":%d,\"totalTokenCount\":%d},\"modelVersion\":%q,\"responseId\":\"bench\"}\n\n",
				part, usageIn, usageOut, usageIn+usageOut, model)
			break
		}
		r.chunks = append(r.chunks, fmt.Appendf(nil, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":%q}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":%d,\"totalTokenCount\":%d},\"modelVersion\":%q,\"responseId\":\"bench\"}\n\n",
			part, usageIn, usageIn, model))
	}
	if len(r.chunks) == 0 { // one chunk: it is also the last
		r.chunks, r.tail = [][]byte{r.tail}, nil
	}
	return r
}

func renderResponses(model string, sp spec) *rendered {
	text := answerText(sp.size)
	r := &rendered{}
	item := fmt.Sprintf(`{"id":"msg_bench","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":%q,"annotations":[]}]}`, text)
	usage := fmt.Sprintf(`{"input_tokens":%d,"output_tokens":%d,"total_tokens":%d}`, usageIn, usageOut, usageIn+usageOut)
	r.json = fmt.Appendf(nil, `{"id":"resp_bench","object":"response","created_at":1700000000,"status":"completed","model":%q,"output":[%s],"usage":%s}`,
		model, item, usage)
	ev := func(b []byte, typ, format string, a ...any) []byte {
		return fmt.Appendf(b, "event: %s\ndata: {\"type\":%q,"+format+"}\n\n", append([]any{typ, typ}, a...)...)
	}
	parts := split(text, sp.chunks)
	for i, part := range parts {
		var b []byte
		if i == 0 {
			b = ev(b, "response.created", `"sequence_number":0,"response":{"id":"resp_bench","object":"response","created_at":1700000000,"status":"in_progress","model":%q,"output":[]}`, model)
			b = ev(b, "response.output_item.added", `"sequence_number":1,"output_index":0,"item":{"id":"msg_bench","type":"message","status":"in_progress","role":"assistant","content":[]}`)
			b = ev(b, "response.content_part.added", `"sequence_number":2,"item_id":"msg_bench","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}`)
		}
		b = ev(b, "response.output_text.delta", `"sequence_number":%d,"item_id":"msg_bench","output_index":0,"content_index":0,"delta":%q`, 3+i, part)
		r.chunks = append(r.chunks, b)
	}
	seq := 3 + len(parts)
	r.tail = ev(nil, "response.output_text.done", `"sequence_number":%d,"item_id":"msg_bench","output_index":0,"content_index":0,"text":%q`, seq, text)
	r.tail = ev(r.tail, "response.content_part.done", `"sequence_number":%d,"item_id":"msg_bench","output_index":0,"content_index":0,"part":{"type":"output_text","text":%q,"annotations":[]}`, seq+1, text)
	r.tail = ev(r.tail, "response.output_item.done", `"sequence_number":%d,"output_index":0,"item":%s`, seq+2, item)
	r.tail = ev(r.tail, "response.completed", `"sequence_number":%d,"response":{"id":"resp_bench","object":"response","created_at":1700000000,"status":"completed","model":%q,"output":[%s],"usage":%s}`,
		seq+3, model, item, usage)
	return r
}

type server struct {
	mu       sync.RWMutex
	cache    map[string]*rendered
	requests atomic.Int64
	open     atomic.Int64
	srv      *http.Server
}

func (s *server) get(dialect, model string, sp spec) *rendered {
	key := dialect + "\x00" + model
	s.mu.RLock()
	r := s.cache[key]
	s.mu.RUnlock()
	if r != nil {
		return r
	}
	switch dialect {
	case "openai":
		r = renderOpenAI(model, sp)
	case "anthropic":
		r = renderAnthropic(model, sp)
	case "responses":
		r = renderResponses(model, sp)
	default:
		r = renderGemini(model, sp)
	}
	s.mu.Lock()
	if len(s.cache) < 256 {
		s.cache[key] = r
	}
	s.mu.Unlock()
	return r
}

var (
	modelKey  = []byte(`"model"`)
	streamKey = []byte(`"stream"`)
)

// jsonString returns the string value following key in a JSON object body
// (a quick scan, enough for the requests the bench sends).
func jsonString(body, key []byte) string {
	i := bytes.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n:")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	j := bytes.IndexByte(rest[1:], '"')
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

func jsonTrue(body, key []byte) bool {
	i := bytes.Index(body, key)
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n:")
	return bytes.HasPrefix(rest, []byte("true"))
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_bench/stats":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"requests":%d,"open_streams":%d}`, s.requests.Load(), s.open.Load())
		return
	case "/_bench/close-idle":
		// Closes idle keep-alive connections now (and keeps closing them
		// after each answer until keep-alives are enabled again).
		s.srv.SetKeepAlivesEnabled(false)
		go func() { time.Sleep(time.Second); s.srv.SetKeepAlivesEnabled(true) }()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, `{"error":{"message":"fakeupstream: POST only"}}`, http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var dialect, model string
	var stream bool
	switch p := r.URL.Path; {
	case p == "/v1/chat/completions":
		dialect, model, stream = "openai", jsonString(body, modelKey), jsonTrue(body, streamKey)
	case p == "/v1/responses":
		dialect, model, stream = "responses", jsonString(body, modelKey), jsonTrue(body, streamKey)
	case p == "/v1/messages":
		dialect, model, stream = "anthropic", jsonString(body, modelKey), jsonTrue(body, streamKey)
	case strings.HasPrefix(p, "/v1beta/models/"):
		rest := strings.TrimPrefix(p, "/v1beta/models/")
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 {
			http.Error(w, `{"error":{"code":404,"message":"fakeupstream: bad gemini path"}}`, http.StatusNotFound)
			return
		}
		dialect, model = "gemini", rest[:i]
		switch rest[i+1:] {
		case "generateContent":
		case "streamGenerateContent":
			stream = true
		default:
			http.Error(w, `{"error":{"code":404,"message":"fakeupstream: unsupported action"}}`, http.StatusNotFound)
			return
		}
	default:
		http.Error(w, `{"error":{"message":"fakeupstream: no such endpoint"}}`, http.StatusNotFound)
		return
	}
	s.requests.Add(1)
	sp := parseSpec(model)
	ans := s.get(dialect, model, sp)
	ctx := r.Context()
	if !sleepCtx(ctx, sp.delay) {
		return
	}
	h := w.Header()
	if !stream {
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(ans.json)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(ans.json)
		return
	}
	s.open.Add(1)
	defer s.open.Add(-1)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	for i, c := range ans.chunks {
		if i > 0 && !sleepCtx(ctx, sp.pace) {
			return
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
	if len(ans.tail) > 0 {
		if sp.pace > 0 && dialect == "gemini" && !sleepCtx(ctx, sp.pace) {
			return // Gemini's tail is the last content chunk: paced too
		}
		_, _ = w.Write(ans.tail)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	idle := flag.Duration("idle-timeout", 120*time.Second, "keep-alive idle timeout")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("fakeupstream: listen on loopback only (got %q)", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("fakeupstream: %v", err)
	}
	s := &server{cache: map[string]*rendered{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: *idle,
		ErrorLog: log.New(io.Discard, "", 0)}
	fmt.Printf("{\"listen\":%q,\"pid\":%d}\n", ln.Addr().String(), os.Getpid())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(c)
		s.srv.Close()
	}()
	if err := s.srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("fakeupstream: %v", err)
	}
}
