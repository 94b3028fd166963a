package anthropic

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

// canonicalJSON renders v so that equal semantics compare equal (raw JSON
// fields are re-indented by the round trip through encoding/json).
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

func reencode(t *testing.T, req *ir.Request) *ir.Request {
	t.Helper()
	body, err := Codec.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Codec.DecodeRequest(body)
	if err != nil {
		t.Fatalf("our own body does not decode: %v\n%s", err, body)
	}
	return out
}

// firstDiff shows where two long renderings part.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-80, 0)
	return "\n got …" + got[from:min(i+120, len(got))] + "\nwant …" + want[from:min(i+120, len(want))]
}

// Requests an Anthropic client can send are carried losslessly: decoding
// what we would send upstream gives back the same IR.
func TestRequestRoundTripExact(t *testing.T) {
	for _, name := range []string{"plain_text", "system_blocks_cache", "tools_parallel",
		"thinking_adaptive_structured", "thinking_disabled_choice_none", "foreign_signature_free"} {
		t.Run(name, func(t *testing.T) {
			var req *ir.Request
			if name == "foreign_signature_free" {
				req = &ir.Request{Model: "m", MaxTokens: 50, Messages: []ir.Message{
					{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "q"}}},
					{Role: ir.RoleAssistant, Content: []ir.Block{
						{Type: ir.BlockThinking, Text: "t", Signature: "sig", Origin: ir.OriginAnthropic},
						{Type: ir.BlockRedactedThinking, Data: "r", Origin: ir.OriginAnthropic},
						{Type: ir.BlockText, Text: "a"}}},
					{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "q2"}}},
				}}
			} else {
				var err error
				req, err = Codec.DecodeRequest(dialecttest.Read(t, "testdata/decode_request/"+name+".json"))
				if err != nil {
					t.Fatal(err)
				}
			}
			if got, want := canonicalJSON(t, reencode(t, req)), canonicalJSON(t, req); got != want {
				t.Fatalf("round trip changed the request: %s", firstDiff(got, want))
			}
		})
	}
}

// Whatever the IR, one encode normalises it: encoding again what we decoded
// from our own output changes nothing (no drift across hops).
func TestRequestRoundTripFixpoint(t *testing.T) {
	var reqs []*ir.Request
	for _, path := range inputs(t, "decode_request", ".json") {
		req, err := Codec.DecodeRequest(dialecttest.Read(t, path))
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	for _, path := range inputs(t, "encode_request", ".ir.json") {
		var req ir.Request
		if err := json.Unmarshal(dialecttest.Read(t, path), &req); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, &req)
	}
	for _, req := range reqs {
		once := reencode(t, req)
		twice := reencode(t, once)
		if got, want := canonicalJSON(t, twice), canonicalJSON(t, once); got != want {
			t.Errorf("%s: second hop changed the request: %s", req.Model, firstDiff(got, want))
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for name, path := range inputs(t, "decode_response", ".json") {
		t.Run(name, func(t *testing.T) {
			resp, err := Codec.DecodeResponse(dialecttest.Read(t, path))
			if err != nil {
				t.Fatal(err)
			}
			body, err := Codec.EncodeResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Codec.DecodeResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := canonicalJSON(t, back), canonicalJSON(t, resp); got != want {
				t.Fatalf("round trip changed the response\n got %s\nwant %s", got, want)
			}
		})
	}
}

// A foreign signature survives a trip through an Anthropic client: the
// client replays it tagged, and we recover its origin.
func TestForeignSignatureRoundTrip(t *testing.T) {
	resp := &ir.Response{ID: "msg_1", Model: "g", StopReason: ir.StopEndTurn, Content: []ir.Block{
		{Type: ir.BlockThinking, Text: "t", Signature: "CiQB/+x=", Origin: ir.OriginGemini},
		{Type: ir.BlockText, Text: "a"}}}
	body, err := Codec.EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Content []json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	replay := `{"model":"g","max_tokens":10,"messages":[{"role":"user","content":"q"},` +
		`{"role":"assistant","content":[` + string(msg.Content[0]) + `,` + string(msg.Content[1]) + `]},` +
		`{"role":"user","content":"again"}]}`
	req, err := Codec.DecodeRequest([]byte(replay))
	if err != nil {
		t.Fatal(err)
	}
	got := req.Messages[1].Content[0]
	if got.Origin != ir.OriginGemini || got.Signature != "CiQB/+x=" || got.Text != "t" {
		t.Fatalf("replayed thinking block = %+v", got)
	}
	// And it never reaches an Anthropic upstream.
	out, err := Codec.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "CiQB") || strings.Contains(string(out), "thinking") {
		t.Fatalf("foreign thinking sent upstream: %s", out)
	}
}

// Streams: what a client accumulates from our encoded stream equals what
// the upstream stream said.
func TestStreamRoundTrip(t *testing.T) {
	for name, path := range inputs(t, "decode_stream", ".sse") {
		t.Run(name, func(t *testing.T) {
			evs, _ := decodeStream(t, dialecttest.Read(t, path))
			enc := Codec.NewStreamEncoder(&ir.Request{Model: "m"})
			var out []byte
			for i := range evs {
				out = enc.Encode(out, &evs[i])
			}
			back, _ := decodeStream(t, out)
			a, b := accumulate(evs), accumulate(back)
			if !reflect.DeepEqual(a.Err(), b.Err()) && (a.Err() == nil || b.Err() == nil || a.Err().Kind != b.Err().Kind) {
				t.Fatalf("error changed: %v vs %v", a.Err(), b.Err())
			}
			if a.Err() != nil {
				return
			}
			if got, want := canonicalJSON(t, b.Response()), canonicalJSON(t, a.Response()); got != want {
				t.Fatalf("stream round trip changed the answer\n got %s\nwant %s", got, want)
			}
		})
	}
}

func accumulate(evs []ir.Event) *ir.Accumulator {
	var a ir.Accumulator
	for i := range evs {
		a.Add(&evs[i])
	}
	return &a
}
