package tokens

import (
	"strings"
	"testing"

	"switchboard/backend/ir"
)

func TestEstimate(t *testing.T) {
	small := &ir.Request{Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockText, Text: "hello"}}}}}
	big := &ir.Request{System: []ir.Block{{Type: ir.BlockText, Text: strings.Repeat("code ", 4000)}},
		Messages: small.Messages, Tools: []ir.Tool{{Name: "read", Parameters: []byte(`{"type":"object"}`)}}}
	s, b := Estimate(small), Estimate(big)
	if s < 5 || s > 10 {
		t.Fatalf("small = %d", s)
	}
	if b < 4900 || b > 5200 {
		t.Fatalf("20k chars of code = %d tokens, want ~5000", b)
	}
	if got := text("日本語のテキスト"); got < 5 {
		t.Fatalf("CJK underestimated: %d", got)
	}
	img := &ir.Request{Messages: []ir.Message{{Role: ir.RoleUser, Content: []ir.Block{{Type: ir.BlockImage, Data: "xx"}}}}}
	if Estimate(img) < perImage {
		t.Fatal("image not counted")
	}
}
