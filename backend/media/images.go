package media

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// maxImages is OpenAI's bound on n.
const maxImages = 10

// ImageRequest is what the gateway reads of an OpenAI images request
// (generations JSON, or the text fields of an edits upload); the rest is
// passed to OpenAI-style upstreams as sent.
type ImageRequest struct {
	Model          string
	Prompt         string
	N              int    // 1 when not given
	Size           string // "1024x1024", "1536x1024", "auto"…
	ResponseFormat string // "b64_json", "url" ("" = the model's default)
	OutputFormat   string // png | jpeg | webp (GPT Image)
}

// ParseImageRequest reads POST /v1/images/generations.
func ParseImageRequest(body []byte) (*ImageRequest, error) {
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, badRequest("request body must be a JSON object")
	}
	g := func(k string) gjson.Result { return gjson.GetBytes(body, k) }
	r := &ImageRequest{Model: g("model").String(), Prompt: g("prompt").String(), Size: g("size").String(),
		ResponseFormat: g("response_format").String(), OutputFormat: g("output_format").String(), N: 1}
	if n := g("n"); n.Exists() && n.Type != gjson.Null {
		r.N = int(n.Int())
	}
	return r, r.check()
}

// ImageRequestFromForm reads the text fields of POST /v1/images/edits.
func ImageRequestFromForm(f *Form) (*ImageRequest, error) {
	r := &ImageRequest{Model: f.Value("model"), Prompt: f.Value("prompt"), Size: f.Value("size"),
		ResponseFormat: f.Value("response_format"), OutputFormat: f.Value("output_format"), N: 1}
	if v := f.Value("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, badRequest("n must be a whole number")
		}
		r.N = n
	}
	if len(f.FilesNamed("image", "image[]")) == 0 {
		return nil, badRequest("an image file is required (multipart field image or image[])")
	}
	return r, r.check()
}

func (r *ImageRequest) check() error {
	switch {
	case strings.TrimSpace(r.Prompt) == "":
		return badRequest("prompt is required")
	case r.N < 1 || r.N > maxImages:
		return badRequest("n must be between 1 and 10")
	case r.ResponseFormat != "" && r.ResponseFormat != "url" && r.ResponseFormat != "b64_json":
		return badRequest("response_format must be url or b64_json")
	}
	return nil
}

// GeminiImageRequest is one generateContent request asking a Gemini image
// model for an image: the prompt (and the images to edit) as the user's
// turn, image output, the aspect ratio closest to size. Gemini draws one
// image a request, so n images are n requests.
func (r *ImageRequest) GeminiImageRequest(model string, images []ir.Block) *ir.Request {
	content := make([]ir.Block, 0, len(images)+1)
	content = append(content, images...)
	content = append(content, ir.Block{Type: ir.BlockText, Text: r.Prompt})
	return &ir.Request{Model: model, Messages: []ir.Message{{Role: ir.RoleUser, Content: content}},
		Output: &ir.Output{Modalities: []string{ir.ModalityImage}, AspectRatio: AspectRatio(r.Size)}}
}

// aspectRatios are Gemini's ratios, each with its value as a number.
var aspectRatios = []struct {
	name string
	r    float64
}{{"1:1", 1}, {"2:3", 2.0 / 3}, {"3:2", 1.5}, {"3:4", 0.75}, {"4:3", 4.0 / 3}, {"4:5", 0.8}, {"5:4", 1.25},
	{"9:16", 9.0 / 16}, {"16:9", 16.0 / 9}, {"21:9", 21.0 / 9}}

// AspectRatio maps an OpenAI size ("1792x1024") to the closest Gemini
// aspect ratio ("16:9"); "" for auto or an unreadable size.
func AspectRatio(size string) string {
	w, h, ok := strings.Cut(size, "x")
	wf, err1 := strconv.ParseFloat(w, 64)
	hf, err2 := strconv.ParseFloat(h, 64)
	if !ok || err1 != nil || err2 != nil || wf <= 0 || hf <= 0 {
		return ""
	}
	want, best, bestD := wf/hf, "", 1e9
	for _, a := range aspectRatios {
		if d := math.Abs(a.r - want); d < bestD {
			best, bestD = a.name, d
		}
	}
	return best
}

// ImageBlocks are the images of an answer (text parts are dropped).
func ImageBlocks(resp *ir.Response) []ir.Block {
	var out []ir.Block
	for _, b := range resp.Content {
		if b.Type == ir.BlockImage && b.Data != "" && strings.HasPrefix(strings.ToLower(b.MediaType), "image/") {
			out = append(out, b)
		}
	}
	return out
}

// imagesAnswer is OpenAI's images answer.
type imagesAnswer struct {
	Created int64        `json:"created"`
	Data    []imageDatum `json:"data"`
	Usage   *imageUsage  `json:"usage,omitempty"`
}

type imageDatum struct {
	B64JSON string `json:"b64_json,omitempty"`
	URL     string `json:"url,omitempty"`
}

type imageUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// ImagesAnswer writes OpenAI's images answer from image blocks. With
// response_format url the image travels as a data: URL (an upstream that
// draws inline has no URL to give).
func ImagesAnswer(created int64, images []ir.Block, format string, u ir.Usage) []byte {
	a := imagesAnswer{Created: created, Data: make([]imageDatum, len(images))}
	for i, b := range images {
		if format == "url" {
			a.Data[i].URL = "data:" + b.MediaType + ";base64," + b.Data
		} else {
			a.Data[i].B64JSON = b.Data
		}
	}
	if !u.IsZero() {
		a.Usage = &imageUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
	}
	out, _ := json.Marshal(a)
	return out
}

// CountImages counts the images of an OpenAI images answer and reads its
// token usage (GPT Image reports one).
func CountImages(body []byte) (int, ir.Usage) {
	r := gjson.ParseBytes(body)
	u := r.Get("usage")
	return int(r.Get("data.#").Int()), ir.Usage{InputTokens: int(u.Get("input_tokens").Int()), OutputTokens: int(u.Get("output_tokens").Int())}
}

// OpenAIImageRequest is the images/generations body a Gemini client's
// image request becomes for an OpenAI-style upstream: the text of its last
// user turn as the prompt, the size closest to its aspect ratio, b64_json
// (DALL·E; GPT Image always answers so and refuses the field).
func OpenAIImageRequest(req *ir.Request, model string) ([]byte, error) {
	prompt := lastUserText(req)
	if prompt == "" {
		return nil, badRequest("the request has no text to draw from")
	}
	m := map[string]any{"model": model, "prompt": prompt, "n": 1}
	if req.Output != nil {
		if s := sizeFor(req.Output.AspectRatio); s != "" {
			m["size"] = s
		}
	}
	if strings.HasPrefix(model, "dall-e") {
		m["response_format"] = "b64_json"
	}
	return json.Marshal(m)
}

// sizeFor is the OpenAI size closest to a Gemini aspect ratio.
func sizeFor(ratio string) string {
	switch ratio {
	case "1:1":
		return "1024x1024"
	case "3:2", "4:3", "5:4", "16:9", "21:9":
		return "1536x1024"
	case "2:3", "3:4", "4:5", "9:16":
		return "1024x1536"
	}
	return ""
}

// ImagesToResponse reads an OpenAI images answer into image blocks (for a
// Gemini client). URL-only answers cannot be inlined.
func ImagesToResponse(body []byte, model string) (*ir.Response, error) {
	r := gjson.ParseBytes(body)
	mime := "image/" + r.Get("output_format").String()
	if mime == "image/" {
		mime = "image/png"
	}
	resp := &ir.Response{Model: model, StopReason: ir.StopEndTurn}
	var err error
	r.Get("data").ForEach(func(_, d gjson.Result) bool {
		b64 := d.Get("b64_json").String()
		if b64 == "" {
			err = upstreamError("the upstream answered an image URL instead of image data")
			return false
		}
		resp.Content = append(resp.Content, ir.Block{Type: ir.BlockImage, MediaType: mime, Data: b64})
		return true
	})
	if err == nil && len(resp.Content) == 0 {
		err = upstreamError("the upstream answered no image")
	}
	_, resp.Usage = CountImages(body)
	return resp, err
}

// lastUserText is the text of the last user turn.
func lastUserText(req *ir.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != ir.RoleUser {
			continue
		}
		var sb strings.Builder
		for _, b := range m.Content {
			if b.Type == ir.BlockText {
				if sb.Len() > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(b.Text)
			}
		}
		return sb.String()
	}
	return ""
}

// HasInputImages reports images in the request (edits from a Gemini
// client).
func HasInputImages(req *ir.Request) bool {
	for _, m := range req.Messages {
		for _, b := range m.Content {
			if b.Type == ir.BlockImage {
				return true
			}
		}
	}
	return false
}

// InlineImage turns an uploaded file into an inline image block.
func InlineImage(data []byte, contentType string) ir.Block {
	if contentType == "" || contentType == "application/octet-stream" {
		contentType = sniffImage(data)
	}
	return ir.Block{Type: ir.BlockImage, MediaType: contentType, Data: base64.StdEncoding.EncodeToString(data)}
}

func sniffImage(b []byte) string {
	switch {
	case len(b) >= 8 && string(b[1:4]) == "PNG":
		return "image/png"
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8:
		return "image/jpeg"
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return "image/png"
}

func badRequest(msg string) *ir.Error {
	return &ir.Error{Kind: ir.KindBadRequest, Status: 400, Message: msg}
}

func upstreamError(msg string) *ir.Error {
	return &ir.Error{Kind: ir.KindUpstream5xx, Status: 502, Message: msg}
}
