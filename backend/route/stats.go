package route

import "time"

// stats feed the load-aware strategies: an EWMA of latency, requests in
// flight and a use counter.
type stats struct {
	ewmaMS   float64
	inflight int
	uses     int64
	failures int64
}

const ewmaAlpha = 0.2

func (s *stats) observe(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	if s.ewmaMS == 0 {
		s.ewmaMS = ms
		return
	}
	s.ewmaMS = ewmaAlpha*ms + (1-ewmaAlpha)*s.ewmaMS
}

// score is lower-is-better for power-of-two-choices: expected wait.
func (s *stats) score() float64 {
	lat := s.ewmaMS
	if lat == 0 {
		lat = 1 // unknown: optimistic, so new targets get tried
	}
	return lat * float64(s.inflight+1)
}

func (h *Health) statsLocked(c Candidate) *stats {
	k := accountKey(c)
	s := h.stats[k]
	if s == nil {
		s = &stats{}
		h.stats[k] = s
	}
	return s
}

func (h *Health) inflightLocked(c Candidate, d int) {
	s := h.statsLocked(c)
	s.inflight += d
	if d > 0 {
		s.uses++
	}
}
