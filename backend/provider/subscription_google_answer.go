package provider

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/tidwall/gjson"

	"switchboard/backend/sse"
)

// maxCloudCodeAnswer bounds a non-streamed Cloud Code answer, as the
// gateway bounds any upstream JSON answer.
const maxCloudCodeAnswer = 64 << 20

var errAnswerTooLarge = errors.New("cloud code: the answer is larger than 64 MiB")

// unwrapCloudCode replaces resp.Body with the Gemini answer inside Cloud
// Code's envelope: every SSE event's {"response":…} for a stream, the one
// {"response":…} object otherwise. The length changes, so it is unknown.
func unwrapCloudCode(resp *http.Response) {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "text/event-stream" {
		resp.Body = &sseUnwrapper{src: resp.Body, rd: sse.NewReader(resp.Body)}
	} else {
		resp.Body = &jsonUnwrapper{src: resp.Body}
	}
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
}

// unwrapEnvelope returns the Gemini response inside one envelope, with the
// envelope's traceId as its responseId (the Gemini CLI maps it so) when it
// has none. Anything else (an error object, text) is returned as it came.
func unwrapEnvelope(data []byte) []byte {
	root := gjson.ParseBytes(data)
	inner := root.Get("response")
	if !root.IsObject() || !inner.IsObject() {
		return data
	}
	out := []byte(inner.Raw)
	trace := root.Get("traceId")
	if trace.Type != gjson.String || trace.Str == "" || inner.Get("responseId").Exists() {
		return out
	}
	rest := bytes.TrimSpace(out[1:]) // after '{'
	head := `{"responseId":` + trace.Raw
	if len(rest) > 0 && rest[0] != '}' {
		head += ","
	}
	return append([]byte(head), rest...)
}

// sseUnwrapper streams the unwrapped events: one event is held at a time
// (sse.Reader bounds it), so memory stays flat however long the answer.
type sseUnwrapper struct {
	src io.ReadCloser
	rd  *sse.Reader
	out bytes.Buffer
	err error
}

func (u *sseUnwrapper) Read(p []byte) (int, error) {
	for u.out.Len() == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.next()
	}
	return u.out.Read(p)
}

// next writes the next event to out, or records why there is none.
func (u *sseUnwrapper) next() {
	ev, err := u.rd.Next()
	if err != nil {
		u.err = err
		return
	}
	u.out.Reset()
	if len(ev.Name) > 0 {
		u.out.WriteString("event: ")
		u.out.Write(ev.Name)
		u.out.WriteByte('\n')
	}
	data := unwrapEnvelope(ev.Data)
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		u.out.WriteString("data: ")
		u.out.Write(line)
		u.out.WriteByte('\n')
	}
	u.out.WriteByte('\n')
}

func (u *sseUnwrapper) Close() error { return u.src.Close() }

// jsonUnwrapper reads the whole (bounded) answer on first Read: a JSON
// object cannot be unwrapped before its end is known.
type jsonUnwrapper struct {
	src  io.ReadCloser
	body *bytes.Reader
	err  error
}

func (u *jsonUnwrapper) Read(p []byte) (int, error) {
	if u.body == nil && u.err == nil {
		raw, err := io.ReadAll(io.LimitReader(u.src, maxCloudCodeAnswer+1))
		switch {
		case err != nil:
			u.err = err
		case len(raw) > maxCloudCodeAnswer:
			u.err = errAnswerTooLarge
		default:
			u.body = bytes.NewReader(unwrapEnvelope(raw))
		}
	}
	if u.err != nil {
		return 0, u.err
	}
	return u.body.Read(p)
}

func (u *jsonUnwrapper) Close() error { return u.src.Close() }
