package integration

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"switchboard/backend/config"
	"switchboard/backend/usage"
)

// TestTokensOnEveryRow sends every client dialect to an upstream of every
// dialect, plain and streamed, and reads the request's log row: it carries
// the upstream's token counts and their cost whatever the path. OpenAI
// streams report usage only when asked (this upstream, like OpenAI's,
// sends the usage chunk only for stream_options.include_usage): the
// gateway asks for it on every stream and hands the chunk to the client
// only when the client asked.
func TestTokensOnEveryRow(t *testing.T) {
	ups := map[string]*upstream{}
	var provs []prov
	var prices []config.PriceConfig
	for _, d := range allDialects {
		u := newUpstream(t, d)
		ups[d] = u
		provs = append(provs, provFor(u))
		prices = append(prices, config.PriceConfig{Provider: providerID[d], Model: upstreamModel(d), Input: 1, Output: 2})
	}
	g := startGateway(t, gwOpts{edit: func(c *config.Config) { c.Prices = prices }}, provs...)
	wantCost := (usageIn*1.0 + usageOut*2.0) / 1e6
	for _, cd := range allDialects {
		for _, ud := range allDialects {
			for _, stream := range []bool{false, true} {
				asks := []bool{true}
				if cd == dOpenAI && stream {
					asks = []bool{true, false}
				}
				for _, ask := range asks {
					name := fmt.Sprintf("%s_client/%s_upstream/stream=%v", cd, ud, stream)
					if cd == dOpenAI && stream {
						name += fmt.Sprintf("/include_usage=%v", ask)
					}
					t.Run(name, func(t *testing.T) {
						marker := "[usage " + name + "]"
						path, body := rawRequest(cd, clientModel(ud), stream, "Say hello. "+marker)
						if !ask {
							body = strings.Replace(body, `,"stream_options":{"include_usage":true}`, "", 1)
						}
						resp := g.do("POST", path, body, map[string]string{"User-Agent": "claude-cli/2.1.197 (external, sdk-cli)"})
						if resp.Status != 200 {
							t.Fatalf("status %d: %s", resp.Status, resp.Body)
						}
						row := lastRow(t, g)
						if row.TokensIn != usageIn || row.TokensOut != usageOut {
							t.Fatalf("row tokens in %d out %d, want %d/%d (%s → %s)", row.TokensIn, row.TokensOut, usageIn, usageOut, row.ClientDialect, row.UpstreamDialect)
						}
						if !row.CostKnown || math.Abs(row.CostUSD-wantCost) > 1e-12 || row.Billing != "api" || row.Tool != "claude-code" {
							t.Fatalf("row cost %v known %v billing %q tool %q", row.CostUSD, row.CostKnown, row.Billing, row.Tool)
						}
						if ud == dOpenAI && stream {
							reqs := ups[ud].Find(marker)
							if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"include_usage":true`) {
								t.Fatalf("the OpenAI upstream was not asked for stream usage: %s", reqs[0].Body)
							}
						}
						if cd == dOpenAI && stream {
							frames := parseSSE(t, resp.Body)
							sawUsage := false
							for _, f := range frames {
								sawUsage = sawUsage || strings.Contains(f.Data, `"usage":{`)
							}
							if sawUsage != ask {
								t.Fatalf("client asked for usage: %v, usage chunk in its stream: %v\n%s", ask, sawUsage, resp.Body)
							}
							if last := frames[len(frames)-1]; last.Data != "[DONE]" {
								t.Fatalf("stream ends with %q", last.Data)
							}
						}
					})
				}
			}
		}
	}
}

// lastRow is the newest request log row.
func lastRow(t *testing.T, g *gateway) usage.Row {
	t.Helper()
	g.in.Recorder.Flush()
	rows, err := g.in.Services.Logs(context.Background(), usage.Filter{Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatalf("logs: %v %d", err, len(rows))
	}
	return rows[0]
}
