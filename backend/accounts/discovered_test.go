package accounts

import (
	"slices"
	"testing"

	"switchboard/backend/dialect"
	"switchboard/backend/provider"
)

func TestWithDiscovered(t *testing.T) {
	s := &Store{}
	cat := []provider.Model{
		{ID: "known", Name: "Known", Context: 1000, MaxOutput: 10, InputPrice: 2, Vision: true, Reasoning: true},
		{ID: "gone", Name: "Gone", Context: 5},
	}
	local := provider.Entry{ID: "ollama", Local: true, Models: cat}
	seat := provider.Entry{ID: "copilot", Auth: provider.AuthOAuth, Models: cat}
	keyed := provider.Entry{ID: "openai", Auth: provider.AuthBearer, Models: cat}

	if !s.SetDiscovered("ollama", []string{"known", "pulled"}) || s.SetDiscovered("ollama", []string{"known", "pulled"}) {
		t.Error("SetDiscovered reports changes wrongly")
	}
	// An ids-only list keeps the catalog's details of the models it knows.
	want := []provider.Model{cat[0], {ID: "pulled", Name: "pulled"}}
	if got := s.withDiscovered(local, false).Models; !slices.EqualFunc(got, want, provider.Model.Equal) {
		t.Errorf("local\n got %+v\nwant %+v", got, want)
	}
	if got := s.withDiscovered(local, true).Models; !slices.EqualFunc(got, cat, provider.Model.Equal) {
		t.Error("a pinned model list was replaced")
	}

	// A detailed list (a seat's) wins over the catalog, prices aside.
	s.SetDiscoveredModels("copilot", []provider.Model{{ID: "known", Context: 64000, Dialect: dialect.Responses},
		{ID: "new", Name: "New", Context: 9, Vision: true}})
	want = []provider.Model{{ID: "known", Name: "Known", Context: 64000, MaxOutput: 10, InputPrice: 2, Dialect: dialect.Responses},
		{ID: "new", Name: "New", Context: 9, Vision: true}}
	if got := s.withDiscovered(seat, false).Models; !slices.EqualFunc(got, want, provider.Model.Equal) {
		t.Errorf("seat\n got %+v\nwant %+v", got, want)
	}
	// Only local servers and sign-ins are rewritten.
	s.SetDiscovered("openai", []string{"x"})
	if got := s.withDiscovered(keyed, false).Models; !slices.EqualFunc(got, cat, provider.Model.Equal) {
		t.Error("an API-key provider's models were replaced")
	}
}
