package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// A small request's whole round trip on loopback, as scripts/bench.sh's
// c=1 rows send it: a client, the gateway (key, routing, upstream call,
// stream or JSON answer, log row) and a scripted upstream, all in this
// process. "floor" is net/http's ReverseProxy over the same upstream; the
// difference between the two is the gateway's own work per request.
//
//	go test ./backend/gateway -run '^$' -bench SmallRoundTrip -benchmem -count 6
func BenchmarkSmallRoundTrip(b *testing.B) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(smallStream)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, smallJSON)
	})
	_, _, gw, secret := loggedGateway(b, up)
	u := httptest.NewServer(up)
	b.Cleanup(u.Close)
	target, _ := url.Parse(u.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	floor := httptest.NewServer(rp)
	b.Cleanup(floor.Close)
	for _, stream := range []bool{false, true} {
		kind := "json"
		if stream {
			kind = "stream"
		}
		for _, via := range []struct{ name, url, model string }{{"floor", floor.URL, "m"}, {"gateway", gw.URL, "oai/m"}} {
			body := fmt.Sprintf(`{"model":%q,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, via.model, stream)
			b.Run(kind+"/"+via.name, func(b *testing.B) {
				hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer hc.CloseIdleConnections()
				b.ReportAllocs()
				for b.Loop() {
					req, _ := http.NewRequest(http.MethodPost, via.url+"/v1/chat/completions", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+secret)
					req.Header.Set("Content-Type", "application/json")
					resp, err := hc.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || n < 100 {
						b.Fatalf("%s: status %d, %d bytes", via.name, resp.StatusCode, n)
					}
				}
			})
		}
	}
}

// smallStream and smallJSON are the bench's small answers: the stream of
// benchStream, or one JSON completion.
var smallStream = benchStream("m")

const smallJSON = `{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"word 0 word 1 word 2 word 3 word 4 word 5 word 6 word 7 word 8 word 9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":20,"total_tokens":32}}`

// benchStream is an OpenAI stream of twenty content chunks, a stop chunk,
// a usage-only chunk and [DONE], from model.
func benchStream(model string) []byte {
	var s bytes.Buffer
	for i := range 20 {
		role := ""
		if i == 0 {
			role = `"role":"assistant",`
		}
		fmt.Fprintf(&s, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{%s\"content\":\"word %d of the answer \"}}]}\n\n", model, role, i)
	}
	fmt.Fprintf(&s, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"+
		"data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":20,\"total_tokens\":32}}\n\n"+
		"data: [DONE]\n\n", model, model)
	return s.Bytes()
}
