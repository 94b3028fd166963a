package media

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"
)

func TestSpoolMovesToDiskAndRereads(t *testing.T) {
	s := NewSpool(t.TempDir(), 1<<10)
	defer s.Close()
	want := bytes.Repeat([]byte("0123456789"), 1000)
	for i := 0; i < len(want); i += 700 {
		if _, err := s.Write(want[i:min(i+700, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	if !s.OnDisk() || s.Size() != int64(len(want)) {
		t.Fatalf("on disk %v, size %d", s.OnDisk(), s.Size())
	}
	for range 2 { // a fallback reads it again
		got, _ := io.ReadAll(s.Reader())
		if !bytes.Equal(got, want) {
			t.Fatal("spooled bytes differ")
		}
	}
	small := NewSpool(t.TempDir(), 1<<10)
	small.Write([]byte("tiny"))
	if small.OnDisk() {
		t.Error("a small upload went to disk")
	}
}

// multipartBody builds an upload the way SDKs do, model after the file.
func multipartBody(t *testing.T, file []byte, fields ...string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", `a "quoted".wav`)
	fw.Write(file)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.Close()
	return &buf, mw.Boundary()
}

func TestFormEncodesAgainWithTheModelReplaced(t *testing.T) {
	audio := bytes.Repeat([]byte{1, 2, 3, 4}, 5000)
	body, boundary := multipartBody(t, audio, "model", "groq/whisper-large-v3", "response_format", "srt", "timestamp_granularities[]", "word")
	f, err := ReadForm(body, boundary, t.TempDir(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Value("model") != "groq/whisper-large-v3" || !f.Files[0].Data.OnDisk() {
		t.Fatalf("read %+v", f.Fields)
	}
	enc, err := f.Encode(map[string]string{"model": "whisper-large-v3"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r, n, _ := enc.Open()
		raw, _ := io.ReadAll(r)
		if int64(len(raw)) != n {
			t.Fatalf("length %d, said %d", len(raw), n)
		}
		_, params, _ := strings.Cut(enc.ContentType, "boundary=")
		again, err := ReadForm(bytes.NewReader(raw), params, t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(again.Files[0].Data.Reader())
		if again.Value("model") != "whisper-large-v3" || again.Value("response_format") != "srt" ||
			again.Value("timestamp_granularities[]") != "word" || !bytes.Equal(got, audio) || again.Files[0].Filename != `a "quoted".wav` {
			t.Fatalf("re-encoded form: %+v %q", again.Fields, again.Files[0].Filename)
		}
		again.Close()
	}
	// A field absent from the upload is added.
	enc, _ = f.Encode(map[string]string{"language": "fr"})
	r, _, _ := enc.Open()
	raw, _ := io.ReadAll(r)
	if !bytes.Contains(raw, []byte("name=\"language\"\r\n\r\nfr")) {
		t.Error("added field missing")
	}
}

func TestReadFormRefusesMalformedBodies(t *testing.T) {
	_, err := ReadForm(strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"), "x", t.TempDir(), 10)
	if !errors.Is(err, ErrBadForm) {
		t.Fatalf("err = %v", err)
	}
	big := strings.Repeat("a", maxFieldBytes+1)
	body, b := multipartBody(t, []byte("x"), "prompt", big)
	if _, err := ReadForm(body, b, t.TempDir(), 10); !errors.Is(err, ErrBadForm) {
		t.Fatalf("huge field: %v", err)
	}
}

func TestWAVSeconds(t *testing.T) {
	w := WAV(make([]byte, 48000*3), 24000) // 3 s of 16-bit mono at 24 kHz
	s, ok := WAVSeconds(bytes.NewReader(w), int64(len(w)))
	if !ok || s != 3 {
		t.Fatalf("%v %v", s, ok)
	}
	if _, ok := WAVSeconds(strings.NewReader("ID3 not a wav file"), 18); ok {
		t.Error("an mp3 read as WAV")
	}
}

func TestAnswerSeconds(t *testing.T) {
	for _, tc := range []struct {
		body string
		want float64
	}{
		{`{"text":"hi","usage":{"type":"duration","seconds":7}}`, 7},
		{`{"task":"transcribe","duration":12.5,"text":"hi","segments":[]}`, 12.5},
		{"1\n00:00:00,000 --> 00:00:02,500\nHello\n\n2\n00:00:02,500 --> 00:01:04,250\nWorld\n", 64.25},
		{"WEBVTT\n\n00:00.000 --> 00:03.120\nHello\n", 3.12},
		{"Hello there", 0},
	} {
		if got := AnswerSeconds([]byte(tc.body)); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestAspectRatio(t *testing.T) {
	for size, want := range map[string]string{"1024x1024": "1:1", "1792x1024": "16:9", "1024x1792": "9:16",
		"1536x1024": "3:2", "1024x1536": "2:3", "auto": "", "": ""} {
		if got := AspectRatio(size); got != want {
			t.Errorf("%s: %s, want %s", size, got, want)
		}
	}
}

func TestRequestsRefusedClearly(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{second(ParseImageRequest([]byte(`{"model":"m"}`))), "prompt is required"},
		{second(ParseImageRequest([]byte(`{"model":"m","prompt":"p","n":11}`))), "n must be"},
		{second(ParseSpeechRequest([]byte(`{"model":"m","input":"hi","voice":"alloy","response_format":"ogg"}`))), "response_format"},
		{second(ParseSpeechRequest([]byte(`{"model":"m","voice":"alloy"}`))), "input is required"},
		{second(ParseRerankRequest([]byte(`{"model":"m","query":"q","documents":[1]}`))), "documents must be"},
		{second(ParseRerankRequest([]byte(`{"model":"m","documents":["a"]}`))), "query is required"},
		{second(ParseRerankRequest([]byte(`[]`))), "JSON object"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("err %v, want %q", tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestVoices(t *testing.T) {
	if GeminiVoice("nova") != "Leda" || GeminiVoice("PUCK") != "Puck" || GeminiVoice("robot") != "Kore" {
		t.Error("gemini voices")
	}
	if OpenAIVoice("Leda") != "nova" || OpenAIVoice("echo") != "echo" || OpenAIVoice("robot") != "alloy" {
		t.Error("openai voices")
	}
}
