package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	_ "image/gif" // DecodeConfig only: the header, never the pixels
	_ "image/jpeg"
	_ "image/png"
	"math"
	"strings"
)

// imageCost is a vendor's documented price of one image of w×h pixels in
// prompt tokens; w and h are 0 when the size is unknown (a URL, or bytes we
// cannot read), and the cost is then the vendor's usual full-size image.
type imageCost func(w, h int) int

// claudeImage: Anthropic's vision guide, "tokens = (width px * height px) /
// 750", after the image is scaled to fit 1568 px on its long edge and about
// 1.15 megapixels, so at most about 1,600 tokens, which is also the cost
// taken for an image of unknown size.
func claudeImage(w, h int) int {
	if w <= 0 || h <= 0 {
		return 1600
	}
	fw, fh := fit(float64(w), float64(h), 1568)
	if a := fw * fh; a > 1_150_000 {
		s := math.Sqrt(1_150_000 / a)
		fw, fh = fw*s, fh*s
	}
	return min(1600, int(math.Ceil(fw*fh/750)))
}

// openAIImage: OpenAI's vision guide for detail "high"/"auto" on gpt-4o,
// gpt-4.1, gpt-5 and o-series: fit in 2048×2048, scale the short side down
// to 768, then 85 tokens plus 170 per 512-px tile. Unknown size: a 1024×1024
// image, 4 tiles (765 tokens).
func openAIImage(w, h int) int {
	if w <= 0 || h <= 0 {
		w, h = 1024, 1024
	}
	fw, fh := fit(float64(w), float64(h), 2048)
	if s := min(fw, fh); s > 768 {
		fw, fh = fw*768/s, fh*768/s
	}
	tiles := math.Ceil(fw/512) * math.Ceil(fh/512)
	return 85 + 170*int(tiles)
}

// openAIPatchImage: OpenAI's vision guide for the mini/nano models: the
// image is cut into 32×32 patches (scaled down to at most 1,536 patches) and
// the patch count is multiplied by a per-model factor (documented 1.62 for
// gpt-4.1-mini, 2.46 for gpt-4.1-nano, 1.72 for o4-mini; gpt-5-mini measured
// at ~1.2 on 8 recorded requests). Unknown size: 1024×1024.
func openAIPatchImage(mult float64) imageCost {
	return func(w, h int) int {
		if w <= 0 || h <= 0 {
			w, h = 1024, 1024
		}
		return int(math.Ceil(mult * float64(patches(float64(w), float64(h), 32, 1536))))
	}
}

// gridImage: models that spend one token per cell×cell pixels: Qwen2/2.5/3
// VL and GLM-4.xV merge 14-px patches 2×2, one token per 28×28 pixels (the
// Qwen2-VL model card), capped at 16,384. Unknown size: 1024×1024.
func gridImage(w, h int) int {
	if w <= 0 || h <= 0 {
		w, h = 1024, 1024
	}
	return patches(float64(w), float64(h), 28, 16384)
}

// llama4Image: Llama 4 tiles an image into 336-px tiles (at most 16) plus
// one global view, 144 tokens each (Meta's Llama 4 model card and its
// processor); fits the two recorded Groq requests within 2%.
func llama4Image(w, h int) int {
	if w <= 0 || h <= 0 {
		w, h = 1024, 1024
	}
	fw, fh := float64(w), float64(h)
	for math.Ceil(fw/336)*math.Ceil(fh/336) > 16 {
		fw, fh = fw*0.95, fh*0.95
	}
	return 144 * (int(math.Ceil(fw/336)*math.Ceil(fh/336)) + 1)
}

// patches counts cell×cell patches of w×h, scaling the image down first so
// there are at most limit.
func patches(w, h, cell, limit float64) int {
	n := math.Ceil(w/cell) * math.Ceil(h/cell)
	if n > limit {
		s := math.Sqrt(cell * cell * limit / (w * h))
		w, h = w*s, h*s
		n = math.Ceil(w/cell) * math.Ceil(h/cell)
		for n > limit {
			w, h = w*0.99, h*0.99
			n = math.Ceil(w/cell) * math.Ceil(h/cell)
		}
	}
	return int(n)
}

// gemini2Image: Gemini's token guide for 2.x models: an image with both
// sides at most 384 px is 258 tokens; a larger one is cut into 768×768 tiles
// of 258 tokens each. Unknown size: one tile.
func gemini2Image(w, h int) int {
	if w <= 384 && h <= 384 {
		return 258
	}
	return 258 * int(math.Ceil(float64(w)/768)*math.Ceil(float64(h)/768))
}

// gemini3Image: Gemini 3's media_resolution guide: images default to
// "high", 1,120 tokens each whatever their size.
func gemini3Image(int, int) int { return 1120 }

// fit scales w×h down so neither side exceeds limit.
func fit(w, h, limit float64) (float64, float64) {
	if m := max(w, h); m > limit {
		return w * limit / m, h * limit / m
	}
	return w, h
}

// imageSize reads the pixel size from the header of a base64 image (PNG,
// JPEG, GIF, WebP); 0, 0 when it cannot.
func imageSize(data string) (int, int) {
	if data == "" {
		return 0, 0
	}
	// A JPEG's size comes after its EXIF block, which may be up to 64 KiB:
	// 256 KiB of base64 (192 KiB of bytes) always reaches it.
	const prefix = 256 << 10
	if len(data) > prefix {
		data = data[:prefix]
	}
	data = strings.TrimRight(data, "=")
	data = data[:len(data)/4*4]
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if raw, err = base64.URLEncoding.DecodeString(data); err != nil {
			return 0, 0
		}
	}
	if w, h, ok := webpSize(raw); ok {
		return w, h
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}

// webpSize reads the canvas size of a WebP (lossy VP8, lossless VP8L or
// extended VP8X), which the standard library cannot decode.
func webpSize(b []byte) (int, int, bool) {
	if len(b) < 30 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8X":
		w := int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		h := int(b[27]) | int(b[28])<<8 | int(b[29])<<16
		return w + 1, h + 1, true
	case "VP8L":
		v := binary.LittleEndian.Uint32(b[21:25])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, true
	case "VP8 ":
		return int(binary.LittleEndian.Uint16(b[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:30]) & 0x3fff), true
	}
	return 0, 0, false
}
