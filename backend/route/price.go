package route

// Pricer prices a provider's model for the cost-optimized strategy: USD
// per million tokens, input plus output, as its requests are billed (0 for
// a subscription or a free or local model); known is false when nobody
// priced it. Prices come from the usage package's snapshot, overrides
// included, so routing and the cost on log rows agree.
type Pricer func(provider, model string) (perMTok float64, known bool)

// SetPricer attaches the prices routing consults (nil: the catalog's list
// prices).
func (h *Health) SetPricer(p Pricer) {
	if p == nil {
		h.pricer.Store(nil)
		return
	}
	h.pricer.Store(&p)
}

// price is what c costs per million tokens, and whether that is known.
func (h *Health) price(c Candidate) (float64, bool) {
	if p := h.pricer.Load(); p != nil {
		return (*p)(c.Provider.Entry.ID, c.Model)
	}
	if m, ok := c.Provider.Entry.Model(c.Model); ok && m.InputPrice+m.OutputPrice > 0 {
		return m.InputPrice + m.OutputPrice, true
	}
	return 0, false
}

// cheaper orders items for the cost-optimized strategy: priced ones by
// price, then those nobody priced (a guess of $0 would put them first).
func cheaper(a, b item) bool {
	if a.priced != b.priced {
		return a.priced
	}
	return a.price < b.price
}
