package usage

import (
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkWriteRows measures the log writer's cost per row (CPU and
// allocations) on the real store, in batches of 256 rows of
// increasing ts.
func BenchmarkWriteRows(b *testing.B) {
	r := NewRecorder(openDB(b), slog.New(slog.DiscardHandler), Options{})
	defer r.Close()
	rows := make([]*Row, 256)
	for i := range rows {
		rows[i] = &Row{ReqID: fmt.Sprintf("req_%016d", i), TS: 1_790_000_000_000 + int64(i), KeyName: "bench", ClientDialect: "openai",
			Endpoint: "/v1/chat/completions", RequestedModel: "oai/d0-n20-p0", Provider: "oai", Account: "bench", UpstreamModel: "d0-n20-p0",
			UpstreamDialect: "openai", Status: 200, LatencyMS: 1, TokensIn: 12, TokensOut: 20, Attempts: 1, Route: "oai/bench"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(rows) {
		// Time moves on, as it does in the gateway: rows with the same ts
		// again would land mid-index instead of at its end.
		for _, w := range rows {
			w.TS += int64(len(rows))
		}
		buf := append([]*Row(nil), rows...)
		r.write(buf, false)
	}
}
