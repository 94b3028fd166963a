package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"
	"google.golang.org/genai"

	"switchboard/backend/config"
)

// A combo may mix providers of one capability; a 429 before anything
// reached the client falls back to the next, the upload sent again from
// its spool.
func TestMediaFallsBackOn429(t *testing.T) {
	combos := []config.ComboConfig{
		{Name: "draw", Targets: []config.TargetEntry{{Model: "openai/dall-e-3"}, {Model: "gemini/gemini-2.5-flash-image"}}},
		{Name: "speak", Targets: []config.TargetEntry{{Model: "openai/tts-1"}, {Model: "gemini/gemini-2.5-flash-preview-tts"}}},
		{Name: "hear", Targets: []config.TargetEntry{{Model: "openai/whisper-1"}, {Model: "groq/whisper-large-v3"}}},
		{Name: "rank", Targets: []config.TargetEntry{{Model: "cohere/rerank-v3.5"}, {Model: "jina/jina-reranker-v2-base-multilingual"}}},
		{Name: "mod", Targets: []config.TargetEntry{{Model: "openai/omni-moderation-latest"}, {Model: "whisper/mod-local"}}},
	}
	r := newMediaRig(t, func(c *config.Config) {
		for i := range c.Providers { // the custom provider also moderates
			if c.Providers[i].ID == "whisper" {
				c.Providers[i].Capabilities = append(c.Providers[i].Capabilities, "moderation")
				c.Providers[i].Models = append(c.Providers[i].Models, "mod-local")
			}
		}
	}, combos...)
	c := r.g.openai()
	ctx := ctxT(t)

	r.oai.failNext(429)
	img, err := c.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "A fox", Model: "draw"})
	if err != nil || img.Data[0].B64JSON != pngB64 || len(r.gem.seen()) != 1 {
		t.Fatalf("images: %v %+v", err, img)
	}

	r.oai.failNext(429)
	sp, err := c.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Input: "Hi", Model: "speak",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV})
	if err != nil {
		t.Fatal(err)
	}
	audio, _ := io.ReadAll(sp.Body)
	sp.Body.Close()
	if !bytes.HasPrefix(audio, []byte("RIFF")) || len(r.gem.seen()) != 2 {
		t.Fatalf("speech: %q", audio)
	}

	big := bytes.Repeat([]byte{7}, 3<<20) // 3 MiB: on disk, read twice
	sum := sha256.Sum256(big)
	r.oai.failNext(429)
	tr, err := c.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{Model: "hear", File: openai.File(bytes.NewReader(big), "a.mp3", "audio/mpeg")})
	if err != nil || tr.Text != transcriptText {
		t.Fatalf("transcription: %v", err)
	}
	first, second := r.oai.seen()[len(r.oai.seen())-1], r.groq.seen()[0]
	for _, up := range []mediaCall{first, second} {
		if up.FileSHA != hex.EncodeToString(sum[:]) || up.FileSize != int64(len(big)) {
			t.Errorf("upload reached %s with %d bytes", up.Path, up.FileSize)
		}
	}
	if first.Fields["model"] != "whisper-1" || second.Fields["model"] != "whisper-large-v3" {
		t.Errorf("models %q then %q", first.Fields["model"], second.Fields["model"])
	}

	r.cohere.failNext(429)
	rr := r.g.do("POST", "/v1/rerank", `{"model":"rank","query":"q","documents":["a","b"]}`, nil)
	if rr.Status != 200 || len(r.jina.seen()) != 1 {
		t.Fatalf("rerank: %d %s", rr.Status, rr.Body)
	}

	r.oai.failNext(429)
	mod, err := c.Moderations.New(ctx, openai.ModerationNewParams{Model: "mod", Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("hi")}})
	if err != nil || len(mod.Results) != 1 || len(r.whisper.seen()) != 1 || gjson.ParseBytes(r.whisper.seen()[0].Body).Get("model").String() != "mod-local" {
		t.Fatalf("moderation: %v", err)
	}

	for _, row := range r.g.logs() {
		if row.Attempts != 2 || row.Status != 200 || !strings.Contains(row.Route, "rate_limited") {
			t.Errorf("row %s: attempts %d status %d route %s", row.Endpoint, row.Attempts, row.Status, row.Route)
		}
	}
}

// When every candidate is rate limited the client gets OpenAI's 429.
func TestMediaAllRateLimited(t *testing.T) {
	r := newMediaRig(t, nil)
	r.oai.failNext(429)
	c := r.g.openai()
	_, err := c.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "A fox", Model: "openai/dall-e-3"})
	var e *openai.Error
	if !errors.As(err, &e) || e.StatusCode != 429 {
		t.Fatalf("err %v", err)
	}
}

func TestBadUploadsRefusedInOpenAIShape(t *testing.T) {
	r := newMediaRig(t, func(c *config.Config) { c.MaxUploadMiB = 1 })
	c := r.g.openai()
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		msg    string
	}{
		{"too large", func() error {
			_, err := c.Audio.Transcriptions.New(ctxT(t), openai.AudioTranscriptionNewParams{Model: "openai/whisper-1",
				File: openai.File(bytes.NewReader(make([]byte, 2<<20)), "a.wav", "audio/wav")})
			return err
		}, 413, "larger than 1 MiB (max_upload_mib)"},
		{"chat model", func() error {
			_, err := c.Audio.Transcriptions.New(ctxT(t), openai.AudioTranscriptionNewParams{Model: "openai/gpt-5",
				File: openai.File(bytes.NewReader(wavFile()), "a.wav", "audio/wav")})
			return err
		}, 400, "does not serve transcription (it serves: chat)"},
		{"bad format", func() error {
			_, err := c.Audio.Transcriptions.New(ctxT(t), openai.AudioTranscriptionNewParams{Model: "openai/whisper-1",
				File: openai.File(bytes.NewReader(wavFile()), "a.wav", "audio/wav"), ResponseFormat: "mp3"})
			return err
		}, 400, "response_format must be one of"},
		{"image without prompt model", func() error {
			_, err := c.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "x", Model: "openai/tts-1"})
			return err
		}, 400, "does not serve image (it serves: speech)"},
		{"media model at chat", func() error {
			_, err := c.Chat.Completions.New(ctxT(t), openai.ChatCompletionNewParams{Model: "openai/dall-e-3",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
			return err
		}, 400, "serves image, not chat: send it to POST /v1/images/generations"},
		{"combo without a rerank target", func() error {
			return c.Post(ctxT(t), "rerank", map[string]any{"model": "openai/gpt-5", "query": "q", "documents": []string{"a"}}, nil)
		}, 400, "does not serve rerank"},
	} {
		err := tc.call()
		var e *openai.Error
		if !errors.As(err, &e) || e.StatusCode != tc.status || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %v, want %d %q", tc.name, err, tc.status, tc.msg)
		}
	}
	// Not multipart, and multipart without a file.
	resp := r.g.do("POST", "/v1/audio/transcriptions", `{"model":"openai/whisper-1"}`, nil)
	if resp.Status != 400 || gjson.GetBytes(resp.Body, "error.message").String() == "" || !strings.Contains(string(resp.Body), "multipart/form-data") {
		t.Errorf("json body: %d %s", resp.Status, resp.Body)
	}
	resp = postUpload(t, r.g, "/v1/audio/transcriptions", nil, "model", "openai/whisper-1")
	if resp.Status != 400 || !strings.Contains(gjson.GetBytes(resp.Body, "error.message").String(), "exactly one audio file") {
		t.Errorf("no file: %d %s", resp.Status, resp.Body)
	}
	if n := len(r.oai.seen()); n != 0 {
		t.Errorf("%d bad requests reached the upstream", n)
	}
}

func TestModelsListCapabilities(t *testing.T) {
	r := newMediaRig(t, nil, config.ComboConfig{Name: "draw", Targets: []config.TargetEntry{{Model: "openai/dall-e-3"}, {Model: "gemini/gemini-2.5-flash-image"}}})
	resp := r.g.do("GET", "/v1/models", "", nil)
	caps := map[string]string{}
	gjson.GetBytes(resp.Body, "data").ForEach(func(_, m gjson.Result) bool {
		caps[m.Get("id").String()] = m.Get("capabilities").Raw
		return true
	})
	for id, want := range map[string]string{"openai/gpt-5": `["chat"]`, "openai/dall-e-3": `["image"]`, "openai/tts-1": `["speech"]`,
		"groq/whisper-large-v3": `["transcription"]`, "openai/omni-moderation-latest": `["moderation"]`, "voyage/rerank-2.5": `["rerank"]`,
		"openai/text-embedding-3-small": `["embedding"]`, "whisper/whisper-local": `["transcription"]`, "draw": `["image"]`} {
		if caps[id] != want {
			t.Errorf("%s: capabilities %s, want %s", id, caps[id], want)
		}
	}
}

// The Gemini client dialect reaches OpenAI image and speech models through
// the hub: responseModalities IMAGE / AUDIO, inlineData answers.
func TestGeminiClientImagesAndSpeechThroughHub(t *testing.T) {
	r := newMediaRig(t, nil)
	gc := r.g.genai(r.g.key)
	ctx := ctxT(t)
	res, err := gc.Models.GenerateContent(ctx, "openai/dall-e-3", genai.Text("A red kite"),
		&genai.GenerateContentConfig{ResponseModalities: []string{"IMAGE"}, ImageConfig: &genai.ImageConfig{AspectRatio: "16:9"}})
	if err != nil {
		t.Fatal(err)
	}
	part := res.Candidates[0].Content.Parts[0]
	if part.InlineData == nil || part.InlineData.MIMEType != "image/png" || !bytes.Equal(part.InlineData.Data, pngBytes) {
		t.Fatalf("image part %+v", part)
	}
	up := gjson.ParseBytes(r.oai.seen()[0].Body)
	if up.Get("prompt").String() != "A red kite" || up.Get("size").String() != "1536x1024" || up.Get("model").String() != "dall-e-3" {
		t.Errorf("images request %s", r.oai.seen()[0].Body)
	}
	res, err = gc.Models.GenerateContent(ctx, "openai/tts-1", genai.Text("Welcome"), &genai.GenerateContentConfig{ResponseModalities: []string{"AUDIO"},
		SpeechConfig: &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: "Leda"}}}})
	if err != nil {
		t.Fatal(err)
	}
	part = res.Candidates[0].Content.Parts[0]
	if part.InlineData == nil || part.InlineData.MIMEType != "audio/L16;codec=pcm;rate=24000" || !bytes.Equal(part.InlineData.Data, pcmSamples) {
		t.Fatalf("audio part %+v", part)
	}
	up = gjson.ParseBytes(r.oai.seen()[1].Body)
	if up.Get("voice").String() != "nova" || up.Get("response_format").String() != "pcm" || up.Get("input").String() != "Welcome" {
		t.Errorf("speech request %s", r.oai.seen()[1].Body)
	}
	// Streamed: one chunk with the whole answer.
	n := 0
	for chunk, err := range gc.Models.GenerateContentStream(ctx, "openai/dall-e-3", genai.Text("A kite"), &genai.GenerateContentConfig{ResponseModalities: []string{"IMAGE"}}) {
		if err != nil {
			t.Fatal(err)
		}
		if d := chunk.Candidates[0].Content.Parts[0].InlineData; d == nil || base64.StdEncoding.EncodeToString(d.Data) != pngB64 {
			t.Fatalf("stream chunk %+v", chunk)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d chunks", n)
	}
	// Their heads are the gateway's answers' own: a JSON answer's length
	// declared, a stream's not to be cached or buffered, both dated.
	const ask = `{"contents":[{"role":"user","parts":[{"text":"A kite"}]}],"generationConfig":{"responseModalities":["IMAGE"]}}`
	j := r.g.do("POST", "/v1beta/models/openai/dall-e-3:generateContent", ask, nil)
	if j.Status != 200 || j.Header.Get("Content-Type") != "application/json" || j.Header.Get("Content-Length") != strconv.Itoa(len(j.Body)) ||
		j.Header.Get("Date") == "" || !strings.HasPrefix(j.Header.Get("X-Switchboard-Route"), "openai/") {
		t.Errorf("JSON answer %d, head %v", j.Status, j.Header)
	}
	st := r.g.do("POST", "/v1beta/models/openai/dall-e-3:streamGenerateContent?alt=sse", ask, nil)
	if st.Status != 200 || st.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" || st.Header.Get("Cache-Control") != "no-cache" ||
		st.Header.Get("X-Accel-Buffering") != "no" || st.Header.Get("Date") == "" {
		t.Errorf("stream answer %d, head %v", st.Status, st.Header)
	}
	// A Gemini client asking a Gemini image model speaks its own API.
	if _, err := gc.Models.GenerateContent(ctx, "gemini/gemini-2.5-flash-image", genai.Text("A kite"),
		&genai.GenerateContentConfig{ResponseModalities: []string{"TEXT", "IMAGE"}}); err != nil {
		t.Fatal(err)
	}
	if g := r.gem.seen(); len(g) != 1 || gjson.ParseBytes(g[0].Body).Get("generationConfig.responseModalities.1").String() != "IMAGE" {
		t.Errorf("gemini passthrough %+v", g)
	}
}

// An upstream that stalls mid-answer ends the client's audio (nothing
// hangs) and the row says the stream broke off.
func TestSpeechUpstreamStallEnds(t *testing.T) {
	up := newMediaUp(t, kindOpenAI)
	up.speechGate = make(chan struct{}) // never opened: the answer stalls after its first chunk
	t.Cleanup(func() { close(up.speechGate) })
	g := startGateway(t, gwOpts{idle: 300 * time.Millisecond}, up.prov("openai"))
	c := g.openai()
	resp, err := c.Audio.Speech.New(ctxT(t), openai.AudioSpeechNewParams{Input: "Hi", Model: "openai/tts-1",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != mp3Chunks[0] {
		t.Errorf("got %q", got)
	}
	if row := rowFor(t, g, "/v1/audio/speech"); row.ErrorKind != "stream_interrupted" {
		t.Errorf("row %+v", row)
	}
}
