package route

import (
	"net/http"
	"time"

	"switchboard/backend/ir"
)

// Quota is what routing knows of the accounts' quota windows (a plan's
// 5-hour and weekly windows, an API key's requests and tokens per minute)
// and what it reports back from upstream answers. Package quota implements
// it; without one (SetQuota never called) routing knows only cooldowns.
//
// Standing is asked on every routing decision, sometimes under the Health
// lock: it answers from memory without blocking on I/O, and an
// implementation never calls back into Health while it holds its own lock.
type Quota interface {
	// Standing is the account's quota for model at now.
	Standing(account, model string, now time.Time) Standing
	// ObserveAnswer reads the rate-limit headers of a successful answer
	// to an attempt that began at started.
	ObserveAnswer(c Candidate, h http.Header, started time.Time)
	// ObserveFailure records what a failed attempt said about quota (a
	// 429/402, its headers and reset); until is the cooldown it caused.
	ObserveFailure(c Candidate, e *ir.Error, until time.Time)
}

// Standing is one account's quota as routing sees it.
type Standing struct {
	// Headroom is the remaining fraction of the account's tightest window:
	// 0 (used up) … 1 (untouched, or nothing known).
	Headroom float64
	// Reserve: the headroom is below the configured reserve, so routing
	// prefers other accounts while any has more.
	Reserve bool
	// Until is set when a window is used up: the account is skipped until
	// then without a request.
	Until time.Time
	// Why names the window that is used up, for the plan's notes.
	Why string
}

// Exhausted reports whether the standing skips the account.
func (s Standing) Exhausted() bool { return !s.Until.IsZero() }

// AccountKey is the identity routing state is kept under: the account id,
// or "provider:<id>" for a provider without accounts.
func AccountKey(c Candidate) string { return accountKey(c) }

type quotaBox struct{ Quota }

// SetQuota attaches the quota state routing consults (nil detaches it).
func (h *Health) SetQuota(q Quota) {
	if q == nil {
		h.quota.Store(nil)
		return
	}
	h.quota.Store(&quotaBox{q})
}

func (h *Health) quotaView() Quota {
	if b := h.quota.Load(); b != nil {
		return b.Quota
	}
	return nil
}

// standing asks the quota state about c (full headroom without one).
func (h *Health) standing(c Candidate, now time.Time) Standing {
	if q := h.quotaView(); q != nil {
		return q.Standing(accountKey(c), c.Model, now)
	}
	return Standing{Headroom: 1}
}

// ObserveAnswer hands a successful answer's headers to the quota state.
func (h *Health) ObserveAnswer(c Candidate, hdr http.Header, started time.Time) {
	if q := h.quotaView(); q != nil {
		q.ObserveAnswer(c, hdr, started)
	}
}

// ClearQuota ends the account's quota and rate-limit rests that were set
// at or before asOf: its plan showed headroom again (a poll, an answer) or
// the reset time the upstream gave has passed. Rests set later (a 429 that
// arrived after the poll) stay, and so do rests for other reasons (auth,
// server errors). It returns how many ended.
func (h *Health) ClearQuota(accountID string, asOf time.Time) int {
	h.mu.Lock()
	n := 0
	for k, st := range h.cool {
		if k.account != accountID || st.setAt.After(asOf) {
			continue
		}
		if st.Reason == ReasonQuota || st.Reason == ReasonRateLimited {
			delete(h.cool, k)
			delete(h.strikes, k)
			n++
		}
	}
	if n > 0 {
		h.touched()
	}
	h.mu.Unlock()
	return n
}

// QuotaRested reports whether the account rests now for quota or a rate
// limit (any model).
func (h *Health) QuotaRested(accountID string) bool {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, st := range h.cool {
		if k.account == accountID && now.Before(st.Until) && (st.Reason == ReasonQuota || st.Reason == ReasonRateLimited) {
			return true
		}
	}
	return false
}

// reserveLast moves the accounts below the quota reserve behind the
// others, keeping each group's order. It allocates only when that changes
// the order.
func (h *Health) reserveLast(cands []Candidate, now time.Time) []Candidate {
	q := h.quotaView()
	if q == nil || len(cands) < 2 {
		return cands
	}
	seenReserve, reorder := false, false
	for _, c := range cands {
		r := q.Standing(accountKey(c), c.Model, now).Reserve
		if seenReserve && !r {
			reorder = true
			break
		}
		seenReserve = seenReserve || r
	}
	if !reorder {
		return cands
	}
	out := make([]Candidate, 0, len(cands))
	var rest []Candidate
	for _, c := range cands {
		if q.Standing(accountKey(c), c.Model, now).Reserve {
			rest = append(rest, c)
		} else {
			out = append(out, c)
		}
	}
	return append(out, rest...)
}
