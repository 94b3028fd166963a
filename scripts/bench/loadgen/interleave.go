package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// loadgen c1: the c=1 comparison with the paths taking turns, one request
// each, in a shuffled order. Measured one after the other for seconds at a
// time, two identical proxies read up to 1.6× apart at p99 (the machine's
// speed drifts between their windows: scripts/bench/floor-vs-floor.sh);
// taking turns request by request, every path sees the same moments of the
// machine.

// turnPath is one path of an interleaved run: where it sends, and the
// process whose CPU it charges.
type turnPath struct {
	name string
	t    target
	pid  int
	w    *worker
	lats []time.Duration
	ttfe []time.Duration
	busy time.Duration // the sum of its requests' durations
	errs errCounter
	cpu0 int64
	sys0 int64
	// debug is the process's /debug/vars address (allocations per request).
	debug   string
	mem0    memStats
	haveMem bool
}

// parseTurnPath reads "name,url,key,model[,pid[,debug host:port]]".
func parseTurnPath(s string, base target) (*turnPath, error) {
	f := strings.Split(s, ",")
	if len(f) < 4 || len(f) > 6 || f[0] == "" {
		return nil, fmt.Errorf("-to %q: want name,url,key,model[,pid[,debug]]", s)
	}
	p := &turnPath{name: f[0], t: base}
	p.t.base, p.t.key, p.t.model = f[1], f[2], f[3]
	if len(f) >= 5 {
		pid, err := strconv.Atoi(f[4])
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("-to %q: bad pid", s)
		}
		p.pid = pid
	}
	if len(f) == 6 {
		if err := loopbackAddr(f[5]); err != nil {
			return nil, err
		}
		p.debug = f[5]
	}
	return p, p.t.check()
}

// turnOrder shuffles order for the next cycle. A fixed rotation is not
// fair: a proxy whose turn follows the direct path's (which leaves the
// proxies' CPU idle) finds that CPU asleep and its caches cold more often
// than one that follows a proxy (0.98× between two identical proxies, the
// same side ahead in every round). Shuffled, each path follows each other
// equally often.
func turnOrder(rng *rand.Rand, order []int) {
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
}

func cmdC1(args []string) error {
	fs := flag.NewFlagSet("c1", flag.ContinueOnError)
	var base target
	base.flags(fs)
	var to multiFlag
	fs.Var(&to, "to", "a path: name,url,key,model[,pid[,debug host:port]] (repeat; 2 to 4 paths)")
	dur := fs.Duration("d", 5*time.Second, "measured duration per path (the run takes about d × paths)")
	warm := fs.Duration("warmup", time.Second, "warm-up duration per path (not measured)")
	scenario := fs.String("scenario", "", "scenario label")
	run := fs.Int("run", 1, "run index")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(to) < 2 || len(to) > 4 {
		return errors.New("c1 takes 2 to 4 -to paths")
	}
	if *dur <= 0 || *dur > 10*time.Minute {
		return errors.New("bounded load only: 0 < d ≤ 10m")
	}
	paths := make([]*turnPath, len(to))
	for i, s := range to {
		p, err := parseTurnPath(s, base)
		if err != nil {
			return err
		}
		paths[i] = p
	}
	for _, res := range takeTurns(paths, *dur, *warm, *run) {
		res.Scenario = *scenario
		emit(res)
	}
	return nil
}

// takeTurns runs the paths in turns, one request each in a shuffled order
// per cycle, for about dur per path after a warm-up of warm per path, and
// returns one record per path (round run).
func takeTurns(paths []*turnPath, dur, warm time.Duration, run int) []RunResult {
	for _, p := range paths {
		// Each path has its own client: its own kept connection.
		p.w = newWorker(newClient(1), &p.t, p.t.body(), 0)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(run), 1)) // the same orders for the same round
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	turns := func(d time.Duration, measure bool) time.Duration {
		start := time.Now()
		for end := start.Add(d); time.Now().Before(end); {
			turnOrder(rng, order)
			for _, k := range order {
				p := paths[k]
				o := p.w.do(ctx, false)
				if !measure {
					continue
				}
				if o.err != "" {
					p.errs.add(o.err)
					continue
				}
				p.lats = append(p.lats, o.lat)
				p.busy += o.lat
				if p.t.stream {
					p.ttfe = append(p.ttfe, o.ttfe)
				}
			}
		}
		return time.Since(start)
	}
	n := time.Duration(len(paths))
	if warm > 0 {
		turns(warm*n, false)
	}
	for _, p := range paths {
		if p.pid > 0 {
			u, s, _ := cpuSplit(p.pid)
			p.cpu0, p.sys0 = u+s, s
		}
		if p.debug != "" {
			p.mem0, p.haveMem = readMemStats(p.debug)
		}
	}
	elapsed := turns(dur*n, true)
	out := make([]RunResult, len(paths))
	for i, p := range paths {
		out[i] = p.result(elapsed)
		out[i].Run, out[i].Warmup = run, warm.Seconds()
	}
	return out
}

// result is the path's record in the shape loadgen run writes, so the
// report reads both alike. RPS is what the path would serve alone at c=1
// (its requests over their summed durations); CPU per request is its
// process's CPU over the whole window, its share of the others' turns
// included (background work counts). Whether other processes used the
// path's CPU is not measured: the paths share it by design.
func (p *turnPath) result(elapsed time.Duration) RunResult {
	res := RunResult{Kind: "run", Other: -1, Path: p.name, C: 1, Dialect: p.t.dialect, Model: p.t.model, Stream: p.t.stream,
		ElapsedS: elapsed.Seconds()}
	res.Requests, res.Errors, res.ErrSamples = len(p.lats), p.errs.n, p.errs.samples
	if p.busy > 0 {
		res.RPS = float64(len(p.lats)) / p.busy.Seconds()
	}
	res.setLatencies(p.lats, p.ttfe, true) // ttfe: nil unless a stream's
	if n := len(p.lats) + p.errs.n; p.pid > 0 && n > 0 {
		u, s, _ := cpuSplit(p.pid)
		var m1 memStats
		haveMem := p.haveMem
		if haveMem {
			m1, haveMem = readMemStats(p.debug)
		}
		res.setCost(float64(n), u+s-p.cpu0, s-p.sys0, elapsed, p.mem0, m1, haveMem)
	}
	return res
}
