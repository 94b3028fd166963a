package gemini

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"switchboard/backend/dialect/dialecttest"
	"switchboard/backend/ir"
)

func ptr[T any](v T) *T { return &v }

// roundTripRequests are requests Gemini can carry whole: decoding what
// EncodeRequest wrote must give them back.
func roundTripRequests() []*ir.Request {
	return []*ir.Request{
		{
			System: []ir.Block{{Type: ir.BlockText, Text: "Be brief."}},
			Messages: []ir.Message{
				{Role: ir.RoleUser, Content: []ir.Block{
					{Type: ir.BlockText, Text: "Look: \"quotes\" \\ and\nnewlines ✓"},
					{Type: ir.BlockImage, MediaType: "image/png", Data: "iVBORw0KGgo="},
					{Type: ir.BlockImage, MediaType: "application/pdf", URL: "https://example.com/doc.pdf"},
				}},
				{Role: ir.RoleAssistant, Content: []ir.Block{
					{Type: ir.BlockThinking, Text: "unsigned thought"},
					{Type: ir.BlockThinking, Text: "signed thought", Signature: "c2ln", Origin: ir.OriginGemini},
					{Type: ir.BlockText, Text: "Calling.", Signature: "dHh0", Origin: ir.OriginGemini},
					{Type: ir.BlockToolUse, ToolCallID: "fc-1", ToolName: "calc", Input: json.RawMessage(`{"e":"1+1","opts":{"exact":true}}`), Signature: "Y2FsbA==", Origin: ir.OriginGemini},
					{Type: ir.BlockToolUse, ToolCallID: "fc-2", ToolName: "calc", Input: json.RawMessage(`{}`), Origin: ir.OriginGemini},
				}},
				{Role: ir.RoleUser, Content: []ir.Block{
					{Type: ir.BlockToolResult, ToolCallID: "fc-1", ToolName: "calc", Content: []ir.Block{{Type: ir.BlockText, Text: "2"}}},
					{Type: ir.BlockToolResult, ToolCallID: "fc-2", ToolName: "calc", IsError: true, Content: []ir.Block{{Type: ir.BlockText, Text: "empty"}}},
				}},
				{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockThinking, Signature: "YmFyZQ==", Origin: ir.OriginGemini}, {Type: ir.BlockText, Text: "2 and error."}}},
				{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "ok"}}},
			},
			Tools: []ir.Tool{
				{Kind: ir.ToolKindFunction, Name: "calc", Description: "Evaluate", Parameters: json.RawMessage(`{"properties":{"e":{"description":"expression","type":"string"}},"required":["e"],"type":"object"}`)},
				{Kind: ir.ToolKindFunction, Name: "noargs"},
				{Kind: "google_search", Raw: json.RawMessage(`{"googleSearch":{}}`)},
			},
			ToolChoice:  &ir.ToolChoice{Mode: "tool", Name: "calc"},
			MaxTokens:   2048,
			Temperature: ptr(0.25),
			TopP:        ptr(0.5),
			TopK:        ptr(20),
			Stop:        []string{"\n\nHuman:"},
			Seed:        ptr(int64(99)),
			Reasoning:   &ir.Reasoning{BudgetTokens: 4096, IncludeThoughts: true},
			ResponseFormat: &ir.ResponseFormat{Type: "json_schema", Name: "response",
				Schema: json.RawMessage(`{"properties":{"n":{"type":"integer"}},"required":["n"],"type":"object"}`)},
		},
		{
			Messages:       []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}},
			ToolChoice:     nil,
			Reasoning:      &ir.Reasoning{Disabled: true},
			ResponseFormat: &ir.ResponseFormat{Type: "json_object"},
		},
		{
			Messages:   []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}},
			Tools:      []ir.Tool{{Kind: ir.ToolKindFunction, Name: "f"}},
			ToolChoice: &ir.ToolChoice{Mode: "none"},
			Reasoning:  &ir.Reasoning{BudgetTokens: -1, IncludeThoughts: true},
		},
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for i, want := range roundTripRequests() {
		body, err := Codec.EncodeRequest(want)
		if err != nil {
			t.Fatalf("%d: encode: %v", i, err)
		}
		got, err := Codec.DecodeRequest(body)
		if err != nil {
			t.Fatalf("%d: decode: %v\n%s", i, err, body)
		}
		if !reflect.DeepEqual(jsonOf(t, got), jsonOf(t, want)) {
			t.Errorf("%d: round trip changed the request\n got: %s\nwant: %s\nbody: %s", i, jsonOf(t, got), jsonOf(t, want), body)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResponseRoundTrip(t *testing.T) {
	resetIDs()
	want := &ir.Response{ID: "r1", Model: "gemini-2.5-flash", StopReason: ir.StopToolUse,
		Content: []ir.Block{
			{Type: ir.BlockThinking, Text: "hmm", Signature: "c2ln", Origin: ir.OriginGemini},
			{Type: ir.BlockText, Text: "Calling", Signature: "dA==", Origin: ir.OriginGemini},
			{Type: ir.BlockToolUse, ToolCallID: "fc-9", ToolName: "f", Input: json.RawMessage(`{"a":[1,2]}`), Origin: ir.OriginGemini},
		},
		Usage: ir.Usage{InputTokens: 100, OutputTokens: 50, CachedTokens: 60, ReasoningTokens: 20}}
	body, err := Codec.EncodeResponse(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Codec.DecodeResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("round trip\n got: %s\nwant: %s", jsonOf(t, got), jsonOf(t, want))
	}
}

// TestStreamChain: a Gemini stream decoded, re-encoded for a Gemini client
// and decoded again keeps the same events (Gemini → hub → Gemini).
func TestStreamChain(t *testing.T) {
	for _, c := range cases(t, "stream_decode", ".sse") {
		if strings.Contains(c, "malformed") || strings.Contains(c, "truncated") || strings.Contains(c, "error") {
			continue
		}
		t.Run(c, func(t *testing.T) {
			resetIDs()
			first, _, err := decodeStream(t, dialecttest.Read(t, c+".sse"))
			if err != nil {
				t.Fatal(err)
			}
			sseOut := encodeStream(nil, first)
			second, complete, err := decodeStream(t, sseOut)
			if err != nil || !complete {
				t.Fatalf("re-decode: complete=%v err=%v\n%s", complete, err, sseOut)
			}
			a, b := accumulate(first), accumulate(second)
			if jsonOf(t, a) != jsonOf(t, b) {
				t.Errorf("chain changed the answer\nfirst:  %s\nsecond: %s", jsonOf(t, a), jsonOf(t, b))
			}
		})
	}
}

func accumulate(evs []ir.Event) *ir.Response {
	var acc ir.Accumulator
	for i := range evs {
		acc.Add(&evs[i])
	}
	r := acc.Response()
	r.ID, r.Model = "", "" // the final frame carries them; not part of the answer
	for i := range r.Content {
		// A call id we generated comes back from the Gemini client as the
		// client's own id, hence Origin gemini on the second pass.
		if b := &r.Content[i]; b.Type == ir.BlockToolUse && b.Signature == "" {
			b.Origin = ""
		}
	}
	return r
}

// sdkResponse mirrors the part of google.golang.org/genai's
// GenerateContentResponse our frames fill, with the SDK's Go types (the
// signature is []byte, so it must be base64, as the SDK requires). The
// official SDK drives these frames in the integration tests.
type sdkResponse struct {
	Candidates []struct {
		Content *struct {
			Role  string `json:"role"`
			Parts []struct {
				Text             string `json:"text"`
				Thought          bool   `json:"thought"`
				ThoughtSignature []byte `json:"thoughtSignature"`
				InlineData       *struct {
					MIMEType string `json:"mimeType"`
					Data     []byte `json:"data"`
				} `json:"inlineData"`
				FunctionCall *struct {
					ID   string         `json:"id"`
					Name string         `json:"name"`
					Args map[string]any `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
		Index        int32  `json:"index"`
	} `json:"candidates"`
	UsageMetadata *struct {
		PromptTokenCount        int32 `json:"promptTokenCount"`
		CandidatesTokenCount    int32 `json:"candidatesTokenCount"`
		TotalTokenCount         int32 `json:"totalTokenCount"`
		CachedContentTokenCount int32 `json:"cachedContentTokenCount"`
		ThoughtsTokenCount      int32 `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
	Error        *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

func TestSDKShapes(t *testing.T) {
	for _, c := range cases(t, "stream_encode", ".sse") {
		body := string(dialecttest.Read(t, c+".sse"))
		frames := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
		for i, f := range frames {
			data, ok := strings.CutPrefix(f, "data: ")
			if !ok || strings.Contains(data, "\n") {
				t.Fatalf("%s: frame %d is not one data line: %q", c, i, f)
			}
			var r sdkResponse
			if err := json.Unmarshal([]byte(data), &r); err != nil {
				t.Errorf("%s: cannot read %s: %v", c, data, err)
			}
			last := i == len(frames)-1
			if !last && (r.Error != nil || len(r.Candidates) != 1 || r.Candidates[0].FinishReason != "") {
				t.Errorf("%s: frame %d: only the last frame may finish or fail: %s", c, i, data)
			}
			if last && r.Error == nil && (r.Candidates[0].FinishReason == "" || r.UsageMetadata == nil) {
				t.Errorf("%s: last frame lacks finishReason/usage: %s", c, data)
			}
		}
	}
	for _, c := range cases(t, "response_encode", ".gemini.json") {
		var r sdkResponse
		if err := json.Unmarshal(dialecttest.Read(t, c+".gemini.json"), &r); err != nil {
			t.Errorf("%s: %v", c, err)
		}
		if len(r.Candidates) != 1 || r.UsageMetadata == nil || r.Candidates[0].FinishReason == "" {
			t.Errorf("%s: missing candidate, finish or usage", c)
		}
	}
}
