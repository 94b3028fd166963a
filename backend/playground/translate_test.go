package playground

import (
	"errors"
	"strings"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

// Every example, from its dialect into each of the other three: all twelve
// ordered pairs. What the target codec encodes must decode back with that
// codec and keep the conversation, the tools and the model.
func TestTranslateEveryPair(t *testing.T) {
	pairs := map[string]bool{}
	for _, ex := range Examples() {
		t.Run(ex.ID, func(t *testing.T) {
			tr, err := Translate(TranslateInput{Dialect: ex.Dialect, Body: ex.Body, Model: ex.Model})
			if err != nil || tr.Error != "" {
				t.Fatalf("Translate: %v %q", err, tr.Error)
			}
			src, _ := codecs[dialect.Name(ex.Dialect)].DecodeRequest([]byte(ex.Body))
			if len(tr.To) != 3 || tr.IR == "" {
				t.Fatalf("want 3 targets and the IR, got %d targets, IR %d bytes", len(tr.To), len(tr.IR))
			}
			for _, to := range tr.To {
				if to.Dialect == ex.Dialect || to.Error != "" || to.Body == "" {
					t.Fatalf("target %s: error %q, body %d bytes", to.Dialect, to.Error, len(to.Body))
				}
				back, err := codecs[dialect.Name(to.Dialect)].DecodeRequest([]byte(to.Body))
				if err != nil {
					t.Fatalf("%s cannot decode its own encoding: %v\n%s", to.Dialect, err, to.Body)
				}
				if to.Dialect != string(dialect.Gemini) && back.Model != ex.Model {
					t.Errorf("%s: model %q, want %q", to.Dialect, back.Model, ex.Model)
				}
				if to.Dialect == string(dialect.Gemini) && !strings.Contains(to.Endpoint, "/v1beta/models/"+ex.Model+":") {
					t.Errorf("gemini endpoint %q does not name the model", to.Endpoint)
				}
				if len(back.Messages) == 0 || len(back.Tools) != len(src.Tools) {
					t.Errorf("%s: %d messages, %d tools (source %d)", to.Dialect, len(back.Messages), len(back.Tools), len(src.Tools))
				}
				for _, tool := range src.Tools {
					if !strings.Contains(to.Body, `"`+tool.Name+`"`) {
						t.Errorf("%s lost the tool %s", to.Dialect, tool.Name)
					}
				}
				last := src.Messages[len(src.Messages)-1].Content[0]
				want := last.Text
				if want == "" && len(last.Content) > 0 {
					want = last.Content[0].Text // a tool result's text
				}
				if want != "" && !strings.Contains(back.Messages[len(back.Messages)-1].Content[0].Text+blockText(back.Messages[len(back.Messages)-1].Content), firstLine(want)) {
					t.Errorf("%s: the last turn lost %q", to.Dialect, want)
				}
				pairs[ex.Dialect+">"+to.Dialect] = true
			}
		})
	}
	if len(pairs) != 12 {
		t.Errorf("covered %d ordered pairs, want 12: %v", len(pairs), pairs)
	}
}

func blockText(bs []ir.Block) string {
	var b strings.Builder
	for _, x := range bs {
		b.WriteString(x.Text)
		b.WriteString(blockText(x.Content))
	}
	return b.String()
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestTranslateRefusesInvalidInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   TranslateInput
	}{
		{"unknown dialect", TranslateInput{Dialect: "cohere", Body: `{}`}},
		{"empty body", TranslateInput{Dialect: "openai", Body: "  "}},
		{"too large", TranslateInput{Dialect: "openai", Body: `{"x":"` + strings.Repeat("a", MaxBody) + `"}`}},
	} {
		if _, err := Translate(tc.in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", tc.name, err)
		}
	}
	// What a codec says about a body is shown in place, with no targets.
	for _, tc := range []struct {
		name, dialect, body, model, want string
	}{
		{"not JSON", "anthropic", `{"model": "m", "messages": [`, "", "JSON"},
		{"messages not a list", "openai", `{"model":"m","messages":"hi"}`, "", "messages"},
		{"gemini without a model", "gemini", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, "", "model"},
		{"responses input of the wrong type", "responses", `{"model":"m","input":42}`, "", "input"},
	} {
		tr, err := Translate(TranslateInput{Dialect: tc.dialect, Body: tc.body, Model: tc.model})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tr.Error == "" || len(tr.To) != 0 || !strings.Contains(strings.ToLower(tr.Error), strings.ToLower(tc.want)) {
			t.Errorf("%s: error %q (want it to mention %q), %d targets", tc.name, tr.Error, tc.want, len(tr.To))
		}
	}
}
