package sse

// AppendEvent appends one event frame ("event: name\ndata: data\n\n") to dst.
// name may be empty (OpenAI style, data-only). data must not contain
// newlines; JSON produced by encoding/json never does.
func AppendEvent(dst []byte, name string, data []byte) []byte {
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	dst = append(dst, "data: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n')
}

// AppendData appends a data-only frame.
func AppendData(dst []byte, data []byte) []byte { return AppendEvent(dst, "", data) }

// DoneFrame is OpenAI's terminal frame.
const DoneFrame = "data: [DONE]\n\n"
