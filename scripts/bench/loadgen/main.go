// Command loadgen drives fixed-concurrency, fixed-duration load for
// scripts/bench.sh and prints one JSON record per measurement on stdout;
// `loadgen report` turns the collected records into the bench table.
//
//	loadgen run       N workers for a fixed duration (after a warm-up) against
//	                  the fake upstream ("direct") or the gateway
//	loadgen c1        c=1 against 2-4 paths taking turns request by request
//	                  (direct, bare proxy, gateway): one record per path
//	loadgen gaps      sequential paced streams: client-side inter-chunk gaps
//	loadgen hold      many concurrent slow streams held open; samples RSS
//	loadgen procstat  RSS / peak RSS / CPU ticks of a process
//	loadgen debugvars goroutines and heap from a /debug/vars (+pprof) endpoint
//	loadgen freeport  free loopback ports
//	loadgen wait      wait until a URL answers
//	loadgen http      one request (bench control endpoints)
//	loadgen body      write an agent-sized request body (Claude Code, Codex,
//	                  Gemini CLI or OpenCode shape; see backend/dialect/dialecttest/agentbody)
//	loadgen soak      a long run of large requests with RSS sampled over time
//	loadgen report    print the table from a JSON-lines results file
//
// Every target is loopback only; every load is bounded in time and count.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen run|c1|gaps|hold|body|soak|procstat|debugvars|freeport|wait|http|report [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "run":
		err = cmdRun(args)
	case "c1":
		err = cmdC1(args)
	case "gaps":
		err = cmdGaps(args)
	case "hold":
		err = cmdHold(args)
	case "body":
		err = cmdBody(args)
	case "soak":
		err = cmdSoak(args)
	case "procstat":
		err = cmdProcstat(args)
	case "debugvars":
		err = cmdDebugVars(args)
	case "freeport":
		err = cmdFreeport(args)
	case "wait":
		err = cmdWait(args)
	case "http":
		err = cmdHTTP(args)
	case "report":
		err = cmdReport(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen "+cmd+":", err)
		os.Exit(1)
	}
}

// emit prints one JSON record.
func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(append(b, '\n'))
}

// loopbackOnly refuses any target that is not a loopback address.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %q is not loopback: refusing", raw)
	}
	return nil
}

func loopbackAddr(addr string) error {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return loopbackOnly(addr)
}
