package integration

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/config"
)

// Media upstreams in the vendors' documented wire shapes: OpenAI's media
// endpoints (OpenAI, Groq, whisper.cpp/LocalAI as custom providers),
// Gemini's generateContent with image or audio output, and the Cohere v2,
// Jina and Voyage rerank APIs.
const (
	kindOpenAI = "openai"
	kindGemini = "gemini"
	kindCohere = "cohere"
	kindJina   = "jina"
	kindVoyage = "voyage"
)

// Answers the fake upstreams give.
var (
	pngBytes   = []byte("\x89PNG\r\n\x1a\nfake-image-data")
	pngB64     = base64.StdEncoding.EncodeToString(pngBytes)
	pcmSamples = []byte{0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0}
	mp3Chunks  = []string{"ID3\x04chunk-one|", "chunk-two|", "chunk-three"}
)

const transcriptText = "The quick brown fox."

// mediaCall is one request a media upstream received.
type mediaCall struct {
	Path        string
	ContentType string
	Auth        string
	Body        []byte            // JSON bodies
	Fields      map[string]string // multipart text fields
	FileName    string
	FileSize    int64
	FileSHA     string
}

// mediaUp is a scripted media vendor on 127.0.0.1.
type mediaUp struct {
	t    *testing.T
	kind string
	srv  *httptest.Server

	mu    sync.Mutex
	calls []mediaCall
	fail  []int // statuses to answer the next requests with, in order
	// speechGate, when set, holds the speech answer after its first chunk
	// until the test closes it (proves the answer streams).
	speechGate chan struct{}
}

func newMediaUp(t *testing.T, kind string) *mediaUp {
	t.Helper()
	u := &mediaUp{t: t, kind: kind}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *mediaUp) key() string { return "media-key-" + u.kind + "-0123456789" }

// failNext makes the next requests answer these statuses (429: rate limited).
func (u *mediaUp) failNext(statuses ...int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fail = append(u.fail, statuses...)
}

func (u *mediaUp) seen() []mediaCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]mediaCall(nil), u.calls...)
}

// prov declares the upstream as catalog provider id (base URL moved here).
func (u *mediaUp) prov(id string) prov {
	return prov{cfg: &config.ProviderConfig{ID: id, BaseURL: u.srv.URL, AllowLocal: true,
		Accounts: []config.AccountConfig{{Name: "main", APIKey: config.Secret(u.key())}}}}
}

// custom declares it as an OpenAI-compatible custom provider serving caps.
func (u *mediaUp) custom(id string, caps []string, models ...string) prov {
	return prov{cfg: &config.ProviderConfig{ID: id, Type: "openai-compatible", BaseURL: u.srv.URL, AllowLocal: true,
		Capabilities: caps, Models: models, Accounts: []config.AccountConfig{{Name: "main", APIKey: config.Secret(u.key())}}}}
}

func (u *mediaUp) serve(w http.ResponseWriter, r *http.Request) {
	c := mediaCall{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization") + r.Header.Get("X-Goog-Api-Key")}
	if !strings.Contains(c.Auth, u.key()) {
		http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, http.StatusUnauthorized)
		return
	}
	if strings.HasPrefix(c.ContentType, "multipart/") {
		if err := readMultipart(r, &c); err != nil {
			http.Error(w, `{"error":{"message":"bad upload"}}`, http.StatusBadRequest)
			return
		}
	} else {
		c.Body, _ = io.ReadAll(r.Body)
	}
	u.mu.Lock()
	u.calls = append(u.calls, c)
	status := 0
	if len(u.fail) > 0 {
		status, u.fail = u.fail[0], u.fail[1:]
	}
	u.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"rate_limit_error","code":"rate_limit_exceeded"}}`, status)
		return
	}
	u.answer(w, r, &c)
}

// readMultipart reads an upload as it streams: fields kept, the file
// hashed and counted, never held.
func readMultipart(r *http.Request, c *mediaCall) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return err
	}
	c.Fields = map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if p.FileName() == "" {
			b, _ := io.ReadAll(p)
			c.Fields[p.FormName()] = string(b)
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, p)
		if err != nil {
			return err
		}
		c.FileName, c.FileSize, c.FileSHA = p.FileName(), c.FileSize+n, hex.EncodeToString(h.Sum(nil))
	}
}

func (u *mediaUp) answer(w http.ResponseWriter, r *http.Request, c *mediaCall) {
	body := gjson.ParseBytes(c.Body)
	switch {
	case u.kind == kindGemini:
		u.geminiAnswer(w, body)
	case u.kind == kindCohere:
		writeMediaJSON(w, `{"id":"co-1","results":[{"index":1,"relevance_score":0.93},{"index":0,"relevance_score":0.2}],"meta":{"api_version":{"version":"2"},"billed_units":{"search_units":1}}}`)
	case u.kind == kindJina:
		writeMediaJSON(w, `{"model":"jina","usage":{"total_tokens":40,"prompt_tokens":40},"results":[{"index":1,"document":{"text":"x"},"relevance_score":0.9},{"index":0,"document":{"text":"y"},"relevance_score":0.1}]}`)
	case u.kind == kindVoyage:
		writeMediaJSON(w, `{"object":"list","data":[{"relevance_score":0.8,"index":1},{"relevance_score":0.3,"index":0}],"model":"rerank-2.5","usage":{"total_tokens":30}}`)
	case strings.HasSuffix(c.Path, "/images/generations") || strings.HasSuffix(c.Path, "/images/edits"):
		if body.Get("response_format").String() == "url" || c.Fields["response_format"] == "url" {
			writeMediaJSON(w, `{"created":1767225600,"data":[{"url":"https://images.example/1.png"}]}`)
			return
		}
		writeMediaJSON(w, `{"created":1767225600,"data":[{"b64_json":"`+pngB64+`"}],"usage":{"input_tokens":10,"output_tokens":4160,"total_tokens":4170,"input_tokens_details":{"image_tokens":0,"text_tokens":10}}}`)
	case strings.HasSuffix(c.Path, "/audio/speech"):
		u.speechAnswer(w, body)
	case strings.HasSuffix(c.Path, "/audio/transcriptions") || strings.HasSuffix(c.Path, "/audio/translations"):
		transcriptAnswer(w, c.Fields)
	case strings.HasSuffix(c.Path, "/moderations"):
		n := 1
		if in := body.Get("input"); in.IsArray() {
			n = len(in.Array())
		}
		res := strings.TrimSuffix(strings.Repeat(`{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.001}},`, n), ",")
		writeMediaJSON(w, `{"id":"modr-1","model":"`+body.Get("model").String()+`","results":[`+res+`]}`)
	default:
		http.NotFound(w, r)
	}
}

func (u *mediaUp) geminiAnswer(w http.ResponseWriter, body gjson.Result) {
	mods := body.Get("generationConfig.responseModalities").String()
	switch {
	case strings.Contains(mods, "IMAGE"):
		writeMediaJSON(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"Here it is."},{"inlineData":{"mimeType":"image/png","data":"`+pngB64+`"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1290,"totalTokenCount":1299},"modelVersion":"gemini-2.5-flash-image"}`)
	case strings.Contains(mods, "AUDIO"):
		writeMediaJSON(w, `{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"audio/L16;codec=pcm;rate=24000","data":"`+base64.StdEncoding.EncodeToString(pcmSamples)+`"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":6,"candidatesTokenCount":30,"totalTokenCount":36}}`)
	default:
		writeMediaJSON(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"text only"}]},"finishReason":"STOP","index":0}]}`)
	}
}

func (u *mediaUp) speechAnswer(w http.ResponseWriter, body gjson.Result) {
	if body.Get("response_format").String() == "pcm" {
		w.Header().Set("Content-Type", "audio/pcm")
		_, _ = w.Write(pcmSamples)
		return
	}
	w.Header().Set("Content-Type", "audio/mpeg")
	f := w.(http.Flusher)
	for i, ch := range mp3Chunks {
		_, _ = io.WriteString(w, ch)
		f.Flush()
		if i == 0 && u.speechGate != nil {
			<-u.speechGate
		}
	}
}

func transcriptAnswer(w http.ResponseWriter, fields map[string]string) {
	if fields["stream"] == "true" {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, d := range []string{"The quick ", "brown fox."} {
			fmt.Fprintf(w, "data: {\"type\":\"transcript.text.delta\",\"delta\":%q}\n\n", d)
		}
		fmt.Fprintf(w, "data: {\"type\":\"transcript.text.done\",\"text\":%q}\n\n", transcriptText)
		return
	}
	switch fields["response_format"] {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, transcriptText+"\n")
	case "srt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "1\n00:00:00,000 --> 00:00:03,250\n"+transcriptText+"\n\n")
	case "vtt":
		w.Header().Set("Content-Type", "text/vtt; charset=utf-8")
		io.WriteString(w, "WEBVTT\n\n00:00:00.000 --> 00:00:03.250\n"+transcriptText+"\n\n")
	case "verbose_json":
		writeMediaJSON(w, `{"task":"transcribe","language":"english","duration":3.25,"text":"`+transcriptText+`","segments":[{"id":0,"seek":0,"start":0,"end":3.25,"text":"`+transcriptText+`","tokens":[1],"temperature":0,"avg_logprob":-0.1,"compression_ratio":1,"no_speech_prob":0}]}`)
	default:
		writeMediaJSON(w, `{"text":"`+transcriptText+`","usage":{"type":"duration","seconds":3}}`)
	}
}

func writeMediaJSON(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/json")
	if !json.Valid([]byte(s)) {
		panic("invalid fixture: " + s)
	}
	io.WriteString(w, s)
}
