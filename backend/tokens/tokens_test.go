package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"sync"
	"testing"

	"switchboard/backend/ir"
)

func userText(model, s string) *ir.Request {
	return &ir.Request{Model: model, Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: s}}}}}
}

func TestFamily(t *testing.T) {
	for _, tc := range []struct{ model, want string }{
		{"gpt-4o", "openai"},
		{"gpt-4o-mini-2024-07-18", "openai"},
		{"gpt-4.1-nano", "openai"},
		{"gpt-5.4", "openai"},
		{"gpt-5.1-codex-mini", "openai"},
		{"openai/gpt-5-mini", "openai"},
		{"o3-mini", "openai"},
		{"o4-mini", "openai"},
		{"gpt-4-0613", "openai-cl100k"},
		{"gpt-3.5-turbo", "openai-cl100k"},
		{"gpt-oss-120b", "gpt-oss"},
		{"openai.gpt-oss-20b", "gpt-oss"},
		{"claude-sonnet-4-5", "claude"},
		{"anthropic/claude-3.7-sonnet:thinking", "claude"},
		{"us.anthropic.claude-sonnet-4-20250514-v1:0", "claude"},
		{"gemini-2.5-flash", "gemini"},
		{"gemini-3-pro-preview", "gemini"},
		{"models/gemini-2.0-flash", "gemini"},
		{"meta-llama/llama-4-scout-17b-16e-instruct", "llama"},
		{"deepseek-r1-distill-llama-70b", "deepseek"},
		{"qwen/qwen3-32b", "qwen"},
		{"zai-glm-4.7", "glm"},
		{"kimi-k2-instruct", "kimi"},
		{"mistral-large-latest", "mistral"},
		{"devstral-small", "mistral"},
		{"p-openai-model", "generic"},
		{"", "generic"},
	} {
		if got := Family(tc.model); got != tc.want {
			t.Errorf("Family(%q) = %q, want %q", tc.model, got, tc.want)
		}
	}
}

// TestOpenAIExact: for OpenAI models the text count is their own tokenizer
// and the framing the cookbook's, so a short chat is exact.
func TestOpenAIExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  *ir.Request
		want int
	}{
		// o200k: "hello world" is 2 tokens; 4 for the message, 3 priming.
		{"o200k", userText("gpt-4o", "hello world"), 2 + 4 + 3},
		// cl100k: the same 2 tokens; 3 per message on gpt-4.
		{"cl100k", userText("gpt-4", "hello world"), 2 + 3 + 3},
		// The tokenizers differ: "'RE" is 2 o200k tokens, 1 cl100k token.
		{"o200k_differs", userText("gpt-4o", "'RE"), 2 + 4 + 3},
		{"cl100k_differs", userText("gpt-4", "'RE"), 1 + 3 + 3},
		{"system", &ir.Request{Model: "gpt-4.1", System: []ir.Block{{Type: ir.BlockText, Text: "hello world"}},
			Messages: userText("", "hello world").Messages}, 2 + 2 + 2*4 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Estimate(tc.req); got != tc.want {
				t.Errorf("Estimate = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCounted: every part of a request adds to the estimate.
func TestCounted(t *testing.T) {
	base := func() *ir.Request { return userText("claude-sonnet-4-5", "What is the weather in Paris?") }
	params := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","description":"City name"}},"required":["city"]}`)
	for _, tc := range []struct {
		name string
		add  func(r *ir.Request)
		min  int // at least this many more tokens
	}{
		{"system", func(r *ir.Request) {
			r.System = []ir.Block{{Type: ir.BlockText, Text: strings.Repeat("You are a careful assistant. ", 20)}}
		}, 100},
		{"tool_definition", func(r *ir.Request) {
			r.Tools = []ir.Tool{{Kind: ir.ToolKindFunction, Name: "get_weather", Description: "Current weather", Parameters: params}}
		}, 346},
		{"tool_use_and_result", func(r *ir.Request) {
			r.Messages = append(r.Messages,
				ir.Message{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockToolUse, ToolCallID: "t1", ToolName: "get_weather", Input: json.RawMessage(`{"city":"Paris"}`)}}},
				ir.Message{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockToolResult, ToolCallID: "t1", Content: []ir.Block{{Type: ir.BlockText, Text: "Sunny, 24 degrees Celsius, light wind from the west."}}}}})
		}, 40},
		{"image", func(r *ir.Request) {
			r.Messages[0].Content = append(r.Messages[0].Content, ir.Block{Type: ir.BlockImage, URL: "https://example.com/cat.png"})
		}, 1000},
		{"thinking_budget", func(r *ir.Request) { r.Reasoning = &ir.Reasoning{BudgetTokens: 2048} }, 20},
		{"response_schema", func(r *ir.Request) {
			r.ResponseFormat = &ir.ResponseFormat{Type: "json_schema", Schema: params}
		}, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			before := Estimate(r)
			tc.add(r)
			if got := Estimate(r); got-before < tc.min {
				t.Errorf("added %d tokens, want at least %d", got-before, tc.min)
			}
		})
	}
}

// TestRatios: the same text costs more on a family whose tokenizer is less
// dense than o200k, and the generic family errs high.
func TestRatios(t *testing.T) {
	text := strings.Repeat("func main() { fmt.Println(\"hello, world\") } // prints a greeting\n", 50)
	gpt := Estimate(userText("gpt-4o", text))
	for _, m := range []string{"claude-sonnet-4-5", "deepseek-chat", "unknown-model"} {
		if got := Estimate(userText(m, text)); got <= gpt {
			t.Errorf("%s: %d tokens, want more than gpt-4o's %d", m, got, gpt)
		}
	}
	if got := Estimate(userText("gemini-2.5-flash", text)); got < gpt*95/100 || got > gpt*115/100 {
		t.Errorf("gemini: %d tokens, want within -5%%..+15%% of gpt-4o's %d", got, gpt)
	}
}

// TestThinkTagsInHistory: a replayed "<think>…</think>answer" is reasoning,
// which Qwen/DeepSeek/GLM templates strip from earlier turns.
func TestThinkTagsInHistory(t *testing.T) {
	think := strings.Repeat("Let me reason about this step by step. ", 40)
	req := func(text string) *ir.Request {
		return &ir.Request{Model: "qwen/qwen3-32b", Messages: []ir.Message{
			{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hi"}}},
			{Role: ir.RoleAssistant, Content: []ir.Block{{Type: ir.BlockText, Text: text}}},
			{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "and?"}}},
		}}
	}
	if with, without := Estimate(req("<think>"+think+"</think>Hello!")), Estimate(req("Hello!")); with != without {
		t.Errorf("think tags counted: %d vs %d", with, without)
	}
}

func TestToolsTypeScript(t *testing.T) {
	tools := []ir.Tool{
		{Kind: ir.ToolKindFunction, Name: "get_location", Description: "Gets the location of the user."},
		{Kind: ir.ToolKindFunction, Name: "get_current_weather", Description: "Gets the current weather in the provided location.",
			Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},"format":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"},"days":{"type":"array","items":{"type":"integer"}},"opts":{"type":"object","properties":{"metric":{"type":"boolean"}}}},"required":["location"]}`)},
		{Kind: "web_search", Name: "web_search"},
	}
	want := `// Gets the location of the user.
type get_location = () => any;

// Gets the current weather in the provided location.
type get_current_weather = (_: {
// The city and state, e.g. San Francisco, CA
location: string,
format?: "celsius" | "fahrenheit", // default: "celsius"
days?: number[],
opts?: {
  metric?: boolean,
},
}) => any;

`
	if got := renderTools(tools, toolsTypeScript); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	js := renderTools(tools[:1], toolsJSON)
	if js != `{"name":"get_location","description":"Gets the location of the user."}`+"\n" {
		t.Errorf("json: %s", js)
	}
}

func encodeImage(t *testing.T, format string, w, h int) string {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestImageSize(t *testing.T) {
	vp8x := make([]byte, 30)
	copy(vp8x, "RIFF\x00\x00\x00\x00WEBPVP8X")
	vp8x[24], vp8x[25] = 0x1f, 0x03 // width-1 = 799
	vp8x[27], vp8x[28] = 0x57, 0x02 // height-1 = 599
	for _, tc := range []struct {
		name, data string
		w, h       int
	}{
		{"png", encodeImage(t, "png", 640, 480), 640, 480},
		{"jpeg", encodeImage(t, "jpeg", 1200, 900), 1200, 900},
		{"gif", encodeImage(t, "gif", 32, 16), 32, 16},
		{"webp_vp8x", base64.StdEncoding.EncodeToString(vp8x), 800, 600},
		{"not_an_image", base64.StdEncoding.EncodeToString([]byte("hello, world, not an image at all")), 0, 0},
		{"not_base64", "%%%%", 0, 0},
		{"empty", "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w, h := imageSize(tc.data); w != tc.w || h != tc.h {
				t.Errorf("imageSize = %d×%d, want %d×%d", w, h, tc.w, tc.h)
			}
		})
	}
}

// TestImageCosts checks each formula against the vendor's own examples.
func TestImageCosts(t *testing.T) {
	for _, tc := range []struct {
		name string
		cost imageCost
		w, h int
		want int
	}{
		{"openai_1024_square", openAIImage, 1024, 1024, 765},     // vision guide: 4 tiles
		{"openai_2048x4096", openAIImage, 2048, 4096, 1105},      // vision guide: 6 tiles
		{"openai_unknown", openAIImage, 0, 0, 765},               // taken as 1024×1024
		{"openai_recorded_gpt4o", openAIImage, 3008, 2000, 1105}, // a recorded gpt-4o request: 1119 with its 14 text tokens
		{"claude_1000_square", claudeImage, 1000, 1000, 1334},    // vision guide: (1000*1000)/750
		{"claude_capped", claudeImage, 4000, 3000, 1534},
		{"claude_unknown", claudeImage, 0, 0, 1600},
		{"gemini2_small", gemini2Image, 384, 384, 258},
		{"gemini2_tiles", gemini2Image, 1000, 800, 4 * 258},
		{"gemini3", gemini3Image, 100, 100, 1120},
		{"patches_nano", openAIPatchImage(2.46), 540, 360, 502}, // a recorded gpt-4.1-nano request
		{"grid_28px", gridImage, 560, 280, 200},
		{"llama4_small", llama4Image, 300, 300, 288},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cost(tc.w, tc.h); got != tc.want {
				t.Errorf("cost(%d×%d) = %d, want %d", tc.w, tc.h, got, tc.want)
			}
		})
	}
}

// TestInlineImageSized: an inline image is priced from its real size.
func TestInlineImageSized(t *testing.T) {
	small := &ir.Request{Model: "claude-sonnet-4-5", Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{
		{Type: ir.BlockImage, MediaType: "image/png", Data: encodeImage(t, "png", 150, 150)}}}}}
	if got := Estimate(small); got < 30 || got > 50 {
		t.Errorf("150×150 PNG on Claude = %d tokens, want ~30 (150*150/750) plus framing", got)
	}
}

// TestConcurrent: the lazily built encoders are shared; run with -race.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Go(func() {
			m := []string{"gpt-4o", "gpt-4", "claude-opus-4-6", "gemini-2.5-pro"}[i%4]
			got[i] = Estimate(userText(m, strings.Repeat("concurrency ", 100)))
		})
	}
	wg.Wait()
	for i := 4; i < len(got); i++ {
		if got[i] != got[i-4] {
			t.Errorf("run %d = %d, run %d = %d", i, got[i], i-4, got[i-4])
		}
	}
}

func TestRoughCount(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abcd", 1},
		{"abcde", 2},
		{"日本語", 2},
	} {
		if got := roughCount(tc.s); got != tc.want {
			t.Errorf("roughCount(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func BenchmarkEstimate(b *testing.B) {
	req := userText("claude-sonnet-4-5", strings.Repeat("The quick brown fox jumps over the lazy dog. ", 500))
	Estimate(req) // build the encoder outside the loop
	b.ResetTimer()
	for b.Loop() {
		Estimate(req)
	}
}
