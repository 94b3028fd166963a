package gateway

import "testing"

// usageOnly picks OpenAI's trailing usage chunk (which a client that did not
// ask for usage must not see) and nothing else.
func TestUsageOnly(t *testing.T) {
	for _, c := range []struct {
		chunk string
		want  bool
	}{
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":1}}`, true},
		{`{"id":"c", "choices": [ ], "usage": {"prompt_tokens":1}}`, true},
		{`{"id":"c","usage":{"prompt_tokens":1}}`, true},
		{`{"usage":{"prompt_tokens":1},"choices":[]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}`, false},
		{`{"id":"c","choices":[],"usage":null}`, false},
		{`{"id":"c","choices":[]}`, false},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"\"usage\":{}"}}]}`, false},
		{`{"usage":{"a":1},"usage":null,"choices":[]}`, true}, // the first of a repeated key
		{`{"choices":[{"index":0}],"choices":[],"usage":{"a":1}}`, false},
	} {
		if got := usageOnly([]byte(c.chunk)); got != c.want {
			t.Errorf("usageOnly(%s) = %v, want %v", c.chunk, got, c.want)
		}
	}
}
