package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/provider"
	"switchboard/backend/route"
)

// The validation pass notes what decides a pass-through and the image
// check, as the byte searches it replaced did (and a spaced empty
// signature, which they missed).
func TestBodyMarks(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       bodyMarks
	}{
		{"plain text", `{"model":"m","messages":[{"role":"user","content":"describe an image of a cat, please, in a long sentence that goes on"}]}`, 0},
		{"tagged signature", `{"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"swb1:gemini:abc"}]}]}`, markSWB},
		{"tagged redacted", `{"input":[{"type":"reasoning","encrypted_content":"swb1r:anthropic:xyz"}]}`, markSWB},
		{"empty signature", `{"messages":[{"content":[{"type":"thinking","thinking":"t","signature":""}]}]}`, markEmptySig},
		{"spaced empty signature", `{"messages":[{"content":[{"type":"thinking","thinking":"t", "signature" : "" }]}]}`, markEmptySig},
		{"signed", `{"messages":[{"content":[{"type":"thinking","thinking":"","signature":"EqQBCkYIBxgC"}]}]}`, 0},
		{"anthropic image", `{"messages":[{"content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]}]}`, markImage},
		{"openai image_url", `{"messages":[{"content":[{"type":"image_url","image_url":{"url":"data:x"}}]}]}`, markImage},
		{"responses input_image", `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"https://x"}]}]}`, markImage},
		{"gemini inline data", `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/jpeg","data":"abc"}}]}]}`, markImage},
	} {
		var m bodyMarks
		if !jsonscan.Scan([]byte(c.body), nil, m.Note) {
			t.Fatalf("%s: invalid body", c.name)
		}
		if got := m &^ markSigKey; got != c.want {
			t.Errorf("%s: marks %b, want %b", c.name, got, c.want)
		}
	}
}

// A continuation (previous_response_id, found by the validation pass) is
// refused for a Codex sign-in, which stores nothing; a whole conversation
// (null or no id) goes through.
func TestCodexRefusesContinuation(t *testing.T) {
	g := New(Options{})
	c := route.Candidate{Provider: &route.Provider{Entry: provider.Entry{ID: "codex", Dialect: dialect.Responses,
		Quirks: provider.QuirksCodex}}, Model: "gpt-5.1-codex"}
	for body, refused := range map[string]bool{
		`{"model":"codex/gpt-5.1-codex","previous_response_id":"resp_1","input":"hi"}`: true,
		`{"model":"codex/gpt-5.1-codex","previous_response_id":null,"input":"hi"}`:     false,
		`{"model":"codex/gpt-5.1-codex","input":"hi"}`:                                 false,
	} {
		r := httptest.NewRequest(http.MethodPost, "/v1/responses", strings.NewReader(body))
		x, ok := g.newExchange(discardWriter{}, r, dialect.Responses, nil)
		if !ok {
			t.Fatalf("%s: refused", body)
		}
		_, _, _, err := x.upstreamBody(codecFor(dialect.Responses), c, true)
		if got := err != nil && strings.Contains(err.Error(), "previous_response_id cannot be resumed"); got != refused {
			t.Errorf("%s: refused %v (%v), want %v", body, got, err, refused)
		}
	}
}

func TestHasImageWord(t *testing.T) {
	for _, s := range []string{"", "imag", "image", "input_image", "image_url", "image/png", "imageimage", "xximagx", "IMAGE", "imagE", "mage", "an image"} {
		if got, want := hasImageWord([]byte(s)), bytes.Contains([]byte(s), []byte("image")); got != want {
			t.Errorf("hasImageWord(%q) = %v, want %v", s, got, want)
		}
	}
}
