package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/backend/config"
)

// uploadMiB is the size of the large transcription upload.
const uploadMiB = 100

// TestLargeTranscriptionUploadStaysOutOfMemory sends a 100 MiB
// transcription upload (the file before the model field, as SDKs order
// it, so the gateway must keep all of it before it can route) and measures
// how much the process grows while the gateway spools it to disk and
// streams it to the upstream: the heap (asserted under 20 MiB) and RSS
// (reported; asserted too without the race detector, whose shadow memory
// inflates it). The client and upstream stream too, so whatever grows is
// the gateway's.
func TestLargeTranscriptionUploadStaysOutOfMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 100 MiB twice")
	}
	up := newMediaUp(t, kindOpenAI)
	g := startGateway(t, gwOpts{edit: func(c *config.Config) { c.MaxUploadMiB = 2 * uploadMiB }}, up.prov("openai"))

	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	h := sha256.New()
	for range uploadMiB * 16 {
		h.Write(chunk)
	}
	want := hex.EncodeToString(h.Sum(nil))

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "long.mp3")
		for range uploadMiB * 16 {
			if _, err := fw.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		mw.WriteField("model", "openai/whisper-1")
		mw.WriteField("response_format", "verbose_json")
		pw.CloseWithError(mw.Close())
	}()

	runtime.GC()
	debug.FreeOSMemory()
	heap0, rss0 := heapBytes(), rssBytes()
	var peakHeap, peakRSS atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample while the upload is under way
		defer wg.Done()
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				storeMax(&peakHeap, heapBytes())
				storeMax(&peakRSS, rssBytes())
			}
		}
	}()
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctxT(t), "POST", g.base+"/v1/audio/transcriptions", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := g.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if resp.StatusCode != 200 || !strings.Contains(string(body), transcriptText) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if c := up.seen()[0]; c.FileSHA != want || c.FileSize != uploadMiB<<20 || c.Fields["model"] != "whisper-1" {
		t.Fatalf("upstream got %d bytes, model %q", c.FileSize, c.Fields["model"])
	}
	const mib = 1 << 20
	heapGrowth := float64(int64(peakHeap.Load())-int64(heap0)) / mib
	rssGrowth := float64(int64(peakRSS.Load())-int64(rss0)) / mib
	t.Logf("%d MiB transcription upload in %v: heap +%.1f MiB, RSS +%.1f MiB (race detector: %v)", uploadMiB, took.Round(time.Millisecond),
		heapGrowth, rssGrowth, raceEnabled)
	if heapGrowth >= 20 {
		t.Errorf("heap grew %.1f MiB for a %d MiB upload", heapGrowth, uploadMiB)
	}
	if !raceEnabled && rssBytes() > 0 && rssGrowth >= 20 {
		t.Errorf("RSS grew %.1f MiB for a %d MiB upload", rssGrowth, uploadMiB)
	}
}

func storeMax(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// heapBytes is the heap's live and not-yet-swept objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// rssBytes is the process's resident set (Linux; 0 elsewhere).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}
