package route

import (
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
)

// A model served on another dialect than its entry's is reached through a
// variant sharing the provider's id and accounts, by any way of naming it.
func TestModelOnAnotherDialect(t *testing.T) {
	p := &Provider{Entry: provider.Entry{ID: "gh", Prefix: "gh", Dialect: dialect.OpenAIChat, Auth: provider.AuthBearer,
		Models: []provider.Model{{ID: "chat"}, {ID: "codex", Dialect: dialect.Responses}, {ID: "same", Dialect: dialect.OpenAIChat}}}}
	p.Accounts = []*Account{{ID: "gh:a", Name: "a", ProviderID: "gh", APIKey: "k"}}
	s := NewSnapshot([]*Provider{p}, map[string]string{"cx": "gh/codex"},
		Combo{Name: "both", Targets: []ComboTarget{{Model: "gh/chat"}, {Model: "codex"}}})
	for model, want := range map[string]dialect.Name{"gh/chat": dialect.OpenAIChat, "gh/codex": dialect.Responses,
		"codex": dialect.Responses, "cx": dialect.Responses, "gh/same": dialect.OpenAIChat, "gh/unknown": dialect.OpenAIChat} {
		cands, err := s.Resolve(model)
		if err != nil || len(cands) != 1 {
			t.Fatalf("%s: %v %v", model, cands, err)
		}
		c := cands[0]
		if c.Provider.Entry.Dialect != want || c.Provider.Entry.ID != "gh" || c.Account != p.Accounts[0] {
			t.Errorf("%s: dialect %s id %s account %v", model, c.Provider.Entry.Dialect, c.Provider.Entry.ID, c.Account)
		}
	}
	cands, _ := s.Resolve("both")
	if len(cands) != 2 || cands[0].Provider.Entry.Dialect != dialect.OpenAIChat || cands[1].Provider.Entry.Dialect != dialect.Responses {
		t.Errorf("combo: %+v", cands)
	}
	if p.Entry.Dialect != dialect.OpenAIChat {
		t.Error("the provider's own entry changed")
	}
	n := 0
	for _, m := range s.Models() {
		if m.Provider == "gh" && !m.Alias && !m.Combo {
			n++
		}
	}
	if n != 3 {
		t.Errorf("listed %d models, want each once", n)
	}
}
