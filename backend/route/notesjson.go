package route

import (
	"strconv"

	"switchboard/backend/dialect/jsonw"
)

// NotesJSON is notes as a log row's routing record: a JSON array, or ""
// when there are none.
func NotesJSON(notes []Note) string {
	if len(notes) == 0 {
		return ""
	}
	var buf [256]byte
	return string(appendNotesJSON(buf[:0], notes))
}

// appendNotesJSON appends notes as a JSON array, as encoding/json would
// write them (the same keys, omitempty alike): a request log row carries
// its routing record this way, and reflection was most of what writing a
// row cost the gateway's handler.
func appendNotesJSON(dst []byte, notes []Note) []byte {
	dst = append(dst, '[')
	for i := range notes {
		n := &notes[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"target":`...)
		dst = jsonw.AppendString(dst, n.Target)
		dst = append(dst, `,"result":`...)
		dst = jsonw.AppendString(dst, n.Result)
		if n.Status != 0 {
			dst = strconv.AppendInt(append(dst, `,"status":`...), int64(n.Status), 10)
		}
		if n.Until != "" {
			dst = jsonw.AppendString(append(dst, `,"until":`...), n.Until)
		}
		if n.Error != "" {
			dst = jsonw.AppendString(append(dst, `,"error":`...), n.Error)
		}
		if n.Detail != "" {
			dst = jsonw.AppendString(append(dst, `,"detail":`...), n.Detail)
		}
		if n.AtMS != 0 {
			dst = strconv.AppendInt(append(dst, `,"atMs":`...), n.AtMS, 10)
		}
		if n.MS != 0 {
			dst = strconv.AppendInt(append(dst, `,"ms":`...), n.MS, 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
