package gateway

import (
	"context"
	"net/http"

	"switchboard/backend/dialect"
	"switchboard/backend/dialect/gemini"
	"switchboard/backend/ir"
	"switchboard/backend/media"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// speech serves POST /v1/audio/speech: an OpenAI-style upstream's audio
// is streamed to the client as it arrives; a Gemini TTS model answers
// through generateContent (PCM, sent as WAV or raw pcm).
func (g *Gateway) speech(w http.ResponseWriter, r *http.Request) {
	j, body, req, ok := jsonMediaJob(g, w, r, provider.CapSpeech, media.ParseSpeechRequest)
	if !ok {
		return
	}
	j.row.Stream = true
	chars := float64(req.Characters())
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		if c.Provider.Entry.Dialect == dialect.Gemini {
			gb, err := gemini.Codec.EncodeRequest(req.GeminiSpeechRequest(c.Model))
			if err != nil {
				return nil, asIRError(err)
			}
			out, e := g.geminiGenerate(ctx, r, c, provider.OpSpeech, gb)
			if e != nil {
				return nil, e
			}
			a, err := media.SpeechAudio(out, req.Format)
			if err != nil {
				return nil, noOutput(c, out, "audio")
			}
			return &mediaAnswer{contentType: a.ContentType, body: a.Body, units: chars, usage: out.Usage}, nil
		}
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: provider.OpSpeech, BodyParts: modelParts(body, dialect.OpenAIChat, c.Model)})
		if e != nil {
			return nil, e
		}
		return &mediaAnswer{contentType: resp.Header.Get("Content-Type"), stream: resp.Body, units: chars}, nil
	}
	g.runMedia(w, r, j)
}

// transcriptions serves POST /v1/audio/transcriptions.
func (g *Gateway) transcriptions(w http.ResponseWriter, r *http.Request) {
	g.transcribe(w, r, provider.OpTranscribe)
}

// translations serves POST /v1/audio/translations (to English).
func (g *Gateway) translations(w http.ResponseWriter, r *http.Request) {
	g.transcribe(w, r, provider.OpTranslate)
}

// transcribe sends the upload to OpenAI-style upstreams (OpenAI, Groq,
// whisper.cpp or LocalAI as custom providers), streamed from its spool
// with the model renamed, and passes the answer on in the format asked
// (json, text, srt, verbose_json, vtt; SSE when the client streams).
func (g *Gateway) transcribe(w http.ResponseWriter, r *http.Request, op provider.Op) {
	f, ok := g.readUpload(w, r)
	if !ok {
		return
	}
	defer f.Close()
	j := g.newMediaJob(r, provider.CapTranscription, f.Value("model"))
	if err := media.CheckTranscription(f); err != nil {
		g.mediaFail(w, j, asIRError(err))
		return
	}
	if e := checkModelName(j.model); e != nil {
		g.mediaFail(w, j, e)
		return
	}
	seconds := media.UploadSeconds(f) // when the upload's header tells it (WAV)
	j.try = func(ctx context.Context, c route.Candidate) (*mediaAnswer, *ir.Error) {
		enc, err := f.Encode(map[string]string{"model": c.Model})
		if err != nil {
			return nil, asIRError(err)
		}
		resp, e := g.mediaSend(ctx, r, c, &provider.Call{Op: op, Upload: enc.Open, ContentType: enc.ContentType,
			Stream: f.Value("stream") == "true"})
		if e != nil {
			return nil, e
		}
		ct := resp.Header.Get("Content-Type")
		if isEventStream(resp) {
			j.row.Stream = true
			return &mediaAnswer{contentType: ct, stream: resp.Body, units: seconds}, nil
		}
		b, e := readAnswer(resp, c)
		if e != nil {
			return nil, e
		}
		s := media.AnswerSeconds(b)
		if s == 0 {
			s = seconds
		}
		return &mediaAnswer{contentType: ct, body: b, units: s}, nil
	}
	g.runMedia(w, r, j)
}
