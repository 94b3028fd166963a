package logging

import (
	"strings"
	"testing"
	"time"
)

const (
	ghClassic = "ghp_0123456789abcdefghijABCDEFGHIJ012345" // ghp_ + 36
	ghFine    = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh"
	jwt       = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// GitHub tokens, every prefix.
		{"ghp", "token " + ghClassic + " end", "token [REDACTED] end"},
		{"gho", `{"t":"gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}`, `{"t":"[REDACTED]"}`},
		{"ghu", "ghu_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "[REDACTED]"},
		{"ghs", "x=1 ghs_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.", "x=1 [REDACTED]."},
		{"ghr", "ghr_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "[REDACTED]"},
		{"github_pat", "GITHUB_TOKEN: " + ghFine, "GITHUB_TOKEN: [REDACTED]"},
		{"gh prefix too short", "ghp_short and gho_x", "ghp_short and gho_x"},
		{"gh in words", "the thought through github_pat_ stays", "the thought through github_pat_ stays"},
		{"gh unknown letter", "ghx_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "ghx_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"},

		// JWTs.
		{"jwt", "id_token " + jwt + " ok", "id_token [REDACTED] ok"},
		{"jwt in json", `{"assertion":"` + jwt + `"}`, `{"assertion":"[REDACTED]"}`},
		{"jwt alg none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. x", "[REDACTED] x"},
		{"bearer jwt", "Authorization: Bearer " + jwt, "Authorization: Bearer [REDACTED]"},
		{"eyJ alone", "eyJhbGciOiJIUzI1NiJ9 is one segment", "eyJhbGciOiJIUzI1NiJ9 is one segment"},
		{"eyJ word", "eyJust.so.fine and eyJx.y.z", "eyJust.so.fine and eyJx.y.z"},
		{"two segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"},

		// password=…
		{"form", "user=ann&password=hunter2&next=/", "user=ann&password=[REDACTED]&next=/"},
		{"query", "/login?password=s3cr3t", "/login?password=[REDACTED]"},
		{"kv text", "db_password=hunter2 host=db", "db_password=[REDACTED] host=db"},
		{"kv spaced quoted", `PASSWORD = "hunter 2"`, `PASSWORD = "[REDACTED] 2"`},
		{"kv empty", "password=&user=ann", "password=&user=ann"},

		// "password":"…"
		{"json", `{"user":"ann","password":"hunter2"}`, `{"user":"ann","password":"[REDACTED]"}`},
		{"json spaced, escaped quote", `{"Password" : "hun\"ter2", "x": 1}`, `{"Password" : "[REDACTED]", "x": 1}`},
		{"json prefixed key", `{"db_password":"p@ss"}`, `{"db_password":"[REDACTED]"}`},
		{"json truncated", `{"password":"hunter2`, `{"password":"[REDACTED]`},
		{"json empty", `{"password":""}`, `{"password":""}`},
		{"json escaped in tool args", `"arguments":"{\"user\":\"ann\",\"password\":\"hunter2\"}"`, `"arguments":"{\"user\":\"ann\",\"password\":\"[REDACTED]\"}"`},
		{"json escaped inner quote", `"{\"password\":\"a\\\"b\",\"x\":1}"`, `"{\"password\":\"[REDACTED]\",\"x\":1}"`},
		{"password inside a value", `{"password":"my password=x \"password\":\"y"}`, `{"password":"[REDACTED]"}`},
		{"two passwords", `{"password":"a","old_password":"b"}`, `{"password":"[REDACTED]","old_password":"[REDACTED]"}`},

		// Not passwords.
		{"prose", "reset your password via the link", "reset your password via the link"},
		{"other key", `{"password_hint":"pet name","passwords":3}`, `{"password_hint":"pet name","passwords":3}`},
		{"password as value", `{"field":"password"}`, `{"field":"password"}`},

		// What was already scrubbed still is.
		{"openai key", "invalid key sk-proj-abcdefghijklmnopqrstuvwxyz", "invalid key [REDACTED]"},
		{"gemini query", "/v1beta/models/x?key=AIzaSyAAAAAAAAAAAAAAAAAAAAAAAAA&alt=sse", "/v1beta/models/x?key=[REDACTED]&alt=sse"},
		{"nothing", `{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}`, `{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Scrub(tt.in); got != tt.want {
				t.Errorf("Scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Pathological inputs stay linear: RE2 never backtracks, and the password
// scan runs one anchored match per occurrence and resumes after each value.
// A quadratic scan of 256 KiB would take minutes, far beyond the bound.
func TestScrubLinear(t *testing.T) {
	const n = 256 << 10
	for name, tc := range map[string]struct {
		in       string
		redacted int
	}{
		"many json passwords": {strings.Repeat(`{"password":"hunter2"}`, n/22), n / 22},
		"many kv passwords":   {strings.Repeat("password=hunter2 ", n/17), n / 17},
		"unterminated value":  {`{"password":"` + strings.Repeat(`password \`, n/10), 1},
		"keys without values": {strings.Repeat(`"password"`, n/10), 0},
		"eyJ near misses":     {strings.Repeat("eyJaaaaaaaaaa..", n/15), 0},
		"gh runs":             {strings.Repeat("ghp_", n/4), 0},
	} {
		start := time.Now()
		out := Scrub(tc.in)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: %v for 256 KiB", name, d)
		}
		if got := strings.Count(out, Redacted); got != tc.redacted || strings.Contains(out, "hunter2") {
			t.Errorf("%s: %d redactions, want %d (leak: %v)", name, got, tc.redacted, strings.Contains(out, "hunter2"))
		}
	}
}

// benchBody is a chat request of about 64 KiB (the logged size): prose,
// code, URLs and a tool call with a password, plus a couple of tokens.
var benchBody = func() string {
	var b strings.Builder
	b.WriteString(`{"model":"gpt-5","messages":[`)
	for b.Len() < 64<<10 {
		b.WriteString(`{"role":"user","content":"Refactor this function so it streams the file through the thought-out high path; keep the error handling. func load(p string) ([]byte, error) { return os.ReadFile(p) } // see https://example.com/docs?page=2&lang=en"},`)
		b.WriteString(`{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"login","arguments":"{\"user\":\"ann\",\"password\":\"hunter2\"}"}}]},`)
	}
	b.WriteString(`{"role":"user","content":"token ` + ghClassic + ` and sk-proj-abcdefghijklmnopqrstuvwxyz and ` + jwt + `"}]}`)
	return b.String()
}()

// cleanBody is the same size with nothing to redact: the common case.
var cleanBody = strings.Repeat(`{"role":"user","content":"Refactor this function so it streams the file through the high path. func load(p string) ([]byte, error) { return os.ReadFile(p) }"},`, 450)

func BenchmarkScrub(b *testing.B) {
	for name, body := range map[string]string{"secrets": benchBody, "clean": cleanBody} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Scrub(body)
			}
		})
	}
}
