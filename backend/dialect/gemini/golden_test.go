package gemini

import (
	"encoding/json"
	"testing"

	"switchboard/backend/dialect/dialecttest"
)

// Request decode: a Gemini client body → ir (…ir.json), and the same ir
// encoded back for a Gemini upstream (…reencoded.json).
func TestDecodeRequestGolden(t *testing.T) {
	for _, c := range cases(t, "request_decode", ".in.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			req, err := Codec.DecodeRequest(dialecttest.Read(t, c+".in.json"))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			dialecttest.GoldenJSON(t, c+".ir.json", req)
			body, err := Codec.EncodeRequest(req)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !json.Valid(body) {
				t.Fatalf("re-encoded body is not JSON: %s", body)
			}
			dialecttest.Golden(t, c+".reencoded.json", body)
		})
	}
}

func TestEncodeRequestGolden(t *testing.T) {
	for _, c := range cases(t, "request_encode", ".ir.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			body, err := Codec.EncodeRequest(readIRRequest(t, c+".ir.json"))
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !json.Valid(body) {
				t.Fatalf("body is not JSON: %s", body)
			}
			dialecttest.Golden(t, c+".gemini.json", body)
		})
	}
}

func TestDecodeResponseGolden(t *testing.T) {
	for _, c := range cases(t, "response_decode", ".in.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			resp, err := Codec.DecodeResponse(dialecttest.Read(t, c+".in.json"))
			if err != nil {
				dialecttest.GoldenJSON(t, c+".ir.json", map[string]any{"error": errorView(err)})
				return
			}
			dialecttest.GoldenJSON(t, c+".ir.json", resp)
		})
	}
}

func TestEncodeResponseGolden(t *testing.T) {
	for _, c := range cases(t, "response_encode", ".ir.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			body, err := Codec.EncodeResponse(readIRResponse(t, c+".ir.json"))
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !json.Valid(body) {
				t.Fatalf("body is not JSON: %s", body)
			}
			dialecttest.Golden(t, c+".gemini.json", body)
		})
	}
}

type streamGolden struct {
	Complete bool                    `json:"complete"`
	Events   []dialecttest.EventView `json:"events"`
	Error    *dialecttest.ErrorView  `json:"decode_error,omitempty"`
}

func TestStreamDecodeGolden(t *testing.T) {
	for _, c := range cases(t, "stream_decode", ".sse") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			evs, complete, err := decodeStream(t, dialecttest.Read(t, c+".sse"))
			g := streamGolden{Complete: complete, Events: dialecttest.Events(evs)}
			if err != nil {
				g.Error = errorView(err)
			}
			dialecttest.GoldenJSON(t, c+".events.json", g)
		})
	}
}

func TestStreamEncodeGolden(t *testing.T) {
	for _, c := range cases(t, "stream_encode", ".events.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			out := encodeStream(nil, eventsFromJSON(t, c+".events.json"))
			dialecttest.Golden(t, c+".sse", out)
		})
	}
}

// Schema cleaning: each input maps tool names to JSON Schemas (the tool
// lists of the Claude Code and Codex captures, plus hand-made nasty ones);
// the golden holds what Gemini gets as `parameters`.
func TestCleanSchemaGolden(t *testing.T) {
	for _, c := range cases(t, "schema", ".in.json") {
		t.Run(c, func(t *testing.T) {
			resetIDs()
			var in map[string]json.RawMessage
			if err := json.Unmarshal(dialecttest.Read(t, c+".in.json"), &in); err != nil {
				t.Fatal(err)
			}
			out := map[string]json.RawMessage{}
			for name, s := range in {
				cleaned := cleanSchema(s, true)
				if cleaned == nil {
					cleaned = json.RawMessage("null")
				}
				if !json.Valid(cleaned) {
					t.Fatalf("%s: invalid JSON %s", name, cleaned)
				}
				out[name] = cleaned
			}
			dialecttest.GoldenJSON(t, c+".out.json", out)
		})
	}
}
