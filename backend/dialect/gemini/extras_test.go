package gemini

import (
	"encoding/json"
	"testing"

	"switchboard/backend/ir"
)

func TestCountTokens(t *testing.T) {
	for _, body := range []string{
		`{"contents":[{"role":"user","parts":[{"text":"count me"}]}]}`,
		`{"generateContentRequest":{"model":"models/gemini-2.5-flash","systemInstruction":{"parts":[{"text":"sys"}]},"contents":[{"parts":[{"text":"count me"}]}]}}`,
	} {
		req, err := DecodeCountTokens([]byte(body))
		if err != nil || len(req.Messages) != 1 || req.Messages[0].Content[0].Text != "count me" {
			t.Errorf("%s: %v %+v", body, err, req)
		}
	}
	if _, err := DecodeCountTokens([]byte(`{"contents":[]}`)); err == nil {
		t.Error("empty contents must fail")
	}
	if got := string(EncodeCountTokens(1234)); got != `{"totalTokens":1234}` {
		t.Errorf("count tokens: %s", got)
	}
	if n, err := DecodeCountTokensResponse(EncodeCountTokens(77)); n != 77 || err != nil {
		t.Errorf("count tokens answer: %d %v", n, err)
	}
	if _, err := DecodeCountTokensResponse([]byte(`{"error":{"code":400,"message":"x","status":"INVALID_ARGUMENT"}}`)); err == nil {
		t.Error("error answer must fail")
	}

	req := &ir.Request{Model: "gemini-2.5-flash", System: []ir.Block{{Type: ir.BlockText, Text: "sys"}},
		Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}}}}
	body, err := EncodeCountTokensRequest(req)
	want := `{"generateContentRequest":{"model":"models/gemini-2.5-flash","contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"sys"}]}}}`
	if err != nil || string(body) != want {
		t.Errorf("count tokens request:\n got %s\nwant %s (%v)", body, want, err)
	}
	back, err := DecodeCountTokens(body)
	if err != nil || len(back.System) != 1 || back.Messages[0].Content[0].Text != "hi" {
		t.Errorf("count tokens request does not decode back: %v", err)
	}
}

func TestEmbeddings(t *testing.T) {
	one, err := DecodeEmbedContent([]byte(`{"model":"models/text-embedding-004","content":{"parts":[{"text":"a"},{"text":"b"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}`))
	if err != nil {
		t.Fatal(err)
	}
	want := ir.EmbedRequest{Model: "text-embedding-004", Inputs: []string{"a\nb"}, Dimensions: 256, TaskType: "RETRIEVAL_QUERY"}
	if jsonOf(t, one) != jsonOf(t, &want) {
		t.Errorf("embedContent: %s", jsonOf(t, one))
	}

	batch, err := DecodeBatchEmbedContents([]byte(`{"requests":[
		{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first"}]},"task_type":"SEMANTIC_SIMILARITY","output_dimensionality":8},
		{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want = ir.EmbedRequest{Model: "gemini-embedding-001", Inputs: []string{"first", "second"}, Dimensions: 8, TaskType: "SEMANTIC_SIMILARITY"}
	if jsonOf(t, batch) != jsonOf(t, &want) {
		t.Errorf("batchEmbedContents: %s", jsonOf(t, batch))
	}
	for _, bad := range []string{`{"requests":[]}`, `{"requests":[{"model":"m"}]}`, `nope`} {
		if _, err := DecodeBatchEmbedContents([]byte(bad)); err == nil {
			t.Errorf("%s: expected an error", bad)
		}
	}

	body, err := EncodeBatchEmbedRequest(batch)
	if err != nil {
		t.Fatal(err)
	}
	wantBody := `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first"}]},"taskType":"SEMANTIC_SIMILARITY","outputDimensionality":8},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second"}]},"taskType":"SEMANTIC_SIMILARITY","outputDimensionality":8}]}`
	if string(body) != wantBody {
		t.Errorf("batch request:\n got %s\nwant %s", body, wantBody)
	}
	// What Gemini answers is what a Gemini client gets back.
	again, err := DecodeBatchEmbedContents(body)
	if err != nil || jsonOf(t, again) != jsonOf(t, batch) {
		t.Errorf("batch request round trip: %v %s", err, jsonOf(t, again))
	}

	resp, err := DecodeBatchEmbedResponse([]byte(`{"embeddings":[{"values":[0.1,-0.25,3e-7]},{"values":[1,2]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(EncodeBatchEmbedContentsResponse(resp)); got != `{"embeddings":[{"values":[0.1,-0.25,3e-07]},{"values":[1,2]}]}` {
		t.Errorf("batch response: %s", got)
	}
	if got := string(EncodeEmbedContentResponse(resp)); got != `{"embedding":{"values":[0.1,-0.25,3e-07]}}` {
		t.Errorf("single response: %s", got)
	}
	if got := string(EncodeEmbedContentResponse(&ir.EmbedResponse{})); !json.Valid([]byte(got)) {
		t.Errorf("empty response: %s", got)
	}
	if _, err := DecodeBatchEmbedResponse([]byte(`{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}`)); err == nil {
		t.Error("an error body must fail")
	}
	if single, err := DecodeBatchEmbedResponse([]byte(`{"embedding":{"values":[0.5]}}`)); err != nil || len(single.Vectors) != 1 {
		t.Errorf("single embedding: %v", err)
	}
}

func TestModelList(t *testing.T) {
	got := string(EncodeModelList([]ModelInfo{
		{ID: "gemini-2.5-flash", DisplayName: "Gemini 2.5 Flash", InputTokenLimit: 1048576, OutputTokenLimit: 65536},
		{ID: "models/claude-sonnet-4-5"},
	}))
	want := `{"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]},` +
		`{"name":"models/claude-sonnet-4-5","displayName":"claude-sonnet-4-5","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}]}`
	if got != want {
		t.Errorf("model list:\n got %s\nwant %s", got, want)
	}
	if got := string(EncodeModelList(nil)); got != `{"models":[]}` {
		t.Errorf("empty list: %s", got)
	}
	if !json.Valid(EncodeModel(ModelInfo{ID: "x"})) {
		t.Error("model")
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ nl\n cr\r tab\t nul\x00 esc\x1b", "utf8 é ✓ 😀", "bad \xff\xfe utf8", "\u2028\u2029", "<>&"} {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: got %q want %q", s, back, wantBack)
		}
	}
}
