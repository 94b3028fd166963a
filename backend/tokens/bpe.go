package tokens

import (
	"sync"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer/codec"
)

// encoding names one of OpenAI's byte-pair encodings. Both are compiled into
// the binary by github.com/tiktoken-go/tokenizer (the ranks are Go source in
// that module, nothing is read or downloaded at run time) and each is built
// on first use only: o200k_base costs about 25 ms and 12 MB of heap the first
// time, cl100k_base about 10 ms and 6 MB. Nothing on the request path touches
// them; only count_tokens does.
type encoding int

const (
	o200k  encoding = iota // gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o-series, codex; the yardstick for other vendors
	cl100k                 // gpt-4, gpt-3.5-turbo, text-embedding-3
)

var codecs = [...]func() *codec.Codec{
	o200k:  sync.OnceValue(codec.NewO200kBase),
	cl100k: sync.OnceValue(codec.NewCl100kBase),
}

// count returns the number of tokens of s in e. A *codec.Codec is safe for
// concurrent use (its vocabulary is read-only, its regexp pools runners).
func (e encoding) count(s string) int {
	if s == "" {
		return 0
	}
	n, err := codecs[e]().Count(s)
	if err != nil { // only a regexp engine failure; never seen, but never fail a count
		return roughCount(s)
	}
	return n
}

// roughCount is the old character heuristic, kept as a fallback: ASCII at
// ~4 chars/token, other scripts at ~1.5 runes/token.
func roughCount(s string) int {
	ascii, other := 0, 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			ascii++
			i++
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		other++
		i += w
	}
	return (ascii+3)/4 + (other*2+2)/3
}
