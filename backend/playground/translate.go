package playground

import (
	"bytes"
	"encoding/json"
	"strings"

	"switchboard/backend/dialect"
	"switchboard/backend/ir"
)

// TranslateInput is a request in one client dialect.
type TranslateInput struct {
	Dialect string `json:"dialect"`
	Body    string `json:"body"`
	// Model names the model where the dialect carries it in the URL
	// (Gemini); the others read it from the body.
	Model string `json:"model,omitempty"`
}

// Translation is the request decoded into the hub and encoded into each
// other dialect. A body the source codec refuses leaves Error set (the
// codec's own message) and no targets.
type Translation struct {
	From  string   `json:"from"`
	Error string   `json:"error,omitempty"`
	IR    string   `json:"ir,omitempty"` // the hub request, indented JSON
	To    []Target `json:"to"`
}

// Target is the request as a client of one dialect would send it.
type Target struct {
	Dialect  string `json:"dialect"`
	Endpoint string `json:"endpoint"` // e.g. POST /v1/messages
	Body     string `json:"body,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Translate decodes in with its dialect's codec and encodes the result
// with each of the other three. Only an unusable input (unknown dialect,
// empty or oversized body) is an error; what a codec says about the body
// is in the Translation.
func Translate(in TranslateInput) (Translation, error) {
	src, err := codecOf(in.Dialect)
	if err != nil {
		return Translation{}, err
	}
	if err := checkBody(in.Body); err != nil {
		return Translation{}, err
	}
	out := Translation{From: in.Dialect, To: []Target{}}
	req, err := src.DecodeRequest([]byte(in.Body))
	if err != nil {
		out.Error = message(err)
		return out, nil
	}
	if src.Name() == dialect.Gemini {
		req.Model = strings.TrimSpace(in.Model)
		if req.Model == "" {
			out.Error = "a Gemini request names its model in the URL: enter one in the model field"
			return out, nil
		}
	}
	if b, err := json.MarshalIndent(req, "", "  "); err == nil {
		out.IR = string(b)
	}
	for _, d := range Dialects {
		if d == src.Name() {
			continue
		}
		out.To = append(out.To, encodeTo(d, req))
	}
	return out, nil
}

func encodeTo(d dialect.Name, req *ir.Request) Target {
	t := Target{Dialect: string(d), Endpoint: "POST " + endpoint(d, req.Model, req.Stream)}
	b, err := codecs[d].EncodeRequest(req)
	if err != nil {
		t.Error = message(err)
		return t
	}
	t.Body = indent(b)
	return t
}

func checkBody(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return invalid("the request body is empty: paste a request or pick an example")
	case len(body) > MaxBody:
		return invalid("the request body is larger than %d KiB", MaxBody>>10)
	}
	return nil
}

// message is what a codec's error says to a user.
func message(err error) string {
	if e, ok := err.(*ir.Error); ok {
		return e.Message
	}
	return err.Error()
}

// indent pretty-prints JSON for reading; anything else is returned as is.
func indent(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}
