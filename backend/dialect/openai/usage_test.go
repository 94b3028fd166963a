package openai

import (
	"testing"

	"github.com/tidwall/gjson"

	"switchboard/backend/ir"
)

// Every usage field OpenAI-compatible upstreams report is read, wherever it
// sits in the object; DeepSeek's cache hits count when the details do not.
func TestDecodeUsage(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ir.Usage
	}{
		{`{"prompt_tokens":100,"completion_tokens":47,"total_tokens":147}`, ir.Usage{InputTokens: 100, OutputTokens: 47}},
		{`{"completion_tokens_details":{"reasoning_tokens":30},"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens":47,"prompt_tokens":100}`,
			ir.Usage{InputTokens: 100, OutputTokens: 47, CachedTokens: 64, ReasoningTokens: 30}},
		{`{"prompt_tokens": 90, "completion_tokens": 5, "prompt_cache_hit_tokens": 80, "prompt_cache_miss_tokens": 10}`,
			ir.Usage{InputTokens: 90, OutputTokens: 5, CachedTokens: 80}},
		{`{"prompt_tokens":90,"prompt_tokens_details":{"cached_tokens":70},"prompt_cache_hit_tokens":80}`, ir.Usage{InputTokens: 90, CachedTokens: 70}},
		{`null`, ir.Usage{}},
	} {
		if got := decodeUsage(gjson.Parse(c.in)); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.in, got, c.want)
		}
	}
}
