package agentbody

import (
	"strconv"
	"strings"
)

// rng is splitmix64: tiny, fast, and fixed forever, so a seed names the
// same body on every Go release (math/rand makes no such promise).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn is uniform in [0, n).
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between is uniform in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }

// zipf picks an index in [0, n) with the low indexes far more likely, like
// word frequencies in prose (the square of a uniform: a steep head and a long tail).
func (r *rng) zipf(n int) int {
	u := float64(r.next()>>11) / (1 << 53)
	return int(u * u * float64(n))
}

// sized draws a length around mean with a long tail: most tool results are
// short, a few are whole files.
func (r *rng) sized(mean int) int {
	switch x := r.intn(100); {
	case x < 55:
		return r.between(mean/8, mean/2)
	case x < 85:
		return r.between(mean/2, mean*3/2)
	case x < 97:
		return r.between(mean, mean*3)
	default:
		return r.between(mean*3, mean*8)
	}
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// The vocabulary of the synthetic prose: common English words, most
// frequent first (r.zipf favours the head), plus the project-talk words an
// agent conversation is full of. None of it comes from a real prompt.
var words = strings.Fields(`
the to of and a in is it that for you this be on with as are not or can if
use when your should file will by from an any but do all its one more only
have has was then than so at they what which there each into other may must
also these new make sure before after without about like need work see run
code test change function value name line path error output result command
current first both next just call read write check return instead same tool
example user project request answer note keep never always because while
where does set find show list open edit add remove update create build start
stop step steps task tasks part data type types field fields option options
config server client module package import export struct method interface
string number boolean array object default required optional parameter input
state event events stream buffer memory cache limit timeout retry status
directory directories repository branch commit message messages review diff
pattern search match matches replace pass fail failed passing failing clear
simple small large long short whole many few most less least every often
again already still even early later now here how why who whom whose own
time times order after before between within across through under over
context session window model models token tokens budget cost price usage
log logs trace debug verbose quiet format formats parse parsing encode decode
valid invalid empty full missing unknown known exact similar different safe
handle handles handler route routes routing upstream downstream proxy request
prefer avoid ensure verify confirm explain describe summarize mention include
user's project's team's agent agents plan plans planning approach approaches
careful carefully quickly directly usually rarely clearly briefly exactly
`)

// identParts build identifiers: fooBar, foo_bar, FooBar.
var identParts = strings.Fields(`
read write open close parse load save get set new make build run start stop
handle serve send recv flush reset next prev item items node nodes list map
key keys value values name names path paths file files dir conf config opts
user users token tokens cache entry entries index count size len buf data
req resp res err ctx log msg id ids url host port addr conn pool queue job
state status mode kind type field fields row rows col table store db tx
stream chunk event events frame frames model route plan budget limit retry
`)

var goKeywords = []string{"if", "for", "return", "func", "var", "const", "switch", "case", "defer", "go", "range"}

var fileExts = []string{"go", "go", "go", "ts", "ts", "py", "md", "json", "yaml", "sh", "svelte", "css"}

var dirNames = strings.Fields(`backend src internal cmd pkg app lib api core util store server client
web ui components routes scripts docs test testdata config build`)

// sentence appends one sentence of prose.
func (r *rng) sentence(b []byte) []byte {
	n := r.between(5, 24)
	for i := range n {
		if i > 0 {
			switch {
			case r.chance(0.06):
				b = append(b, ", "...)
			case r.chance(0.01):
				b = append(b, " — "...)
			default:
				b = append(b, ' ')
			}
		}
		switch {
		case r.chance(0.04):
			b = append(b, '`')
			b = r.ident(b)
			b = append(b, '`')
		case r.chance(0.01):
			b = append(b, '"')
			b = append(b, pick(r, words)...)
			b = append(b, '"')
		case r.chance(0.008):
			b = r.path(b)
		case r.chance(0.004):
			b = append(b, pick(r, []string{"café", "naïve", "résumé", "größer", "déjà", "→", "≤", "…"})...)
		default:
			w := words[r.zipf(len(words))]
			if i == 0 {
				b = append(b, strings.ToUpper(w[:1])...)
				w = w[1:]
			}
			b = append(b, w...)
		}
	}
	return append(b, pick(r, []string{".", ".", ".", ".", ".", ":", "?", "!"})...)
}

// prose appends about n bytes of paragraphs, with the odd markdown list or
// heading the way prompts and answers are written.
func (r *rng) prose(b []byte, n int) []byte {
	start := len(b)
	for len(b)-start < n {
		if len(b) > start {
			b = append(b, "\n\n"...)
		}
		switch {
		case r.chance(0.12):
			b = append(b, "## "...)
			b = r.title(b)
		case r.chance(0.2):
			for i := range r.between(2, 6) {
				if i > 0 {
					b = append(b, '\n')
				}
				b = append(b, "- "...)
				b = r.sentence(b)
			}
		default:
			for i := range r.between(1, 5) {
				if i > 0 {
					b = append(b, ' ')
				}
				b = r.sentence(b)
			}
		}
	}
	return b
}

// shortText is one sentence or two: a description, a summary.
func (r *rng) shortText(b []byte) []byte {
	b = r.sentence(b)
	if r.chance(0.5) {
		b = append(b, ' ')
		b = r.sentence(b)
	}
	return b
}

func (r *rng) title(b []byte) []byte {
	for i := range r.between(2, 5) {
		if i > 0 {
			b = append(b, ' ')
		}
		w := words[r.zipf(len(words))]
		b = append(b, strings.ToUpper(w[:1])...)
		b = append(b, w[1:]...)
	}
	return b
}

// ident appends a Go/TS-style identifier.
func (r *rng) ident(b []byte) []byte {
	n := r.between(1, 3)
	snake := r.chance(0.25)
	for i := range n {
		p := pick(r, identParts)
		switch {
		case i == 0:
			b = append(b, p...)
		case snake:
			b = append(append(b, '_'), p...)
		default:
			b = append(b, strings.ToUpper(p[:1])...)
			b = append(b, p[1:]...)
		}
	}
	return b
}

func (r *rng) path(b []byte) []byte {
	b = append(b, "/home/user/project"...)
	for range r.between(1, 4) {
		b = append(b, '/')
		b = append(b, pick(r, dirNames)...)
	}
	b = append(b, '/')
	b = r.ident(b)
	b = append(b, '.')
	return append(b, pick(r, fileExts)...)
}

// codeLine appends one line of Go-like source (no newline).
func (r *rng) codeLine(b []byte, depth int) []byte {
	for range depth {
		b = append(b, '\t')
	}
	switch x := r.intn(20); {
	case x < 3:
		b = append(b, "// "...)
		b = r.sentence(b)
	case x < 6:
		b = r.ident(b)
		b = append(b, " := "...)
		b = r.ident(b)
		b = append(b, '(')
		b = r.ident(b)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(r.intn(4096)), 10)
		b = append(b, ')')
	case x < 8:
		b = append(b, "if err != nil {"...)
	case x < 9:
		b = append(b, `return fmt.Errorf("`...)
		b = r.ident(b)
		b = append(b, `: %w", err)`...)
	case x < 11:
		b = append(b, pick(r, goKeywords)...)
		b = append(b, ' ')
		b = r.ident(b)
		b = append(b, " {"...)
	case x < 12:
		b = append(b, '}')
	case x < 14:
		b = r.ident(b)
		b = append(b, '.')
		b = r.ident(b)
		b = append(b, `("`...)
		b = append(b, words[r.zipf(len(words))]...)
		b = append(b, ` \"`...)
		b = r.ident(b)
		b = append(b, `\"")`...)
	case x < 16:
		b = append(b, "return "...)
		b = r.ident(b)
		b = append(b, ", nil"...)
	default:
		b = r.ident(b)
		b = append(b, " = append("...)
		b = r.ident(b)
		b = append(b, ", "...)
		b = r.ident(b)
		b = append(b, "...)"...)
	}
	return b
}

// code appends about n bytes of source, numbered like a file viewer's
// output ("   12\tline") when numbered is set.
func (r *rng) code(b []byte, n int, numbered bool) []byte {
	start, line, depth := len(b), r.between(1, 400), 0
	for len(b)-start < n {
		if numbered {
			num := strconv.Itoa(line)
			for range 6 - len(num) {
				b = append(b, ' ')
			}
			b = append(b, num...)
			b = append(b, '\t')
		}
		if r.chance(0.08) {
			b = append(b, '\n') // a blank line
			line++
			continue
		}
		b = r.codeLine(b, depth)
		b = append(b, '\n')
		line++
		switch {
		case b[len(b)-2] == '{':
			depth = min(depth+1, 5)
		case b[len(b)-2] == '}' && depth > 0:
			depth--
		case r.chance(0.1) && depth > 0:
			depth--
		}
	}
	return b
}

// commandOutput appends about n bytes of what a shell command prints: test
// runs, listings, diffs.
func (r *rng) commandOutput(b []byte, n int) []byte {
	start := len(b)
	for len(b)-start < n {
		switch x := r.intn(10); {
		case x < 3:
			b = append(b, pick(r, []string{"ok  \t", "ok  \t", "FAIL\t", "?   \t"})...)
			b = append(b, "switchbench/"...)
			b = append(b, pick(r, dirNames)...)
			b = append(b, '/')
			b = append(b, pick(r, identParts)...)
			b = append(b, '\t')
			b = strconv.AppendFloat(b, float64(r.intn(9000))/1000, 'f', 3, 64)
			b = append(b, 's')
		case x < 5:
			b = append(b, pick(r, []string{"-rw-r--r-- 1 user user ", "drwxr-xr-x 2 user user "})...)
			b = strconv.AppendInt(b, int64(r.intn(90000)), 10)
			b = append(b, " Jun 12 10:"...)
			b = strconv.AppendInt(b, int64(10+r.intn(50)), 10)
			b = append(b, ' ')
			b = r.ident(b)
			b = append(b, '.')
			b = append(b, pick(r, fileExts)...)
		case x < 7:
			b = append(b, pick(r, []string{"+", "-", " "})...)
			b = r.codeLine(b, r.intn(3))
		case x < 8:
			b = append(b, "--- FAIL: Test"...)
			b = r.ident(b)
			b = append(b, " (0.0"...)
			b = strconv.AppendInt(b, int64(r.intn(99)), 10)
			b = append(b, "s)"...)
		default:
			b = r.path(b)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(r.between(1, 900)), 10)
			b = append(b, ": "...)
			b = r.sentence(b)
		}
		b = append(b, '\n')
	}
	return b
}

// toolOutput is a tool result's text: file contents most often, then
// command output, then prose (a fetched page, a search summary).
func (r *rng) toolOutput(n int) string {
	b := make([]byte, 0, n+128)
	switch x := r.intn(10); {
	case x < 5:
		b = r.code(b, n, true)
	case x < 8:
		b = r.commandOutput(b, n)
	default:
		b = r.prose(b, n)
	}
	return string(b)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// id is prefix + n base62 characters.
func (r *rng) id(prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	for range n {
		b = append(b, base62[r.intn(len(base62))])
	}
	return string(b)
}

func (r *rng) uuid() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		b = append(b, hex[r.intn(16)])
	}
	return string(b)
}

// opaque is a base64 blob of about n characters: a signature, an
// encrypted reasoning item. It never contains "swb1", the tag the gateway
// puts on signatures it wrapped (a body holding it is never passed through
// byte for byte).
func (r *rng) opaque(prefix string, n int) string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, 0, len(prefix)+n+2)
	b = append(b, prefix...)
	n -= n % 4
	for range n {
		b = append(b, b64[r.intn(64)])
	}
	s := strings.ReplaceAll(string(b), "swb1", "swc1")
	return s
}
