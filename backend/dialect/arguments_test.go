package dialect_test

import (
	"testing"

	"switchboard/backend/dialect"
)

func TestArgumentsObject(t *testing.T) {
	for in, want := range map[string]string{
		`{"path":"a.go"}`:      `{"path":"a.go"}`,
		"  {\"n\": 1}\n":       `{"n": 1}`,
		`{"path":"a.go"`:       `{}`, // cut off by max_tokens
		`["a"]`:                `{}`,
		`"text"`:               `{}`,
		``:                     `{}`,
		`{"a":1} trailing`:     `{}`,
		`{"s":"\u00e9 \"q\""}`: `{"s":"\u00e9 \"q\""}`,
	} {
		if got := string(dialect.ArgumentsObject(in)); got != want {
			t.Errorf("ArgumentsObject(%q) = %s, want %s", in, got, want)
		}
	}
}
