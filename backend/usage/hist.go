package usage

import (
	"encoding/binary"
	"math"
)

// hist is a log-scale histogram of milliseconds: bucket i holds values v
// with floor(4·log2(v+1)) = i, so each bucket is about 19% wide and a
// percentile read from it is within about 10% of the exact one. Rollups
// keep one per hour and dimension (latency, time to first token), which is
// what lets percentiles survive the raw rows' deletion.
type hist []uint32

const histBuckets = 96 // 4·log2(ms+1) < 96 up to ~16.8 million ms (4.6 h)

func histBucket(ms int64) int {
	if ms < 0 {
		ms = 0
	}
	return min(int(4*math.Log2(float64(ms)+1)), histBuckets-1)
}

// add counts one value.
func (h *hist) add(ms int64) {
	if *h == nil {
		*h = make(hist, histBuckets)
	}
	(*h)[histBucket(ms)]++
}

// merge adds o's counts.
func (h *hist) merge(o hist) {
	if len(o) == 0 {
		return
	}
	if *h == nil {
		*h = make(hist, histBuckets)
	}
	for i, c := range o {
		(*h)[i] += c
	}
}

func (h hist) count() int64 {
	var n int64
	for _, c := range h {
		n += int64(c)
	}
	return n
}

// quantile is the value below which a fraction q of the counts lie: the
// geometric middle of the bucket holding it (0 when empty).
func (h hist) quantile(q float64) int64 {
	n := h.count()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen int64
	for i, c := range h {
		seen += int64(c)
		if seen >= rank {
			lo, hi := math.Exp2(float64(i)/4)-1, math.Exp2(float64(i+1)/4)-1
			return int64(math.Round(math.Sqrt(max(lo, 0.5) * hi)))
		}
	}
	return 0
}

// encode stores the non-empty buckets as (index, count) uvarint pairs.
func (h hist) encode() []byte {
	var b []byte
	for i, c := range h {
		if c > 0 {
			b = binary.AppendUvarint(b, uint64(i))
			b = binary.AppendUvarint(b, uint64(c))
		}
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

// decodeHist reads what encode wrote; damaged bytes end the read.
func decodeHist(b []byte) hist {
	var h hist
	for len(b) > 0 {
		i, n := binary.Uvarint(b)
		if n <= 0 {
			break
		}
		b = b[n:]
		c, m := binary.Uvarint(b)
		if m <= 0 {
			break
		}
		b = b[m:]
		if i < histBuckets {
			if h == nil {
				h = make(hist, histBuckets)
			}
			h[i] += uint32(c)
		}
	}
	return h
}
