package gateway

import (
	"sync"

	"switchboard/backend/dialect"
)

// codecs maps each dialect to its codec. Dialect packages register
// themselves from gateway's registration file so this package stays the
// only place that knows the full set.
var (
	codecMu sync.RWMutex
	codecs  = map[dialect.Name]dialect.Codec{}
)

// RegisterCodec makes a dialect available to clients and upstreams.
func RegisterCodec(c dialect.Codec) {
	codecMu.Lock()
	codecs[c.Name()] = c
	codecMu.Unlock()
}

func codecFor(d dialect.Name) dialect.Codec {
	codecMu.RLock()
	defer codecMu.RUnlock()
	return codecs[d]
}
