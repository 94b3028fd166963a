package main

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Shuffled turns: over many cycles each path directly follows each other
// path about equally often (a fixed rotation makes one proxy follow the
// direct path twice as often as the other does).
func TestTurnOrderIsFair(t *testing.T) {
	const n, cycles = 3, 30_000
	rng := rand.New(rand.NewPCG(1, 1))
	order := []int{0, 1, 2}
	var follows [n][n]int
	prev := -1
	for range cycles {
		turnOrder(rng, order)
		for _, k := range order {
			if prev >= 0 {
				follows[prev][k]++
			}
			prev = k
		}
	}
	// Each path follows each other one in 1/3 of its successors (itself
	// too, across a cycle's boundary, 1/9 of the time).
	want := float64(cycles) * 4 / 9
	for a := range n {
		for b := range n {
			if a == b {
				continue
			}
			if got := float64(follows[a][b]); got < want*0.95 || got > want*1.05 {
				t.Errorf("%d follows %d %d times, want about %.0f (%v)", b, a, follows[a][b], want, follows)
			}
		}
	}
}

// Two loopback servers taking turns: the same count each, both orders used,
// and records the report reads (path, c=1, histogram).
func TestTakeTurns(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	answer := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, name)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":1}}`))
		}
	}
	a := httptest.NewServer(answer("a"))
	defer a.Close()
	b := httptest.NewServer(answer("b"))
	defer b.Close()
	var paths []*turnPath
	for _, s := range []string{"direct," + a.URL + ",k,m", "gateway," + b.URL + ",k,m"} {
		p, err := parseTurnPath(s, target{dialect: "openai"})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	recs := takeTurns(paths, 100*time.Millisecond, 0, 1)
	if len(recs) != 2 || recs[0].Path != "direct" || recs[1].Path != "gateway" {
		t.Fatalf("records %+v", recs)
	}
	for _, r := range recs {
		if r.C != 1 || r.Errors != 0 || r.Requests < 50 || r.Hist == nil || r.P99 <= 0 || r.Other != -1 {
			t.Fatalf("record %+v", r)
		}
	}
	if recs[0].Requests != recs[1].Requests {
		t.Errorf("turns not taken: %d and %d requests", recs[0].Requests, recs[1].Requests)
	}
	ab, ba := 0, 0
	for i := 0; i+1 < len(seen); i += 2 {
		switch seen[i] + seen[i+1] {
		case "ab":
			ab++
		case "ba":
			ba++
		default:
			t.Fatalf("cycle %d went to %s and %s", i/2, seen[i], seen[i+1])
		}
	}
	if cycles := ab + ba; ab < cycles/4 || ba < cycles/4 {
		t.Errorf("orders a-b %d, b-a %d: not shuffled", ab, ba)
	}
}

func TestParseTurnPath(t *testing.T) {
	p, err := parseTurnPath("gateway,http://127.0.0.1:1,key,oai/m,42,127.0.0.1:2", target{dialect: "openai"})
	if err != nil || p.name != "gateway" || p.t.base != "http://127.0.0.1:1" || p.t.key != "key" || p.t.model != "oai/m" || p.pid != 42 || p.debug != "127.0.0.1:2" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"a,b,c", "g,http://127.0.0.1:1,k,m,x", "g,http://10.0.0.1:1,k,m", "g,http://127.0.0.1:1,k,m,1,10.0.0.1:2"} {
		if _, err := parseTurnPath(bad, target{dialect: "openai"}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
