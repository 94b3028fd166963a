package route

import (
	"sort"
)

// Strategy names how a combo orders its targets (and a target its
// accounts).
type Strategy string

const (
	Priority      Strategy = "priority"
	FillFirst     Strategy = "fill-first"
	RoundRobin    Strategy = "round-robin"
	Weighted      Strategy = "weighted"
	P2C           Strategy = "p2c"
	Random        Strategy = "random"
	LeastUsed     Strategy = "least-used"
	CostOptimized Strategy = "cost-optimized"
	QuotaAware    Strategy = "quota-aware"
)

// Strategies lists every strategy, for validation and the dashboard.
var Strategies = []Strategy{Priority, FillFirst, RoundRobin, Weighted, P2C, Random, LeastUsed, CostOptimized, QuotaAware}

// item is what a strategy orders: a combo target or an account.
type item struct {
	id       string // fill-first: the identity it remembers
	reserve  bool   // below the quota reserve: goes behind the others
	weight   int
	price    float64 // USD per million tokens (input + output)
	priced   bool    // price is known
	score    float64 // p2c: expected wait, lower is better
	uses     int64
	headroom float64 // quota-aware: 0 (exhausted) … 1 (untouched)
}

type rrState struct{ n int64 }

// order returns a permutation of items for strategy s. key scopes the
// round-robin counter and fill-first's memory (a combo, or a combo's
// target's accounts). Items below the quota reserve go last, whatever s.
func (h *Health) order(s Strategy, key string, sticky int, items []item) []int {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	if len(items) < 2 {
		return idx
	}
	return reserveLastIdx(h.strategyOrder(s, key, sticky, items, idx), items)
}

// reserveLastIdx is a stable partition: items not in reserve first.
func reserveLastIdx(idx []int, items []item) []int {
	for _, it := range items {
		if it.reserve {
			sort.SliceStable(idx, func(a, b int) bool { return !items[idx[a]].reserve && items[idx[b]].reserve })
			break
		}
	}
	return idx
}

func (h *Health) strategyOrder(s Strategy, key string, sticky int, items []item, idx []int) []int {
	switch s {
	case FillFirst:
		// Stay on the target that served last; the next ones in turn.
		if cur, ok := h.fill[key]; ok {
			for i, it := range items {
				if it.id == cur && i > 0 {
					return append(idx[i:], idx[:i]...)
				}
			}
		}
	case RoundRobin:
		if sticky <= 0 {
			sticky = 1
		}
		st := h.rr[key]
		if st == nil {
			st = &rrState{}
			h.rr[key] = st
		}
		start := int((st.n / int64(sticky)) % int64(len(items)))
		st.n++
		return append(idx[start:], idx[:start]...)
	case Weighted:
		return h.weightedOrder(items)
	case P2C:
		return h.p2cOrder(items)
	case Random:
		h.rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	case LeastUsed:
		sort.SliceStable(idx, func(a, b int) bool { return items[idx[a]].uses < items[idx[b]].uses })
	case CostOptimized:
		sort.SliceStable(idx, func(a, b int) bool { return cheaper(items[idx[a]], items[idx[b]]) })
	case QuotaAware:
		sort.SliceStable(idx, func(a, b int) bool { return items[idx[a]].headroom > items[idx[b]].headroom })
	}
	return idx
}

// weightedOrder draws without replacement, each pick proportional to weight
// (a weight of 0 counts as 1, so nothing is unreachable as a fallback).
func (h *Health) weightedOrder(items []item) []int {
	left := make([]int, len(items))
	for i := range left {
		left[i] = i
	}
	out := make([]int, 0, len(items))
	for len(left) > 0 {
		total := 0
		for _, i := range left {
			total += max(items[i].weight, 1)
		}
		r := h.rng.IntN(total)
		for k, i := range left {
			r -= max(items[i].weight, 1)
			if r < 0 {
				out = append(out, i)
				left = append(left[:k], left[k+1:]...)
				break
			}
		}
	}
	return out
}

// p2cOrder samples two items and puts the better first; the rest follow
// by score, so fallbacks still prefer the least loaded.
func (h *Health) p2cOrder(items []item) []int {
	a := h.rng.IntN(len(items))
	b := h.rng.IntN(len(items) - 1)
	if b >= a {
		b++
	}
	if items[b].score < items[a].score {
		a, b = b, a
	}
	out := []int{a}
	rest := make([]int, 0, len(items)-1)
	for i := range items {
		if i != a {
			rest = append(rest, i)
		}
	}
	sort.SliceStable(rest, func(x, y int) bool { return items[rest[x]].score < items[rest[y]].score })
	return append(out, rest...)
}
