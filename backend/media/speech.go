package media

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// SpeechRequest is what the gateway reads of POST /v1/audio/speech.
type SpeechRequest struct {
	Model        string
	Input        string
	Voice        string
	Format       string // response_format: mp3 (default), opus, aac, flac, wav, pcm
	Instructions string
}

var speechFormats = []string{"mp3", "opus", "aac", "flac", "wav", "pcm"}

// ParseSpeechRequest reads and checks a speech request.
func ParseSpeechRequest(body []byte) (*SpeechRequest, error) {
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, badRequest("request body must be a JSON object")
	}
	g := func(k string) string { return gjson.GetBytes(body, k).String() }
	r := &SpeechRequest{Model: g("model"), Input: g("input"), Voice: g("voice"), Format: g("response_format"),
		Instructions: g("instructions")}
	switch {
	case strings.TrimSpace(r.Input) == "":
		return nil, badRequest("input is required")
	case r.Voice == "" && !gjson.GetBytes(body, "voice").IsObject():
		return nil, badRequest("voice is required")
	case r.Format != "" && !slices.Contains(speechFormats, r.Format):
		return nil, badRequest("response_format must be one of mp3, opus, aac, flac, wav, pcm")
	}
	return r, nil
}

// Characters is what speech is billed by: the input's characters.
func (r *SpeechRequest) Characters() int { return utf8.RuneCountInString(r.Input) }

// geminiVoices are Gemini's prebuilt voices; openAIVoices pairs OpenAI's
// voices with a Gemini voice of a similar register.
var (
	geminiVoices = []string{"Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe",
		"Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi",
		"Laomedeia", "Achernar", "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi",
		"Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"}
	openAIVoices = map[string]string{"alloy": "Kore", "ash": "Orus", "ballad": "Algieba", "coral": "Aoede",
		"echo": "Charon", "fable": "Fenrir", "nova": "Leda", "onyx": "Alnilam", "sage": "Sulafat",
		"shimmer": "Zephyr", "verse": "Puck", "marin": "Despina", "cedar": "Iapetus"}
)

// defaultGeminiVoice is used for a voice Gemini has no match for.
const defaultGeminiVoice = "Kore"

// GeminiVoice is the Gemini voice for a requested voice: a Gemini voice
// name as is (any case), an OpenAI voice by its pair.
func GeminiVoice(v string) string {
	for _, g := range geminiVoices {
		if strings.EqualFold(g, v) {
			return g
		}
	}
	if g, ok := openAIVoices[strings.ToLower(v)]; ok {
		return g
	}
	return defaultGeminiVoice
}

// OpenAIVoice is the inverse: an OpenAI voice as is, a Gemini voice by
// its pair, alloy otherwise.
func OpenAIVoice(v string) string {
	if _, ok := openAIVoices[strings.ToLower(v)]; ok {
		return strings.ToLower(v)
	}
	for o, g := range openAIVoices {
		if strings.EqualFold(g, v) {
			return o
		}
	}
	return "alloy"
}

// GeminiSpeechRequest is the generateContent request for a Gemini TTS
// model: the input as the user's turn (instructions before it, the way
// Gemini TTS takes a style: "Say cheerfully: …"), audio output, the voice.
func (r *SpeechRequest) GeminiSpeechRequest(model string) *ir.Request {
	text := r.Input
	if s := strings.TrimSpace(r.Instructions); s != "" {
		text = strings.TrimRight(s, ":. ") + ": " + r.Input
	}
	return &ir.Request{Model: model, Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: text}}}},
		Output: &ir.Output{Modalities: []string{ir.ModalityAudio}, Voice: GeminiVoice(r.Voice)}}
}

// Audio is an answer's audio, ready for the client.
type Audio struct {
	Body        []byte
	ContentType string
}

// SpeechAudio takes the audio of a Gemini answer: raw PCM as asked (pcm),
// else wrapped in a WAV header, the one container it can be given without
// an encoder (mp3, opus, aac and flac requests get WAV too: README).
// Audio Gemini labels otherwise goes out as labelled.
func SpeechAudio(resp *ir.Response, format string) (Audio, error) {
	for _, b := range resp.Content {
		if b.Type != ir.BlockImage || !strings.HasPrefix(strings.ToLower(b.MediaType), "audio/") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b.Data)
		if err != nil {
			return Audio{}, upstreamError("the upstream's audio is not valid base64")
		}
		rate, pcm := PCMRate(b.MediaType)
		switch {
		case !pcm:
			return Audio{Body: raw, ContentType: b.MediaType}, nil
		case format == "pcm":
			return Audio{Body: raw, ContentType: "audio/pcm"}, nil
		}
		return Audio{Body: WAV(raw, rate), ContentType: "audio/wav"}, nil
	}
	return Audio{}, upstreamError("the upstream answered no audio")
}

// OpenAISpeechRequest is the audio/speech body a Gemini client's speech
// request becomes for an OpenAI-style upstream: the last user turn's
// text, the paired voice, raw 24 kHz PCM (what Gemini clients expect).
func OpenAISpeechRequest(req *ir.Request, model string) ([]byte, error) {
	text := lastUserText(req)
	if text == "" {
		return nil, badRequest("the request has no text to speak")
	}
	voice := ""
	if req.Output != nil {
		voice = req.Output.Voice
	}
	return json.Marshal(map[string]any{"model": model, "input": text, "voice": OpenAIVoice(voice), "response_format": "pcm"})
}

// SpeechToResponse wraps an OpenAI pcm answer as a Gemini client's audio
// part.
func SpeechToResponse(pcm []byte, model string) *ir.Response {
	return &ir.Response{Model: model, StopReason: ir.StopEndTurn, Content: []ir.Block{{Type: ir.BlockImage, MediaType: PCMMime,
		Data: base64.StdEncoding.EncodeToString(pcm)}}}
}

// SpeechText is the text a Gemini client asks to be spoken (its
// characters bill the request).
func SpeechText(req *ir.Request) string { return lastUserText(req) }
