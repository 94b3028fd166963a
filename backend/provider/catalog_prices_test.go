package provider

import (
	"strings"
	"testing"
)

// Every subscription's API equivalent names a priced API model, and every
// priced entry says when its prices were taken.
func TestCatalogPricesAreDatedAndEquivalentsResolve(t *testing.T) {
	valued := 0
	for _, e := range All() {
		if e.priced() && e.PricesAsOf == "" {
			t.Errorf("%s has prices without prices_as_of", e.ID)
		}
		for _, m := range e.Models {
			if e.Tier != "subscription" || (m.APIEquivalent == "" && e.APIEquivalent == "") {
				continue
			}
			pid, mid := e.APIEquivalent, m.ID
			if m.APIEquivalent != "" {
				pid = m.APIEquivalent
			}
			if m.APIModel != "" {
				mid = m.APIModel
			}
			if eq, ok := Lookup(pid); ok {
				if am, ok := eq.Model(mid); ok && am.InputPrice > 0 {
					valued++
				}
			}
		}
	}
	if valued < 10 {
		t.Fatalf("only %d subscription models are valued at an API price", valued)
	}
}

func TestCatalogRefusesBadPriceData(t *testing.T) {
	base := `
- id: api
  name: API
  prefix: api
  base_url: https://api.example.com/v1
  dialect: openai
  auth: bearer
  tier: api-key
  prices_as_of: 2026-11-26
  models:
    - {id: m, input_price: 1, output_price: 2}
- id: plan
  name: Plan
  prefix: plan
  base_url: https://plan.example.com/v1
  dialect: openai
  auth: bearer
  tier: subscription
  api_equivalent: api
  models:
    - {id: m}
`
	if _, err := parseCatalog([]byte(base)); err != nil {
		t.Fatalf("valid catalog refused: %v", err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"undated prices":   {"  prices_as_of: 2026-11-26\n", "", "no prices_as_of"},
		"bad date":         {"2026-11-26", "26/11/2026", "not a YYYY-MM-DD date"},
		"unknown provider": {"api_equivalent: api", "api_equivalent: nope", `api_equivalent "nope"`},
		"unpriced model":   {"    - {id: m}\n", "    - {id: m, api_model: other}\n", `no priced model "other"`},
		"negative price":   {"output_price: 2", "output_price: 2, reasoning_price: -1", "negative price"},
	} {
		_, err := parseCatalog([]byte(strings.Replace(base, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want %q, got %v", name, c.want, err)
		}
	}
}
