package kiro

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/dialect/kiro/kirotest"
	"switchboard/backend/ir"
)

func TestFrameReader(t *testing.T) {
	body := append(kirotest.Text("hi"), kirotest.Exception("ThrottlingException", `{"message":"slow"}`)...)
	fr := newFrameReader(bytes.NewReader(body))
	f, err := fr.next()
	if err != nil || f.messageType != "event" || f.eventType != "assistantResponseEvent" || string(f.payload) != `{"content":"hi"}` {
		t.Fatalf("first = %+v, %v", f, err)
	}
	f, err = fr.next()
	if err != nil || f.messageType != "exception" || f.exceptionType != "ThrottlingException" {
		t.Fatalf("second = %+v, %v", f, err)
	}
	if _, err := fr.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last = %v, want io.EOF", err)
	}
}

// withPrelude rewrites a message's lengths and fixes the prelude CRC, so
// only what the case damages is wrong.
func withPrelude(m []byte, total, hlen uint32) []byte {
	m = bytes.Clone(m)
	binary.BigEndian.PutUint32(m[0:], total)
	binary.BigEndian.PutUint32(m[4:], hlen)
	binary.BigEndian.PutUint32(m[8:], crc32.ChecksumIEEE(m[:8]))
	return m
}

// withHeaders builds a message from raw header bytes, CRCs correct.
func withHeaders(h []byte) []byte {
	total := uint32(preludeLen + len(h) + crcLen)
	b := binary.BigEndian.AppendUint32(nil, total)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	b = append(b, h...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// TestDamagedStreams: every kind of damage ends the answer with the right
// error after what was whole, and nothing reads past its bounds.
func TestDamagedStreams(t *testing.T) {
	good := kirotest.Text("ok")
	preludeCRC := bytes.Clone(good)
	preludeCRC[9] ^= 1
	for _, tc := range []struct {
		name string
		tail []byte
		kind ir.ErrorKind
		msg  string
	}{
		{"prelude CRC", preludeCRC, ir.KindUpstream5xx, "prelude CRC mismatch"},
		{"message CRC", append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1), ir.KindUpstream5xx, "message CRC mismatch"},
		{"cut in the prelude", good[:7], ir.KindStreamInterrupted, "inside a message's prelude"},
		{"cut in the body", good[:len(good)-2], ir.KindStreamInterrupted, "inside a message"},
		{"too short", withPrelude(good, 15, 0), ir.KindUpstream5xx, "out of range"},
		{"too long", withPrelude(good, maxFrame+1, 0), ir.KindUpstream5xx, "out of range"},
		{"headers past the message", withPrelude(good, uint32(len(good)), uint32(len(good))), ir.KindUpstream5xx, "does not fit"},
		{"headers too long", withPrelude(good, maxFrame, maxHeaders+1), ir.KindUpstream5xx, "does not fit"},
		{"empty header name", withHeaders([]byte{0, 7}), ir.KindUpstream5xx, "header name"},
		{"header name past the end", withHeaders([]byte{9, 'a'}), ir.KindUpstream5xx, "header name"},
		{"unknown value type", withHeaders([]byte{1, 'a', 42}), ir.KindUpstream5xx, "unknown header value type"},
		{"string past the end", withHeaders([]byte{1, 'a', 7, 0, 9, 'x'}), ir.KindUpstream5xx, "header value runs past"},
		{"string length past the end", withHeaders([]byte{1, 'a', 7, 0}), ir.KindUpstream5xx, "value length runs past"},
		{"uuid past the end", withHeaders([]byte{1, 'a', 9, 1, 2}), ir.KindUpstream5xx, "header value runs past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, done := decodeAll(t, append(bytes.Clone(good), tc.tail...))
			if !done || len(evs) < 4 {
				t.Fatalf("events %s", render(evs))
			}
			last := evs[len(evs)-1]
			if evs[2].Text != "ok" || last.Type != ir.EvError || last.Err.Kind != tc.kind || !strings.Contains(last.Err.Message, tc.msg) {
				t.Errorf("got %s", render(evs))
			}
		})
	}
}

// Every header value type is read (and skipped) by its size.
func TestHeaderTypes(t *testing.T) {
	h := []byte{1, 'a', 0, 1, 'b', 1, 1, 'c', 2, 9, 1, 'd', 3, 0, 1, 1, 'e', 4, 0, 0, 0, 1,
		1, 'f', 5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'g', 6, 0, 2, 'x', 'y', 1, 'h', 8, 0, 0, 0, 0, 0, 0, 0, 1,
		1, 'i', 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	h = append(h, kirotest.Frame([]kirotest.Header{{Name: ":event-type", Value: "x"}}, "")[12:28]...)
	f, err := newFrameReader(bytes.NewReader(withHeaders(h))).next()
	if err != nil || f.eventType != "x" {
		t.Fatalf("= %+v, %v", f, err)
	}
}

// A connection that fails is the body's read error, as for any body: the
// gateway tells an idle timeout from a client that left by it.
func TestTransportErrorPassesThrough(t *testing.T) {
	boom := errors.New("connection reset")
	body := SSEBody(io.NopCloser(io.MultiReader(bytes.NewReader(kirotest.Text("hi")), errReader{boom})))
	out, err := io.ReadAll(body)
	if !errors.Is(err, boom) || !strings.Contains(string(out), `data: {"content":"hi"}`) || strings.Contains(string(out), evEnd) {
		t.Fatalf("read %q, %v", out, err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestReframedGolden shows the SSE the gateway reads for one answer.
func TestReframedGolden(t *testing.T) {
	body := buildStream(t, readSteps(t, "testdata/decode_stream/tool_call.json"))
	body = append(body, kirotest.Frame([]kirotest.Header{{Name: ":message-type", Value: "event"},
		{Name: ":event-type", Value: "odd name:\nwith\rcontrol"}}, "{\"a\":\r\n1}")...)
	body = append(body, kirotest.Frame([]kirotest.Header{{Name: ":message-type", Value: "something-new"}}, "{}")...)
	out, err := io.ReadAll(SSEBody(io.NopCloser(bytes.NewReader(body))))
	if err != nil {
		t.Fatal(err)
	}
	dialecttest.Golden(t, "testdata/reframed.sse", out)
}

func TestDecodeResponse(t *testing.T) {
	body := buildStream(t, readSteps(t, "testdata/decode_stream/tool_call.json"))
	r, err := Codec.DecodeResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Content) != 2 || r.Content[0].Text != "Let me check." || string(r.Content[1].Input) != `{"city": "Paris"}` ||
		r.Content[1].ToolCallID != "tooluse_AbC123" || r.StopReason != ir.StopToolUse {
		t.Errorf("response %+v", r)
	}
	if _, err := Codec.DecodeResponse(buildStream(t, readSteps(t, "testdata/decode_stream/quota.json"))); !isKind(err, ir.KindQuotaExhausted) {
		t.Errorf("quota answer: %v", err)
	}
	if _, err := Codec.DecodeResponse([]byte(`{"not":"an event stream"}`)); err == nil {
		t.Errorf("JSON decoded as an answer")
	}
}

func isKind(err error, k ir.ErrorKind) bool {
	var e *ir.Error
	return errors.As(err, &e) && e.Kind == k
}

func TestClientSideRefuses(t *testing.T) {
	if _, err := Codec.DecodeRequest([]byte(`{}`)); !isKind(err, ir.KindBadRequest) {
		t.Errorf("DecodeRequest = %v", err)
	}
	if _, err := Codec.EncodeResponse(&ir.Response{}); err == nil {
		t.Errorf("EncodeResponse succeeded")
	}
	if out := Codec.NewStreamEncoder(nil).Encode(nil, &ir.Event{Type: ir.EvTextDelta, Text: "x"}); len(out) != 0 {
		t.Errorf("stream encoder wrote %q", out)
	}
	if got := string(Codec.EncodeError(&ir.Error{Message: "m", Type: "T"})); got != `{"message":"m","__type":"T"}` {
		t.Errorf("EncodeError = %s", got)
	}
}

// TestKnownAnswerFrames reads messages encoded by another implementation
// (the published examples of the Elixir event_stream package, whose CRCs
// are zlib's CRC-32): the CRCs here are checked against an outside source,
// not only against kirotest's encoder.
func TestKnownAnswerFrames(t *testing.T) {
	noHeaders := []byte{0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138, 123, 34, 102, 111,
		111, 34, 58, 32, 34, 98, 97, 114, 34, 125, 174, 114, 88, 228}
	withHeader := []byte{0, 0, 0, 62, 0, 0, 0, 32, 64, 93, 249, 70, 12, 99, 111, 110, 116, 101, 110,
		116, 45, 116, 121, 112, 101, 7, 0, 16, 97, 112, 112, 108, 105, 99, 97, 116,
		105, 111, 110, 47, 106, 115, 111, 110, 123, 34, 102, 111, 111, 34, 58, 32, 34,
		98, 97, 114, 34, 125, 111, 162, 191, 59}
	for _, m := range [][]byte{noHeaders, withHeader} {
		f, err := newFrameReader(bytes.NewReader(m)).next()
		if err != nil || string(f.payload) != `{"foo": "bar"}` {
			t.Errorf("= %q, %v", f.payload, err)
		}
	}
	if got := kirotest.Frame([]kirotest.Header{{Name: "content-type", Value: "application/json"}}, `{"foo": "bar"}`); !bytes.Equal(got, withHeader) {
		t.Errorf("kirotest encodes\n%v\nwant\n%v", got, withHeader)
	}
}
