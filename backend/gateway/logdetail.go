package gateway

import (
	"encoding/json"
	"net/http"

	"switchboard/backend/logging"
)

// keep copies bytes a stream sent the client into the log row's answer,
// up to maxLoggedBody, when body logging is on (x.kept is nil otherwise:
// one nil check per write).
func (x *exchange) keep(b []byte) {
	if x.kept == nil || len(x.kept) > maxLoggedBody {
		return
	}
	room := maxLoggedBody + 1 - len(x.kept) // one byte over marks the cut
	x.kept = append(x.kept, b[:min(len(b), room)]...)
}

// keptBody is the logged text of a streamed answer.
func keptBody(kept []byte) string {
	return truncate(logging.Scrub(string(kept)), maxLoggedBody)
}

// loggedRequestHeaders are the client headers worth keeping with a logged
// request: who sent it (SDK, tool, version) and what it asked for. The key
// headers are kept only as present, never their value.
var loggedRequestHeaders = []string{"User-Agent", "Content-Type", "Accept", "Anthropic-Version", "Anthropic-Beta",
	"Openai-Beta", "X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-Runtime", "X-Stainless-Runtime-Version",
	"X-Goog-Api-Client", "Session_id", "Session-Id", "Idempotency-Key", "X-Request-Id", "X-Switchboard-No-Cache",
	"Authorization", "X-Api-Key", "X-Goog-Api-Key"}

// loggedResponseHeaders are the answer's headers worth keeping.
var loggedResponseHeaders = []string{"Content-Type", "Retry-After", "X-Should-Retry", "X-Switchboard-Route", "X-Switchboard-Cache"}

var secretHeaders = map[string]bool{"Authorization": true, "X-Api-Key": true, "X-Goog-Api-Key": true}

// loggedHeaders is the JSON of the headers that matter of a request and its
// answer, secrets redacted. Only built when body logging is on.
func loggedHeaders(req, resp http.Header) string {
	pick := func(h http.Header, names []string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			v := h.Get(n)
			switch {
			case v == "":
			case secretHeaders[n]:
				out[n] = "[REDACTED]"
			default:
				out[n] = logging.Scrub(v)
			}
		}
		return out
	}
	b, _ := json.Marshal(map[string]map[string]string{"request": pick(req, loggedRequestHeaders), "response": pick(resp, loggedResponseHeaders)})
	return string(b)
}
