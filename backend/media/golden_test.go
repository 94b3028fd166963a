package media

import (
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/provider"
)

// Goldens: every translation between a client's shape and an upstream's.
// Regenerate with `go test ./backend/media/ -update` and review the diff.
//
//	images/<case>.openai.json         OpenAI images request → <case>.gemini.json (generateContent body)
//	images/<case>.gemini_answer.json  Gemini image answer   → <case>.openai_answer.json
//	images/hub_<case>.gemini_client.json  Gemini client asking for an image → <case>.openai.json
//	images/hub_<case>.openai_answer.json  OpenAI images answer → <case>.gemini_client_answer.json
//	speech/…                          the same for speech (audio answers as .audio.json views)
//	rerank/<case>.client.json         Cohere/Jina-shaped request → <case>.<shape>.json for each upstream shape
//	rerank/<case>.<shape>_answer.json upstream answer → <case>.<shape>_client.json

func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if len(paths) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	sort.Strings(paths)
	for i, p := range paths {
		paths[i] = strings.TrimSuffix(p, suffix)
	}
	return paths
}

const goldenCreated = 1767225600

func TestImagesGolden(t *testing.T) {
	for _, c := range cases(t, "images", ".openai.json") {
		if strings.Contains(filepath.Base(c), "hub_") {
			continue
		}
		t.Run(c, func(t *testing.T) {
			req, err := ParseImageRequest(dialecttest.Read(t, c+".openai.json"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := gemini.Codec.EncodeRequest(req.GeminiImageRequest("gemini-2.5-flash-image", nil))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, c+".gemini.json", body)
			resp, err := gemini.Codec.DecodeResponse(dialecttest.Read(t, c+".gemini_answer.json"))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, c+".openai_answer.json", ImagesAnswer(goldenCreated, ImageBlocks(resp), req.ResponseFormat, resp.Usage))
		})
	}
	for _, c := range cases(t, "images", ".gemini_client.json") {
		t.Run(c, func(t *testing.T) {
			req, err := gemini.Codec.DecodeRequest(dialecttest.Read(t, c+".gemini_client.json"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := OpenAIImageRequest(req, "dall-e-3")
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, c+".openai.json", body)
			resp, err := ImagesToResponse(dialecttest.Read(t, c+".openai_answer.json"), "openai/dall-e-3")
			if err != nil {
				t.Fatal(err)
			}
			out, _ := gemini.Codec.EncodeResponse(resp)
			dialecttest.Golden(t, c+".gemini_client_answer.json", out)
		})
	}
}

// audioView is a reviewable rendering of an audio answer.
type audioView struct {
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	HeaderHex   string `json:"header_hex,omitempty"` // a WAV's 44-byte header
	DataB64     string `json:"data_b64"`             // the samples
}

func TestSpeechGolden(t *testing.T) {
	for _, c := range cases(t, "speech", ".openai.json") {
		if strings.Contains(filepath.Base(c), "hub_") {
			continue
		}
		t.Run(c, func(t *testing.T) {
			req, err := ParseSpeechRequest(dialecttest.Read(t, c+".openai.json"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := gemini.Codec.EncodeRequest(req.GeminiSpeechRequest("gemini-2.5-flash-preview-tts"))
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, c+".gemini.json", body)
			resp, err := gemini.Codec.DecodeResponse(dialecttest.Read(t, c+".gemini_answer.json"))
			if err != nil {
				t.Fatal(err)
			}
			a, err := SpeechAudio(resp, req.Format)
			if err != nil {
				t.Fatal(err)
			}
			v := audioView{ContentType: a.ContentType, Size: len(a.Body), DataB64: base64.StdEncoding.EncodeToString(a.Body)}
			if a.ContentType == "audio/wav" {
				v.HeaderHex, v.DataB64 = hex.EncodeToString(a.Body[:44]), base64.StdEncoding.EncodeToString(a.Body[44:])
			}
			dialecttest.GoldenJSON(t, c+".audio.json", v)
		})
	}
	for _, c := range cases(t, "speech", ".gemini_client.json") {
		t.Run(c, func(t *testing.T) {
			req, err := gemini.Codec.DecodeRequest(dialecttest.Read(t, c+".gemini_client.json"))
			if err != nil {
				t.Fatal(err)
			}
			body, err := OpenAISpeechRequest(req, "tts-1")
			if err != nil {
				t.Fatal(err)
			}
			dialecttest.Golden(t, c+".openai.json", body)
			pcm, err := base64.StdEncoding.DecodeString(string(dialecttest.Read(t, c+".openai_answer.pcm.b64")))
			if err != nil {
				t.Fatal(err)
			}
			out, _ := gemini.Codec.EncodeResponse(SpeechToResponse(pcm, "openai/tts-1"))
			dialecttest.Golden(t, c+".gemini_client_answer.json", out)
		})
	}
}

func TestRerankGolden(t *testing.T) {
	for _, c := range cases(t, "rerank", ".client.json") {
		t.Run(c, func(t *testing.T) {
			req, err := ParseRerankRequest(dialecttest.Read(t, c+".client.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, shape := range []string{provider.RerankCohere, provider.RerankJina, provider.RerankVoyage} {
				dialecttest.Golden(t, c+"."+shape+".json", EncodeRerank(shape, req, "upstream-model"))
				a, err := DecodeRerank(shape, dialecttest.Read(t, c+"."+shape+"_answer.json"))
				if err != nil {
					t.Fatal(err)
				}
				dialecttest.Golden(t, c+"."+shape+"_client.json", EncodeRerankAnswer(req, a, "rr"))
			}
		})
	}
}
