package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"

	"switchboard/backend/config"
	"switchboard/backend/media"
	"switchboard/backend/mgmt"
	"switchboard/backend/usage"
)

// mediaRig is a gateway in front of one media upstream per family, each
// declared as its catalog provider (base URL moved to the fake): OpenAI,
// Gemini, Groq, Cohere, Jina, Voyage, plus a whisper.cpp-style custom
// provider that declares its capability.
type mediaRig struct {
	g                                             *gateway
	oai, gem, groq, cohere, jina, voyage, whisper *mediaUp
}

func newMediaRig(t *testing.T, edit func(*config.Config), combos ...config.ComboConfig) *mediaRig {
	t.Helper()
	r := &mediaRig{oai: newMediaUp(t, kindOpenAI), gem: newMediaUp(t, kindGemini), groq: newMediaUp(t, kindOpenAI),
		cohere: newMediaUp(t, kindCohere), jina: newMediaUp(t, kindJina), voyage: newMediaUp(t, kindVoyage), whisper: newMediaUp(t, kindOpenAI)}
	r.g = startGateway(t, gwOpts{combos: combos, edit: edit}, r.oai.prov("openai"), r.gem.prov("gemini"), r.groq.prov("groq"),
		r.cohere.prov("cohere"), r.jina.prov("jina"), r.voyage.prov("voyage"),
		r.whisper.custom("whisper", []string{"transcription"}, "whisper-local"))
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// rowFor is the log row of the (only) request to endpoint.
func rowFor(t *testing.T, g *gateway, endpoint string) usage.Row {
	t.Helper()
	var found []usage.Row
	for _, r := range g.logs() {
		if r.Endpoint == endpoint {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d rows for %s: %+v", len(found), endpoint, found)
	}
	return found[0]
}

func checkUnits(t *testing.T, row usage.Row, units float64, kind string, cost float64) {
	t.Helper()
	if row.Status != 200 || row.Units != units || row.UnitKind != kind || !near(row.UnitsCostUSD, cost) {
		t.Errorf("row: status %d units %v %s cost %v, want %v %s %v (%+v)", row.Status, row.Units, row.UnitKind, row.UnitsCostUSD, units, kind, cost, row)
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-12 && d > -1e-12 }

func TestImagesGenerateEveryProvider(t *testing.T) {
	r := newMediaRig(t, nil)
	c := r.g.openai()
	for _, tc := range []struct {
		model string
		up    *mediaUp
		cost  float64
	}{{"openai/dall-e-3", r.oai, 0.04}, {"gemini/gemini-2.5-flash-image", r.gem, 0.039}} {
		t.Run(tc.model, func(t *testing.T) {
			res, err := c.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "A lighthouse at dusk", Model: openai.ImageModel(tc.model),
				Size: "1792x1024", ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Data) != 1 || res.Data[0].B64JSON != pngB64 {
				t.Fatalf("answer %+v", res.Data)
			}
			call := tc.up.seen()[0]
			body := gjson.ParseBytes(call.Body)
			if tc.up == r.gem {
				if call.Path != "/v1beta/models/gemini-2.5-flash-image:generateContent" || body.Get("generationConfig.responseModalities.0").String() != "IMAGE" ||
					body.Get("generationConfig.imageConfig.aspectRatio").String() != "16:9" || body.Get("contents.0.parts.0.text").String() != "A lighthouse at dusk" {
					t.Errorf("gemini got %s %s", call.Path, call.Body)
				}
			} else if call.Path != "/images/generations" || body.Get("model").String() != "dall-e-3" || body.Get("size").String() != "1792x1024" {
				t.Errorf("openai got %s %s", call.Path, call.Body)
			}
		})
	}
	rows := r.g.logs()
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows {
		want := map[string]float64{"openai": 0.04, "gemini": 0.039}[row.Provider]
		checkUnits(t, row, 1, "images", want)
	}
}

func TestImageEditsStreamTheUpload(t *testing.T) {
	r := newMediaRig(t, nil)
	img := bytes.Repeat([]byte("pixel"), 400_000) // 2 MB: spooled to disk
	sum := sha256.Sum256(img)
	for _, model := range []string{"openai/gpt-image-1", "gemini/gemini-2.5-flash-image"} {
		c := r.g.openai()
		res, err := c.Images.Edit(ctxT(t), openai.ImageEditParams{Prompt: "Add a hat", Model: openai.ImageModel(model),
			Image: openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(img), "cat.png", "image/png")}})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if len(res.Data) != 1 || res.Data[0].B64JSON != pngB64 {
			t.Fatalf("%s: answer %+v", model, res.Data)
		}
	}
	up := r.oai.seen()[0]
	if up.Path != "/images/edits" || up.Fields["model"] != "gpt-image-1" || up.Fields["prompt"] != "Add a hat" ||
		up.FileSHA != hex.EncodeToString(sum[:]) || up.FileName != "cat.png" {
		t.Errorf("openai upload: %+v", up)
	}
	gem := gjson.ParseBytes(r.gem.seen()[0].Body)
	if gem.Get("contents.0.parts.0.inlineData.data").String() != base64.StdEncoding.EncodeToString(img) ||
		gem.Get("contents.0.parts.1.text").String() != "Add a hat" {
		t.Errorf("gemini edit body: %.300s", r.gem.seen()[0].Body)
	}
}

func TestSpeechStreamsAudio(t *testing.T) {
	r := newMediaRig(t, nil)
	r.oai.speechGate = make(chan struct{})
	c := r.g.openai()
	resp, err := c.Audio.Speech.New(ctxT(t), openai.AudioSpeechNewParams{Input: "Hello there, world", Model: "openai/tts-1",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len(mp3Chunks[0]))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != mp3Chunks[0] {
		t.Fatalf("first chunk %q %v", first, err)
	}
	close(r.oai.speechGate) // the upstream finishes only now: the first chunk was streamed
	rest, _ := io.ReadAll(resp.Body)
	if string(first)+string(rest) != strings.Join(mp3Chunks, "") || resp.Header.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("audio %q (%s)", rest, resp.Header.Get("Content-Type"))
	}
	checkUnits(t, rowFor(t, r.g, "/v1/audio/speech"), 18, "characters", 18*0.000015)
}

func TestSpeechFromGeminiIsWAVOrPCM(t *testing.T) {
	r := newMediaRig(t, nil)
	for _, tc := range []struct {
		format openai.AudioSpeechNewParamsResponseFormat
		ct     string
		size   int
	}{{openai.AudioSpeechNewParamsResponseFormatWAV, "audio/wav", 44 + len(pcmSamples)}, {openai.AudioSpeechNewParamsResponseFormatPCM, "audio/pcm", len(pcmSamples)}} {
		c := r.g.openai()
		resp, err := c.Audio.Speech.New(ctxT(t), openai.AudioSpeechNewParams{Input: "Hi", Model: "gemini/gemini-2.5-flash-preview-tts",
			Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("nova")}, ResponseFormat: tc.format})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Type") != tc.ct || len(b) != tc.size || !bytes.HasSuffix(b, pcmSamples) {
			t.Errorf("%s: %s %d bytes", tc.format, resp.Header.Get("Content-Type"), len(b))
		}
		if tc.ct == "audio/wav" && string(b[:4]) != "RIFF" {
			t.Errorf("no WAV header: %q", b[:12])
		}
	}
	body := gjson.ParseBytes(r.gem.seen()[0].Body)
	if body.Get("generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName").String() != "Leda" ||
		body.Get("generationConfig.responseModalities.0").String() != "AUDIO" {
		t.Errorf("gemini tts body %s", r.gem.seen()[0].Body)
	}
}

// wavFile is 2 s of silence as 16-bit mono 24 kHz WAV.
func wavFile() []byte { return media.WAV(make([]byte, 96000), 24000) }

func TestTranscriptionEveryProviderAndFormat(t *testing.T) {
	r := newMediaRig(t, nil)
	c := r.g.openai()
	wav := wavFile()
	sum := sha256.Sum256(wav)
	for _, tc := range []struct {
		model string
		up    *mediaUp
		sent  string
	}{{"openai/whisper-1", r.oai, "whisper-1"}, {"groq/whisper-large-v3", r.groq, "whisper-large-v3"}, {"whisper/whisper-local", r.whisper, "whisper-local"}} {
		res, err := c.Audio.Transcriptions.New(ctxT(t), openai.AudioTranscriptionNewParams{Model: openai.AudioModel(tc.model),
			File: openai.File(bytes.NewReader(wav), "speech.wav", "audio/wav"), Language: openai.String("en")})
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		if res.Text != transcriptText {
			t.Errorf("%s: text %q", tc.model, res.Text)
		}
		up := tc.up.seen()[0]
		if up.Path != "/audio/transcriptions" || up.Fields["model"] != tc.sent || up.Fields["language"] != "en" || up.FileSHA != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: upstream got %+v", tc.model, up)
		}
	}
	verbose, err := c.Audio.Transcriptions.New(ctxT(t), openai.AudioTranscriptionNewParams{Model: "groq/whisper-large-v3",
		File: openai.File(bytes.NewReader(wav), "speech.wav", "audio/wav"), ResponseFormat: openai.AudioResponseFormatVerboseJSON})
	if err != nil || verbose.Duration != 3.25 || verbose.Text != transcriptText {
		t.Fatalf("verbose_json: %+v %v", verbose, err)
	}
	// text, srt and vtt come back as the upstream wrote them.
	for format, want := range map[string]string{"text": transcriptText + "\n", "srt": "00:00:03,250", "vtt": "WEBVTT"} {
		resp := postUpload(t, r.g, "/v1/audio/transcriptions", wav, "model", "openai/whisper-1", "response_format", format)
		if resp.Status != 200 || !strings.Contains(string(resp.Body), want) {
			t.Errorf("%s: %d %s", format, resp.Status, resp.Body)
		}
	}
	//lint:ignore SA1019 the SDK marks translations deprecated; OpenAI and Groq still serve them
	tr, err := c.Audio.Translations.New(ctxT(t), openai.AudioTranslationNewParams{Model: "openai/whisper-1",
		File: openai.File(bytes.NewReader(wav), "speech.wav", "audio/wav")})
	if err != nil || tr.Text != transcriptText {
		t.Fatalf("translation %+v %v", tr, err)
	}
	if calls := r.oai.seen(); calls[len(calls)-1].Path != "/audio/translations" {
		t.Errorf("translation reached %s", calls[len(calls)-1].Path)
	}
	// Billing: usage.seconds (json), duration (verbose_json), the last cue
	// (srt, vtt), the WAV header (text).
	secs := map[string]float64{}
	for _, row := range r.g.logs() {
		if row.UnitKind != "audio_seconds" {
			t.Errorf("row %+v", row)
		}
		secs[row.Provider] += row.Units
	}
	if secs["whisper"] != 3 || secs["groq"] != 3+3.25 || secs["openai"] != 3+2+3.25+3.25+3 {
		t.Errorf("seconds per provider %v", secs)
	}
}

func TestTranscriptionStreams(t *testing.T) {
	r := newMediaRig(t, nil)
	c := r.g.openai()
	s := c.Audio.Transcriptions.NewStreaming(ctxT(t), openai.AudioTranscriptionNewParams{Model: "openai/gpt-4o-transcribe",
		File: openai.File(bytes.NewReader(wavFile()), "speech.wav", "audio/wav")})
	var deltas, done string
	for s.Next() {
		ev := s.Current()
		switch ev.Type {
		case "transcript.text.delta":
			deltas += ev.Delta
		case "transcript.text.done":
			done = ev.Text
		}
	}
	if s.Err() != nil || deltas != transcriptText || done != transcriptText {
		t.Fatalf("stream: %q %q %v", deltas, done, s.Err())
	}
	if up := r.oai.seen()[0]; up.Fields["stream"] != "true" || up.Fields["model"] != "gpt-4o-transcribe" {
		t.Errorf("upstream got %+v", up.Fields)
	}
	checkUnits(t, rowFor(t, r.g, "/v1/audio/transcriptions"), 2, "audio_seconds", 2*0.0001)
}

func TestModeration(t *testing.T) {
	r := newMediaRig(t, nil)
	c := r.g.openai()
	res, err := c.Moderations.New(ctxT(t), openai.ModerationNewParams{
		Input: openai.ModerationNewParamsInputUnion{OfStringArray: []string{"hello", "world"}}})
	if err != nil || len(res.Results) != 2 || res.Results[0].Flagged {
		t.Fatalf("%+v %v", res, err)
	}
	if b := gjson.ParseBytes(r.oai.seen()[0].Body); b.Get("model").String() != "omni-moderation-latest" {
		t.Errorf("upstream got %s", r.oai.seen()[0].Body)
	}
	checkUnits(t, rowFor(t, r.g, "/v1/moderations"), 2, "inputs", 0)
}

func TestRerankEveryShape(t *testing.T) {
	r := newMediaRig(t, nil)
	req := `{"model":%q,"query":"capital of France","documents":["Berlin is in Germany.",{"text":"Paris is the capital of France."}],"top_n":2}`
	for _, tc := range []struct {
		model string
		up    *mediaUp
		top   string // the upstream's name for top_n
		units float64
		kind  string
		cost  float64
	}{
		{"cohere/rerank-v3.5", r.cohere, "top_n", 1, "search_units", 0.002},
		{"jina/jina-reranker-v2-base-multilingual", r.jina, "top_n", 40, "tokens", 40 * 0.00000005},
		{"voyage/rerank-2.5", r.voyage, "top_k", 30, "tokens", 30 * 0.00000005},
	} {
		resp := r.g.do("POST", "/v1/rerank", fmt.Sprintf(req, tc.model), nil)
		a := gjson.ParseBytes(resp.Body)
		if resp.Status != 200 || a.Get("results.0.index").Int() != 1 || a.Get("results.0.document.text").String() != "Paris is the capital of France." ||
			a.Get("results.#").Int() != 2 || a.Get("model").String() != tc.model {
			t.Fatalf("%s: %d %s", tc.model, resp.Status, resp.Body)
		}
		up := gjson.ParseBytes(tc.up.seen()[0].Body)
		if tc.up.seen()[0].Path != "/rerank" || up.Get(tc.top).Int() != 2 || up.Get("documents.1").String() != "Paris is the capital of France." {
			t.Errorf("%s: upstream got %s", tc.model, tc.up.seen()[0].Body)
		}
		rows := r.g.logs()
		checkUnits(t, rows[0], tc.units, tc.kind, tc.cost)
	}
}

// postUpload sends a multipart upload (file first, then fields, the way
// SDKs order them; no file when nil) with the gateway's key.
func postUpload(t *testing.T, g *gateway, path string, file []byte, fields ...string) rawResp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "speech.wav")
		fw.Write(file)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.Close()
	req, _ := http.NewRequestWithContext(ctxT(t), "POST", g.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := g.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Media endpoints pass the key's policy like chat: a model the key may not
// use is refused (403, OpenAI shape) before anything reaches an upstream;
// an allowed one is served and its unit cost counts toward the key.
func TestMediaKeyPolicy(t *testing.T) {
	r := newMediaRig(t, nil)
	resp := r.g.api("POST", "/api/keys", `{"name":"limited","policy":{"models":["openai/omni-*"]}}`)
	var ck mgmt.CreatedKey
	if resp.Status != 201 || json.Unmarshal(resp.Body, &ck) != nil {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	r.g.key = ck.Secret
	req := `{"model":"cohere/rerank-v3.5","query":"q","documents":["a","b"]}`
	refused := r.g.do("POST", "/v1/rerank", req, nil)
	if refused.Status != 403 || gjson.GetBytes(refused.Body, "error.message").String() == "" || len(r.cohere.seen()) != 0 {
		t.Fatalf("disallowed model: %d %s (upstream saw %d)", refused.Status, refused.Body, len(r.cohere.seen()))
	}
	ok := r.g.do("POST", "/v1/moderations", `{"model":"openai/omni-moderation-latest","input":"hello"}`, nil)
	if ok.Status != 200 {
		t.Fatalf("allowed model: %d %s", ok.Status, ok.Body)
	}
}
