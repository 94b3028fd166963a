package openai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/tidwall/gjson"

	"switchboard/backend/internal/jsonscan"
	"switchboard/backend/ir"
)

// DecodeEmbedRequest reads POST /v1/embeddings. input is a string or an
// array of strings; token arrays are refused (the hub carries text, and
// tokens of one vendor's tokenizer mean nothing to another).
func DecodeEmbedRequest(body []byte) (*ir.EmbedRequest, error) {
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	req := &ir.EmbedRequest{Model: root.Get("model").Str}
	if req.Model == "" {
		return nil, badRequest("model is required")
	}
	if req.Inputs, err = decodeEmbedInput(root.Get("input")); err != nil {
		return nil, err
	}
	switch f := root.Get("encoding_format"); {
	case !f.Exists() || f.Type == gjson.Null:
	case f.Str == "float" || f.Str == "base64":
		req.EncodingFormat = f.Str
	default:
		return nil, badRequest("encoding_format must be \"float\" or \"base64\"")
	}
	if d := root.Get("dimensions"); d.Type == gjson.Number {
		req.Dimensions = int(d.Int())
	}
	return req, nil
}

func decodeEmbedInput(v gjson.Result) ([]string, error) {
	const tokens = "input as token arrays is not supported; send text"
	if v.Type == gjson.String {
		if v.Str == "" {
			return nil, badRequest("input must not be empty")
		}
		return []string{v.Str}, nil
	}
	if !v.IsArray() {
		return nil, badRequest("input must be a string or an array of strings")
	}
	var out []string
	var err error
	v.ForEach(func(_, s gjson.Result) bool {
		switch {
		case s.Type == gjson.Number || s.IsArray():
			err = badRequest(tokens)
		case s.Type != gjson.String:
			err = badRequest("input must be a string or an array of strings")
		case s.Str == "":
			err = badRequest("input must not contain empty strings")
		default:
			out = append(out, s.Str)
		}
		return err == nil
	})
	if err == nil && len(out) == 0 {
		err = badRequest("input must not be empty")
	}
	return out, err
}

// EncodeEmbedRequest builds the upstream body. It always asks for floats:
// the client's encoding is applied on the way back, so a vendor that does
// not do base64 still serves a client that wants it.
func EncodeEmbedRequest(req *ir.EmbedRequest) ([]byte, error) {
	if req == nil {
		return nil, ir.Errorf(ir.KindInternal, "openai: nil embed request")
	}
	b := make([]byte, 0, 64+len(req.Model)+embedInputSize(req.Inputs))
	b = appendStringField(append(b, '{'), "model", req.Model)
	b = append(appendKey(b, "input"), '[')
	for i, s := range req.Inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	b = append(b, `],"encoding_format":"float"`...)
	if req.Dimensions > 0 {
		b = appendIntField(b, "dimensions", int64(req.Dimensions))
	}
	return append(b, '}'), nil
}

func embedInputSize(in []string) int {
	n := 0
	for _, s := range in {
		n += len(s) + 3
	}
	return n
}

// DecodeEmbedResponse reads an embeddings list. Vectors are placed by their
// index field; a vendor that answered in base64 anyway is decoded too.
func DecodeEmbedResponse(body []byte) (*ir.EmbedResponse, error) {
	if !jsonscan.Valid(body) {
		return nil, badUpstream("upstream embeddings response is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if e := root.Get("error"); e.IsObject() {
		return nil, errorFromObject(e, 0)
	}
	data := root.Get("data")
	if !data.IsArray() {
		return nil, badUpstream("upstream embeddings response has no data array")
	}
	items := data.Array()
	resp := &ir.EmbedResponse{Model: root.Get("model").Str, Vectors: make([][]float32, len(items))}
	for pos, it := range items {
		idx := pos
		if i := it.Get("index"); i.Type == gjson.Number && int(i.Int()) >= 0 && int(i.Int()) < len(items) {
			idx = int(i.Int())
		}
		vec, err := decodeVector(it.Get("embedding"))
		if err != nil {
			return nil, err
		}
		resp.Vectors[idx] = vec
	}
	u := root.Get("usage")
	resp.Usage.InputTokens = int(u.Get("prompt_tokens").Int())
	return resp, nil
}

func decodeVector(v gjson.Result) ([]float32, error) {
	if v.Type == gjson.String {
		raw, err := base64.StdEncoding.DecodeString(v.Str)
		if err != nil || len(raw)%4 != 0 {
			return nil, badUpstream("upstream embedding is not valid base64 float32 data")
		}
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
		}
		return out, nil
	}
	if !v.IsArray() {
		return nil, badUpstream("upstream embedding is neither an array nor base64")
	}
	out := make([]float32, 0, len(v.Raw)/10)
	v.ForEach(func(_, f gjson.Result) bool {
		out = append(out, float32(f.Num))
		return true
	})
	return out, nil
}

// EncodeEmbedResponse renders the list for the client. format "base64"
// packs each vector as little-endian float32 bytes, base64-encoded: what
// the openai npm and python SDKs decode (npm asks for it by default).
func EncodeEmbedResponse(resp *ir.EmbedResponse, format string) ([]byte, error) {
	if resp == nil {
		return nil, ir.Errorf(ir.KindInternal, "openai: nil embed response")
	}
	size := 128
	for _, v := range resp.Vectors {
		size += 48 + len(v)*12
	}
	b := make([]byte, 0, size)
	b = append(b, `{"object":"list","data":[`...)
	var raw []byte
	for i, vec := range resp.Vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		if format == "base64" {
			raw = packFloat32(raw[:0], vec)
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = appendVector(b, vec)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendStringField(b, "model", resp.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(resp.Usage.InputTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(resp.Usage.InputTokens), 10)
	return append(b, '}', '}'), nil
}

func packFloat32(dst []byte, vec []float32) []byte {
	for _, f := range vec {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

func appendVector(b []byte, vec []float32) []byte {
	b = append(b, '[')
	for j, f := range vec {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, float64(f), 32)
	}
	return append(b, ']')
}

// ModelEntry is one model in the OpenAI-shaped model list.
type ModelEntry struct {
	ID      string
	OwnedBy string
	Created int64
	// Capabilities (chat, embedding, image, speech, transcription,
	// moderation, rerank) go out as an extra "capabilities" array, which
	// OpenAI clients ignore; none: the field is left out.
	Capabilities []string
}

// EncodeModelList renders GET /v1/models in OpenAI's shape.
func EncodeModelList(models []ModelEntry) []byte {
	b := make([]byte, 0, 32+len(models)*80)
	b = append(b, `{"object":"list","data":[`...)
	for i := range models {
		m := &models[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStringField(append(b, '{'), "id", m.ID)
		b = append(b, `,"object":"model"`...)
		b = appendIntField(b, "created", m.Created)
		b = appendStringField(b, "owned_by", m.OwnedBy)
		if len(m.Capabilities) > 0 {
			b = append(b, `,"capabilities":[`...)
			for j, c := range m.Capabilities {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, c)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']', '}')
}
