package media

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// transcriptFormats are the response_format values of transcriptions and
// translations.
var transcriptFormats = []string{"json", "text", "srt", "verbose_json", "vtt"}

// CheckTranscription checks a transcription or translation upload: a
// model, one audio file, a known response_format.
func CheckTranscription(f *Form) error {
	switch {
	case strings.TrimSpace(f.Value("model")) == "":
		return badRequest("model is required (multipart field model)")
	case len(f.FilesNamed("file")) != 1:
		return badRequest("exactly one audio file is required (multipart field file)")
	case f.FilesNamed("file")[0].Data.Size() == 0:
		return badRequest("the audio file is empty")
	}
	if rf := f.Value("response_format"); rf != "" && !slices.Contains(transcriptFormats, rf) {
		return badRequest("response_format must be one of json, text, srt, verbose_json, vtt")
	}
	return nil
}

// UploadSeconds is the length of the uploaded audio when its header tells
// it (WAV); 0 otherwise.
func UploadSeconds(f *Form) float64 {
	files := f.FilesNamed("file")
	if len(files) != 1 {
		return 0
	}
	s, _ := WAVSeconds(files[0].Data.ReaderAt(), files[0].Data.Size())
	return s
}

// AnswerSeconds reads the audio length a transcription answer reports:
// usage.seconds (json), duration (verbose_json), or the end of the last
// cue (srt, vtt); 0 when it says nothing (text).
func AnswerSeconds(body []byte) float64 {
	if r := gjson.ParseBytes(body); r.IsObject() {
		if s := r.Get("usage.seconds"); s.Exists() {
			return s.Float()
		}
		return r.Get("duration").Float()
	}
	return lastCueEnd(body)
}

// lastCueEnd finds the last "start --> end" line of an SRT or WebVTT body.
func lastCueEnd(body []byte) float64 {
	i := bytes.LastIndex(body, []byte("-->"))
	if i < 0 {
		return 0
	}
	rest := body[i+3:]
	if j := bytes.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	fields := strings.Fields(string(rest))
	if len(fields) == 0 {
		return 0
	}
	return clockSeconds(fields[0])
}

// clockSeconds reads [hh:]mm:ss[.,]mmm.
func clockSeconds(s string) float64 {
	parts := strings.Split(strings.ReplaceAll(s, ",", "."), ":")
	total := 0.0
	for _, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0
		}
		total = total*60 + v
	}
	return total
}

// ModerationInputs counts the results of a moderation answer (one per
// input).
func ModerationInputs(body []byte) int { return int(gjson.GetBytes(body, "results.#").Int()) }
