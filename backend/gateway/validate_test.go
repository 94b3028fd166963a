package gateway

import (
	"strings"
	"testing"
)

func TestBodyModel(t *testing.T) {
	cases := []struct {
		body, model, err string
	}{
		{`{"model":"oai/gpt-5"}`, "oai/gpt-5", ""},
		{`{"messages":[]}`, "", ""},
		{`{"model":123}`, "", "model must be a string"},
		{`{"model":null}`, "", "model must be a string"},
		{`{"model":{"id":"x"}}`, "", "model must be a string"},
		{`{"model":"a\u0000b"}`, "", "control character"},
		{`{"model":"a\nb"}`, "", "control character"},
		{`{"model":"a\u007fb"}`, "", "control character"},
		{`{"model":"` + strings.Repeat("m", maxModelName) + `"}`, strings.Repeat("m", maxModelName), ""},
		{`{"model":"` + strings.Repeat("m", maxModelName+1) + `"}`, "", "longer than 256 bytes"},
		{`{"model":"qwen/通义"}`, "qwen/通义", ""},
		{"{\"model\":\"bad\xff\"}", "", "not valid UTF-8"},
	}
	for _, c := range cases {
		m, e := bodyModel([]byte(c.body))
		switch {
		case c.err == "" && (e != nil || m != c.model):
			t.Errorf("%.40s: got %q, %v", c.body, m, e)
		case c.err != "" && (e == nil || !strings.Contains(e.Message, c.err) || e.HTTPStatus() != 400):
			t.Errorf("%.40s: error %v, want 400 %q", c.body, e, c.err)
		}
	}
}

func TestRouteHeader(t *testing.T) {
	long := strings.Repeat("m", 5000)
	cases := []struct{ provider, model, want string }{
		{"openai", "gpt-5", "openai/gpt-5"},
		{"p", "a\x00b\r\nc", "p/a%00b%0D%0Ac"},
		{"p", "通", "p/%E9%80%9A"},
		{"p", "100%", "p/100%25"},
	}
	for _, c := range cases {
		if got := routeHeader(c.provider, c.model); got != c.want {
			t.Errorf("%q: got %q, want %q", c.model, got, c.want)
		}
	}
	for _, m := range []string{long, strings.Repeat("\x00", 5000)} {
		got := routeHeader("p", m)
		if len(got) > maxRouteHeader || strings.ContainsAny(got, "\x00\r\n") {
			t.Errorf("unbounded or unsafe: %d bytes %.20q", len(got), got)
		}
	}
}
