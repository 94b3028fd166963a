// Command fakeupstream is the scripted model server of scripts/test-clis.sh:
// one enforcing reasoning-model vendor per wire dialect (see
// backend/internal/vendorsim), mounted at /sim/{anthropic,responses,gemini,
// openai}. Offered tools, each vendor thinks, signs what it thinks as its
// real counterpart does, asks the coding CLI to read --read-file with the
// CLI's own read (or shell) tool, checks the next turn kept every signature,
// and answers "pong-from-switchboard" once the file's content came back.
// Refused turns are logged as "REFUSED". It listens on loopback only and
// writes its address to --addr-file once it is ready.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"switchboard/backend/internal/vendorsim"
)

const answer = "pong-from-switchboard"

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	addrFile := flag.String("addr-file", "", "write host:port here when ready")
	readFile := flag.String("read-file", "", "absolute path of the file the model asks the CLI to read")
	mustHold := flag.String("result-must-hold", "", "text the tool result must contain")
	flag.Parse()
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("fakeupstream: --listen must be a loopback host:port, got %q", *listen)
	}
	mux := http.NewServeMux()
	for _, d := range []string{vendorsim.Anthropic, vendorsim.Responses, vendorsim.Gemini, vendorsim.OpenAI} {
		sim := vendorsim.New(d, vendorsim.Options{Pick: readTool(*readFile), FinalText: answer, PlainText: answer,
			ResultMustHold: *mustHold})
		prefix := "/sim/" + d
		mux.Handle(prefix+"/", logged(d, sim, http.StripPrefix(prefix, sim)))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("fakeupstream listening on http://%s", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// logged writes one line per request: dialect, path, the turn played, and
// the refusal when the vendor refused it.
func logged(d string, sim *vendorsim.Sim, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(sim.Log())
		h.ServeHTTP(w, r)
		for _, ex := range sim.Log()[n:] {
			if ex.Rejected != "" {
				log.Printf("%s %s %s REFUSED %d: %s", d, r.Method, r.URL.Path, ex.Status, ex.Rejected)
			} else {
				log.Printf("%s %s %s turn=%s thinking=%v bytes=%d", d, r.Method, r.URL.Path, ex.Turn, ex.Thinking, len(ex.Body))
			}
		}
	})
}

// readTools are the CLIs' read tools, then their shell tools, in order of
// preference: Claude Code's Read, Gemini CLI's read_file, OpenCode's read,
// Codex's shell tools.
var readTools = []string{"Read", "read_file", "read", "shell", "shell_command", "exec_command", "local_shell"}

// readTool picks the first offered tool of readTools and fills its required
// arguments so it reads path.
func readTool(path string) vendorsim.Picker {
	return func(tools []vendorsim.Tool) (string, map[string]any, bool) {
		for _, want := range readTools {
			for _, t := range tools {
				if t.Name == want {
					return t.Name, argsFor(t.Schema, path), true
				}
			}
		}
		names := make([]string, len(tools))
		for i, t := range tools {
			names[i] = t.Name
		}
		log.Printf("no read tool among %s", strings.Join(names, ", "))
		return "", nil, false
	}
}

func argsFor(schema map[string]any, path string) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	args := map[string]any{}
	required, _ := schema["required"].([]any)
	for _, r := range required {
		name, _ := r.(string)
		p, _ := props[name].(map[string]any)
		typ, _ := p["type"].(string)
		lname := strings.ToLower(name)
		switch {
		case lname == "command" || lname == "cmd":
			if typ == "array" {
				args[name] = []string{"cat", path}
			} else {
				args[name] = fmt.Sprintf("cat %q", path)
			}
		case strings.Contains(lname, "path") || strings.Contains(lname, "file"):
			args[name] = path
		case typ == "boolean":
			args[name] = false
		case typ == "integer" || typ == "number":
			args[name] = 0
		default:
			args[name] = ""
		}
	}
	return args
}
