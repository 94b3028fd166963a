package gateway

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Idempotency: a request repeating an Idempotency-Key within the window
// gets the first request's response (waiting for it if it is still
// running) instead of a second upstream call. Response cache: off by
// default; an exact repeat of a non-streaming request is answered from
// memory. Both sit in front of the pipeline and cost nothing when unused.
const (
	idempotencyWindow = 5 * time.Second
	maxReplayBody     = 4 << 20
	maxIdemEntries    = 10000
	cacheTTL          = 10 * time.Minute
	cacheEntries      = 500
)

// recorded is a finished response kept for replay.
type recorded struct {
	status int
	header http.Header
	body   []byte
	ok     bool // false: too large or failed, do not replay
}

type idemEntry struct {
	done    chan struct{}
	res     recorded
	expires time.Time
}

type replayer struct {
	mu    sync.Mutex
	idem  map[string]*idemEntry
	cache map[[32]byte]*list.Element
	lru   *list.List
	on    func() bool // response cache switch (settings)
	now   func() time.Time
}

type cacheItem struct {
	key     [32]byte
	res     recorded
	expires time.Time
}

func newReplayer() *replayer {
	return &replayer{idem: map[string]*idemEntry{}, cache: map[[32]byte]*list.Element{}, lru: list.New(), on: func() bool { return false }, now: time.Now}
}

// recorder tees a response so it can be replayed.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	over   bool
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.over && r.buf.Len()+len(b) <= maxReplayBody {
		r.buf.Write(b)
	} else {
		r.over = true
	}
	return r.ResponseWriter.Write(b)
}
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) result() recorded {
	h := r.Header().Clone()
	delete(h, "Date") // a replay is dated when it is sent (net/http dates it)
	return recorded{status: r.status, header: h, body: r.buf.Bytes(), ok: !r.over && r.status > 0}
}

func writeRecorded(w http.ResponseWriter, res recorded, mark, value string) {
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.Header().Set(mark, value)
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// wrap serves next with idempotency and the optional cache applied.
func (p *replayer) wrap(w http.ResponseWriter, r *http.Request, next http.Handler) {
	idem := r.Header.Get("Idempotency-Key")
	useCache := p.on() && r.Method == http.MethodPost && !noCache(r)
	if idem == "" && !useCache {
		next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		next.ServeHTTP(w, r) // the handler reports the size error in the right dialect
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if idem != "" {
		p.idempotent(w, r, keyName(r.Context())+"\x00"+r.URL.Path+"\x00"+idem, next)
		return
	}
	if isStream(r, body) {
		next.ServeHTTP(w, r)
		return
	}
	p.cached(w, r, body, next)
}

func noCache(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("X-Switchboard-No-Cache"), "true") ||
		strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-cache")
}

func isStream(r *http.Request, body []byte) bool {
	return strings.Contains(r.URL.Path, ":streamGenerateContent") || gjson.GetBytes(body, "stream").Bool()
}

func (p *replayer) idempotent(w http.ResponseWriter, r *http.Request, key string, next http.Handler) {
	now := p.now()
	p.mu.Lock()
	e, ok := p.idem[key]
	if ok && (e.expires.IsZero() || now.Before(e.expires)) {
		p.mu.Unlock()
		select {
		case <-e.done:
		case <-r.Context().Done():
			return
		}
		if e.res.ok {
			writeRecorded(w, e.res, "X-Switchboard-Idempotent-Replay", "true")
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	if len(p.idem) >= maxIdemEntries {
		for k, old := range p.idem {
			if !old.expires.IsZero() && now.After(old.expires) {
				delete(p.idem, k)
			}
		}
	}
	e = &idemEntry{done: make(chan struct{})}
	p.idem[key] = e
	p.mu.Unlock()
	rec := &recorder{ResponseWriter: w}
	defer func() {
		p.mu.Lock()
		e.res, e.expires = rec.result(), p.now().Add(idempotencyWindow)
		p.mu.Unlock()
		close(e.done)
	}()
	next.ServeHTTP(rec, r)
}

func (p *replayer) cached(w http.ResponseWriter, r *http.Request, body []byte, next http.Handler) {
	h := sha256.New()
	h.Write([]byte(keyName(r.Context()) + "\x00" + r.URL.Path + "\x00"))
	h.Write(body)
	var key [32]byte
	copy(key[:], h.Sum(nil))
	now := p.now()
	p.mu.Lock()
	if el, ok := p.cache[key]; ok {
		it := el.Value.(*cacheItem)
		if now.Before(it.expires) {
			p.lru.MoveToFront(el)
			res := it.res
			p.mu.Unlock()
			writeRecorded(w, res, "X-Switchboard-Cache", "HIT")
			return
		}
		p.lru.Remove(el)
		delete(p.cache, key)
	}
	p.mu.Unlock()
	w.Header().Set("X-Switchboard-Cache", "MISS")
	rec := &recorder{ResponseWriter: w}
	next.ServeHTTP(rec, r)
	res := rec.result()
	if !res.ok || res.status != http.StatusOK {
		return
	}
	res.header.Del("X-Switchboard-Cache")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cache[key] = p.lru.PushFront(&cacheItem{key: key, res: res, expires: now.Add(cacheTTL)})
	for p.lru.Len() > cacheEntries {
		old := p.lru.Back()
		p.lru.Remove(old)
		delete(p.cache, old.Value.(*cacheItem).key)
	}
}
