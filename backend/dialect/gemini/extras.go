package gemini

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeCountTokens reads a :countTokens body: {contents:[…]} or
// {generateContentRequest:{…}} (the form that also counts the system
// instruction and tools).
func DecodeCountTokens(body []byte) (*ir.Request, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	if g := root.Get("generateContentRequest"); g.IsObject() {
		return decodeRoot(g, nil)
	}
	return decodeRoot(root, nil)
}

// EncodeCountTokens writes a :countTokens answer.
func EncodeCountTokens(n int) []byte {
	dst := append(make([]byte, 0, 32), `{"totalTokens":`...)
	return append(strconv.AppendInt(dst, int64(n), 10), '}')
}

// EncodeCountTokensRequest writes a :countTokens body for a Gemini
// upstream: the generateContent body wrapped as generateContentRequest,
// which needs the model ("models/<id>") inside.
func EncodeCountTokensRequest(req *ir.Request) ([]byte, error) {
	body, err := Codec.EncodeRequest(req)
	if err != nil {
		return nil, err
	}
	dst := make([]byte, 0, len(body)+64+len(req.Model))
	dst = append(dst, `{"generateContentRequest":{`...)
	dst = appendStringField(dst, "model", "models/"+strings.TrimPrefix(req.Model, "models/"))
	dst = append(dst, ',')
	dst = append(dst, body[1:]...) // body is an object: splice its members in
	return append(dst, '}'), nil
}

// DecodeCountTokensResponse reads a :countTokens answer.
func DecodeCountTokensResponse(body []byte) (int, error) {
	if !jsonscan.Valid(body) {
		return 0, badRequest("upstream response is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if e := root.Get("error"); e.IsObject() {
		return 0, classify(0, e)
	}
	n := root.Get("totalTokens")
	if n.Type != gjson.Number {
		return 0, badRequest("upstream response has no totalTokens")
	}
	return int(n.Int()), nil
}

// DecodeEmbedContent reads an :embedContent body
// ({model?, content:{parts}, taskType, outputDimensionality}).
func DecodeEmbedContent(body []byte) (*ir.EmbedRequest, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	req := &ir.EmbedRequest{}
	if err := addEmbedRequest(req, root, 0); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeBatchEmbedContents reads a :batchEmbedContents body
// ({requests:[{model, content, taskType, outputDimensionality}]}). Task
// type and dimensions are taken from the first request: ir has one per call.
func DecodeBatchEmbedContents(body []byte) (*ir.EmbedRequest, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	reqs := root.Get("requests")
	if !reqs.IsArray() || len(reqs.Array()) == 0 {
		return nil, badRequest("requests must be a non-empty array")
	}
	out := &ir.EmbedRequest{}
	i := 0
	reqs.ForEach(func(_, r gjson.Result) bool {
		err = addEmbedRequest(out, r, i)
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func addEmbedRequest(out *ir.EmbedRequest, r gjson.Result, i int) error {
	content := r.Get("content")
	if !content.IsObject() {
		return badRequest("requests[%d].content is required", i)
	}
	var sb strings.Builder
	content.Get("parts").ForEach(func(_, p gjson.Result) bool {
		if t := p.Get("text"); t.Type == gjson.String && t.Str != "" {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(t.Str)
		}
		return true
	})
	out.Inputs = append(out.Inputs, sb.String())
	if i > 0 {
		return nil
	}
	out.Model = strings.TrimPrefix(r.Get("model").String(), "models/")
	out.TaskType = firstString(r, "taskType", "task_type")
	if d := r.Get("outputDimensionality"); d.Exists() {
		out.Dimensions = int(d.Int())
	} else {
		out.Dimensions = int(r.Get("output_dimensionality").Int())
	}
	return nil
}

func firstString(r gjson.Result, keys ...string) string {
	for _, k := range keys {
		if v := r.Get(k); v.Exists() {
			return v.String()
		}
	}
	return ""
}

// EncodeEmbedContentResponse writes an :embedContent answer (first vector).
func EncodeEmbedContentResponse(resp *ir.EmbedResponse) []byte {
	dst := []byte(`{"embedding":`)
	var v []float32
	if resp != nil && len(resp.Vectors) > 0 {
		v = resp.Vectors[0]
	}
	return append(appendValues(dst, v), '}')
}

// EncodeBatchEmbedContentsResponse writes a :batchEmbedContents answer.
func EncodeBatchEmbedContentsResponse(resp *ir.EmbedResponse) []byte {
	dst := []byte(`{"embeddings":[`)
	if resp != nil {
		for i, v := range resp.Vectors {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValues(dst, v)
		}
	}
	return append(dst, "]}"...)
}

func appendValues(dst []byte, v []float32) []byte {
	dst = append(dst, `{"values":[`...)
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			dst = append(dst, '0')
			continue
		}
		dst = strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
	}
	return append(dst, "]}"...)
}

// EncodeBatchEmbedRequest writes a :batchEmbedContents body for a Gemini
// upstream; each request names the model as "models/<id>".
func EncodeBatchEmbedRequest(req *ir.EmbedRequest) ([]byte, error) {
	if req == nil || len(req.Inputs) == 0 {
		return nil, badRequest("no input to embed")
	}
	model := "models/" + strings.TrimPrefix(req.Model, "models/")
	dst := []byte(`{"requests":[`)
	for i, in := range req.Inputs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendStringField(append(dst, '{'), "model", model)
		dst = append(dst, `,"content":{"parts":[{"text":`...)
		dst = append(appendString(dst, in), "}]}"...)
		if req.TaskType != "" {
			dst = appendStringField(dst, "taskType", req.TaskType)
		}
		if req.Dimensions > 0 {
			dst = appendIntField(dst, "outputDimensionality", req.Dimensions)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), nil
}

// DecodeBatchEmbedResponse reads a :batchEmbedContents answer (or a single
// :embedContent one).
func DecodeBatchEmbedResponse(body []byte) (*ir.EmbedResponse, error) {
	if !jsonscan.Valid(body) {
		return nil, badRequest("upstream response is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if e := root.Get("error"); e.IsObject() {
		return nil, classify(0, e)
	}
	out := &ir.EmbedResponse{}
	add := func(_, e gjson.Result) bool {
		vals := e.Get("values").Array()
		v := make([]float32, len(vals))
		for i, x := range vals {
			v[i] = float32(x.Float())
		}
		out.Vectors = append(out.Vectors, v)
		return true
	}
	if one := root.Get("embedding"); one.IsObject() {
		add(gjson.Result{}, one)
	} else {
		root.Get("embeddings").ForEach(add)
	}
	if out.Vectors == nil {
		return nil, badRequest("upstream response has no embeddings")
	}
	return out, nil
}

// ModelInfo describes a model for a Gemini client's models.list.
type ModelInfo struct {
	ID               string
	DisplayName      string
	InputTokenLimit  int
	OutputTokenLimit int
}

var generationMethods = `["generateContent","streamGenerateContent","countTokens"]`

// EncodeModelList writes a models.list answer.
func EncodeModelList(models []ModelInfo) []byte {
	dst := []byte(`{"models":[`)
	for i := range models {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendModel(dst, &models[i])
	}
	return append(dst, "]}"...)
}

// EncodeModel writes a models.get answer.
func EncodeModel(m ModelInfo) []byte { return appendModel(nil, &m) }

func appendModel(dst []byte, m *ModelInfo) []byte {
	id := strings.TrimPrefix(m.ID, "models/")
	name := m.DisplayName
	if name == "" {
		name = id
	}
	dst = appendStringField(append(dst, '{'), "name", "models/"+id)
	dst = appendStringField(dst, "displayName", name)
	if m.InputTokenLimit > 0 {
		dst = appendIntField(dst, "inputTokenLimit", m.InputTokenLimit)
	}
	if m.OutputTokenLimit > 0 {
		dst = appendIntField(dst, "outputTokenLimit", m.OutputTokenLimit)
	}
	dst = append(appendKey(dst, "supportedGenerationMethods"), generationMethods...)
	return append(dst, '}')
}
