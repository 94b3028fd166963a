// Command fakeupstream is a tiny scripted model server for end-to-end tests
// (scripts/test-clis.sh): every chat request, in any of the four wire
// dialects, is answered with the text "pong-from-switchboard", streamed or
// not as asked. It listens on loopback only and writes its address to
// --addr-file once it is ready.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const answer = "pong-from-switchboard"

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	addrFile := flag.String("addr-file", "", "write host:port here when ready")
	flag.Parse()
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("fakeupstream: --listen must be a loopback host:port, got %q", *listen)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("fakeupstream listening on http://%s", ln.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(handle), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

func handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	log.Printf("%s %s model=%q stream=%v bytes=%d", r.Method, r.URL.Path, req.Model, req.Stream, len(body))
	if req.Model == "" {
		req.Model = "m"
	}
	p := strings.TrimPrefix(r.URL.Path, "/v1beta")
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(p, "/models"):
		writeJSON(w, map[string]any{"object": "list", "data": []any{map[string]any{"id": "m", "object": "model", "owned_by": "fake"}},
			"models": []any{map[string]any{"name": "models/m"}}})
	case strings.HasSuffix(p, "/chat/completions"):
		chat(w, req.Model, req.Stream)
	case strings.HasSuffix(p, "/responses"):
		responses(w, req.Model, req.Stream)
	case strings.HasSuffix(p, "/messages/count_tokens"):
		writeJSON(w, map[string]any{"input_tokens": 10})
	case strings.HasSuffix(p, "/messages"):
		messages(w, req.Model, req.Stream)
	case strings.Contains(p, ":streamGenerateContent"):
		gemini(w, true)
	case strings.Contains(p, ":generateContent"):
		gemini(w, false)
	case strings.Contains(p, ":countTokens"):
		writeJSON(w, map[string]any{"totalTokens": 10})
	default:
		http.Error(w, `{"error":{"message":"fakeupstream: no route"}}`, http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sse writes events; name "" writes data-only frames.
func sse(w http.ResponseWriter, frames [][2]string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	for _, f := range frames {
		if f[0] != "" {
			fmt.Fprintf(w, "event: %s\n", f[0])
		}
		fmt.Fprintf(w, "data: %s\n\n", f[1])
		if fl != nil {
			fl.Flush()
		}
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

var usage = map[string]any{"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}

func chat(w http.ResponseWriter, model string, stream bool) {
	id, now := "chatcmpl-fake", time.Now().Unix()
	if !stream {
		writeJSON(w, map[string]any{"id": id, "object": "chat.completion", "created": now, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop"}},
			"usage":   usage})
		return
	}
	chunk := func(delta map[string]any, finish any) string {
		return js(map[string]any{"id": id, "object": "chat.completion.chunk", "created": now, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
	}
	sse(w, [][2]string{
		{"", chunk(map[string]any{"role": "assistant", "content": ""}, nil)},
		{"", chunk(map[string]any{"content": "pong-"}, nil)},
		{"", chunk(map[string]any{"content": "from-switchboard"}, nil)},
		{"", chunk(map[string]any{}, "stop")},
		{"", js(map[string]any{"id": id, "object": "chat.completion.chunk", "created": now, "model": model, "choices": []any{}, "usage": usage})},
		{"", "[DONE]"},
	})
}

func responses(w http.ResponseWriter, model string, stream bool) {
	msg := map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "status": "completed",
		"content": []any{map[string]any{"type": "output_text", "text": answer, "annotations": []any{}}}}
	u := map[string]any{"input_tokens": 10, "output_tokens": 3, "total_tokens": 13}
	done := map[string]any{"id": "resp_fake", "object": "response", "created_at": time.Now().Unix(), "model": model,
		"status": "completed", "output": []any{msg}, "usage": u}
	if !stream {
		writeJSON(w, done)
		return
	}
	start := map[string]any{"id": "resp_fake", "object": "response", "created_at": time.Now().Unix(), "model": model, "status": "in_progress", "output": []any{}}
	empty := map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "status": "in_progress", "content": []any{}}
	part := map[string]any{"type": "output_text", "text": "", "annotations": []any{}}
	ev := func(t string, m map[string]any) [2]string { m["type"] = t; return [2]string{t, js(m)} }
	sse(w, [][2]string{
		ev("response.created", map[string]any{"sequence_number": 0, "response": start}),
		ev("response.in_progress", map[string]any{"sequence_number": 1, "response": start}),
		ev("response.output_item.added", map[string]any{"sequence_number": 2, "output_index": 0, "item": empty}),
		ev("response.content_part.added", map[string]any{"sequence_number": 3, "output_index": 0, "item_id": "msg_fake", "content_index": 0, "part": part}),
		ev("response.output_text.delta", map[string]any{"sequence_number": 4, "output_index": 0, "item_id": "msg_fake", "content_index": 0, "delta": "pong-"}),
		ev("response.output_text.delta", map[string]any{"sequence_number": 5, "output_index": 0, "item_id": "msg_fake", "content_index": 0, "delta": "from-switchboard"}),
		ev("response.output_text.done", map[string]any{"sequence_number": 6, "output_index": 0, "item_id": "msg_fake", "content_index": 0, "text": answer}),
		ev("response.content_part.done", map[string]any{"sequence_number": 7, "output_index": 0, "item_id": "msg_fake", "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": answer, "annotations": []any{}}}),
		ev("response.output_item.done", map[string]any{"sequence_number": 8, "output_index": 0, "item": msg}),
		ev("response.completed", map[string]any{"sequence_number": 9, "response": done}),
	})
}

func messages(w http.ResponseWriter, model string, stream bool) {
	u := map[string]any{"input_tokens": 10, "output_tokens": 3}
	if !stream {
		writeJSON(w, map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
			"content": []any{map[string]any{"type": "text", "text": answer}}, "stop_reason": "end_turn", "stop_sequence": nil, "usage": u})
		return
	}
	ev := func(t string, m map[string]any) [2]string { m["type"] = t; return [2]string{t, js(m)} }
	sse(w, [][2]string{
		ev("message_start", map[string]any{"message": map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
			"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 10, "output_tokens": 1}}}),
		ev("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "text", "text": ""}}),
		ev("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "text_delta", "text": "pong-"}}),
		ev("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "text_delta", "text": "from-switchboard"}}),
		ev("content_block_stop", map[string]any{"index": 0}),
		ev("message_delta", map[string]any{"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 3}}),
		ev("message_stop", map[string]any{}),
	})
}

func gemini(w http.ResponseWriter, stream bool) {
	chunk := func(text string, last bool) map[string]any {
		c := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "index": 0}
		m := map[string]any{"candidates": []any{c}, "modelVersion": "m"}
		if last {
			c["finishReason"] = "STOP"
			m["usageMetadata"] = map[string]any{"promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 13}
		}
		return m
	}
	if !stream {
		writeJSON(w, chunk(answer, true))
		return
	}
	sse(w, [][2]string{{"", js(chunk("pong-", false))}, {"", js(chunk("from-switchboard", true))}})
}
