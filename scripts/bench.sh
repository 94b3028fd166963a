#!/usr/bin/env bash
# Gateway performance bench: builds the headless binary, a fake upstream
# (OpenAI, Anthropic and Gemini endpoints, JSON and SSE) and a Go load
# generator, runs them on loopback (gateway pinned to CPU 0, upstream and
# load generator to CPU 1), drives fixed-concurrency, fixed-duration load
# "direct" (load generator → fake upstream) and through the gateway, and
# prints one table with the targets marked PASS/MISS. Stops everything it
# started.
#
#   scripts/bench.sh            full bench (BENCH_RUNS runs, default 3)
#   scripts/bench.sh --quick    CI smoke: 1 run, 2 s per scenario, no 1,000-stream check
#   scripts/bench.sh --profile  CPU/alloc profiles of the gateway under c=32 load
#                               (profiling build: scripts/bench/profgw, pprof on loopback)
#   scripts/bench.sh --agent    agent-sized requests instead of the small ones: generated
#                               Claude Code / Codex / Gemini CLI / OpenCode bodies (~100 KB, ~1 MB) to
#                               every upstream dialect (same dialect = pass-through), c=1 and
#                               c=8, JSON and SSE, plus the issue's 664 KB Claude rows; RPS,
#                               p50/p99, CPU, peak RSS and bytes allocated per request
#   scripts/bench.sh --agent --quick    only the 664 KB Claude target rows, 1 run × 2 s
#   scripts/bench.sh --agent --profile  allocation/CPU profiles under the 664 KB Claude rows
#   scripts/bench.sh --desktop  the window app's idle cost (CPU, PSS) visible, closed to the
#                               tray and started minimized, against a minimal Wails + Svelte
#                               window built from the Wails template (scripts/bench/desktop)
#   scripts/bench.sh --soak     RSS over a long run of large requests (BENCH_SOAK=5m, c=8,
#                               664 KB Claude bodies, pass-through and translated mixed)
#
# Environment:
#   BENCH_RUNS=3          runs per scenario (median reported)
#   BENCH_C1_RUNS=9       rounds of the c=1 pass-through rows and their floor (the
#                         c=1 targets; --quick: BENCH_RUNS)
#   BENCH_DURATION=5s     measured time per scenario (after a BENCH_WARMUP=1s warm-up)
#   BENCH_BIN             set: reuse a built binary instead of building
#                         (its value if it is an executable file, else build/bin/switchboard)
#   BENCH_TAGS            build tags of the benched binary (default webkit2_41,desktop,production;
#                         BENCH_TAGS=headless benches the GUI-free server build)
#   BENCH_GATEWAY=profgw  bench the profiling build instead of the binary (has a debug endpoint)
#   BENCH_STREAMS=1000    slow streams held open; BENCH_HOLD=5s how long
#   BENCH_PROFILE_SECONDS=10  CPU profile length per scenario in --profile mode
#   BENCH_FLOOR=0         skip the "floor" rows (a bare net/http proxy in the gateway's
#                         place, scripts/bench/bareproxy: what any Go proxy costs here)
#   BENCH_KEEP=1          keep the temp dir (results.jsonl, logs, profiles)
#   BENCH_UPSTREAM_CPU=1  the fake upstream's CPU; 0 puts it beside the gateway, with only the
#                         load generator on CPU 1: fewer hops cross cores, so the c=1 rows
#                         resolve smaller differences (c=32 rows then share the gateway's core)
#   Agent mode (--agent; each list is space-separated):
#   BENCH_AGENT_SHAPES="claude codex gemini opencode"   client shapes (Anthropic, Responses, Gemini, Chat)
#   BENCH_AGENT_SIZES="100k 1m"                body sizes ("" = only the target rows)
#   BENCH_AGENT_UPSTREAMS="anthropic openai responses gemini"   upstream dialects
#   BENCH_AGENT_C="1 8"  BENCH_AGENT_MODES="json sse"
#   BENCH_AGENT_TARGET=1  add the issue's rows: 664 KB Claude, c=8, pass-through, →openai,
#                         →gemini, JSON and SSE (with the floor and the copy floor,
#                         scripts/bench/copyfloor, for the pass-through)
#   BENCH_AGENT_FRESH=1   a fresh gateway for every row, so its peak RSS is that row's
#   BENCH_AGENT_RUNS=1, BENCH_AGENT_DURATION=3s   runs and measured time per row
#   BENCH_SOAK=5m, BENCH_SOAK_WARMUP=60s          --soak length and warm-up
#   SWITCHBOARD_DEBUG_ADDR is set for the gateway to a free loopback port; when the
#   binary serves /debug/vars (+ /debug/pprof) there, goroutines, heap and
#   allocations per request are reported too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

QUICK=0
PROFILE=0
AGENT=0
SOAK=0
for a in "$@"; do
  case "$a" in
    --desktop) exec "$ROOT/scripts/bench/desktop/run.sh" ;;
    --quick) QUICK=1 ;;
    --profile) PROFILE=1 ;;
    --agent) AGENT=1 ;;
    --soak) SOAK=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $a (use --quick, --profile, --agent, --soak or --help)" ;;
  esac
done
SMALL=1 # the small-request bench (the default)
[ "$AGENT" = 1 ] || [ "$SOAK" = 1 ] && SMALL=0

RUNS="${BENCH_RUNS:-3}"
C1_RUNS="${BENCH_C1_RUNS:-9}"
DURATION="${BENCH_DURATION:-5s}"
WARMUP="${BENCH_WARMUP:-1s}"
STREAMS="${BENCH_STREAMS:-1000}"
HOLD="${BENCH_HOLD:-5s}"
PROFILE_SECONDS="${BENCH_PROFILE_SECONDS:-10}"
GAPS_STREAMS=20
if [ "$QUICK" = 1 ]; then
  RUNS=1
  C1_RUNS=1
  DURATION=2s
  GAPS_STREAMS=10
fi
UPSTREAM_CPU="${BENCH_UPSTREAM_CPU:-1}"
[[ "$UPSTREAM_CPU" == 0 || "$UPSTREAM_CPU" == 1 ]] || die "BENCH_UPSTREAM_CPU must be 0 or 1"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] && [ "$RUNS" -le 20 ] || die "BENCH_RUNS must be 1..20"
[[ "$C1_RUNS" =~ ^[1-9][0-9]*$ ]] && [ "$C1_RUNS" -le 20 ] || die "BENCH_C1_RUNS must be 1..20"
[[ "$DURATION" =~ ^[0-9]+(ms|s)$ ]] || die "BENCH_DURATION must look like 5s or 500ms"
[[ "$WARMUP" =~ ^[0-9]+(ms|s)$ ]] || die "BENCH_WARMUP must look like 1s or 500ms"
[[ "$STREAMS" =~ ^[0-9]+$ ]] && [ "$STREAMS" -le 5000 ] || die "BENCH_STREAMS must be 0..5000"
if [ "$AGENT" = 1 ]; then
  RUNS="${BENCH_AGENT_RUNS:-1}"
  DURATION="${BENCH_AGENT_DURATION:-3s}"
  [ "$QUICK" = 1 ] && RUNS=1 && DURATION=2s
  [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] && [ "$RUNS" -le 20 ] || die "BENCH_AGENT_RUNS must be 1..20"
  [[ "$DURATION" =~ ^[0-9]+(ms|s)$ ]] || die "BENCH_AGENT_DURATION must look like 3s"
fi
SOAK_DUR="${BENCH_SOAK:-5m}"
SOAK_WARM="${BENCH_SOAK_WARMUP:-60s}"
[[ "$SOAK_DUR" =~ ^[0-9]+(s|m)$ ]] && [[ "$SOAK_WARM" =~ ^[0-9]+(s|m)$ ]] || die "BENCH_SOAK and BENCH_SOAK_WARMUP must look like 5m or 60s"

TMP="$(mktemp -d -t switchboard-bench.XXXXXX)"
RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
PIDS=()

# stop ends one process we started: TERM, then KILL after 12 s.
stop() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$PROFILE" = 1 ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ----
TAGS=""
GW_KIND="${BENCH_GATEWAY:-binary}"
[ "$PROFILE" = 1 ] && GW_KIND=profgw
if [ "$GW_KIND" = profgw ]; then
  log "building the profiling gateway (scripts/bench/profgw)"
  go build -trimpath -o "$TMP/profgw" ./scripts/bench/profgw || die "building scripts/bench/profgw failed"
  BIN="$TMP/profgw"
elif [ -n "${BENCH_BIN:-}" ]; then
  if [ -f "$BENCH_BIN" ] && [ -x "$BENCH_BIN" ]; then BIN="$BENCH_BIN"; else BIN="$ROOT/build/bin/switchboard"; fi
  [ -x "$BIN" ] || die "BENCH_BIN is set but $BIN does not exist (run scripts/build.sh)"
  log "reusing $BIN"
else
  TAGS="${BENCH_TAGS:-webkit2_41,desktop,production}"
  log "building the headless binary (go build -tags $TAGS -trimpath -o build/bin/switchboard-bench .)"
  mkdir -p build/bin
  go build -tags "$TAGS" -trimpath -o build/bin/switchboard-bench . ||
    die "building the binary failed (a tree mid-edit?); BENCH_BIN=1 reuses build/bin/switchboard"
  BIN="$ROOT/build/bin/switchboard-bench"
fi
log "building the fake upstream and the load generator"
go build -trimpath -o "$TMP/fakeupstream" ./scripts/bench/fakeupstream
go build -trimpath -o "$TMP/loadgen" ./scripts/bench/loadgen
FLOOR="${BENCH_FLOOR:-1}"
[ "$PROFILE" = 1 ] && FLOOR=0
[ "$SMALL" = 0 ] && [ "$AGENT" = 0 ] && FLOOR=0
[ "$FLOOR" = 1 ] && go build -trimpath -o "$TMP/bareproxy" ./scripts/bench/bareproxy
[ "$FLOOR" = 1 ] && [ "$AGENT" = 1 ] && go build -trimpath -o "$TMP/copyfloor" ./scripts/bench/copyfloor
LG="$TMP/loadgen"

# ---- pinning ----
PIN_GW=()
PIN_LOAD=()
PIN_UP=()
GW_CPU=-1
PINNED="none (taskset unavailable or fewer than 2 CPUs)"
CPUS="$(nproc 2>/dev/null || echo 1)"
if command -v taskset >/dev/null && [ "$CPUS" -ge 2 ]; then
  PIN_GW=(taskset -c 0)
  PIN_LOAD=(taskset -c 1)
  PIN_UP=(taskset -c "$UPSTREAM_CPU")
  GW_CPU=0
  PINNED="gateway on CPU 0 (taskset -c 0); fake upstream + load generator on CPU 1 (taskset -c 1)"
  [ "$UPSTREAM_CPU" = 0 ] && PINNED="gateway and fake upstream on CPU 0 (taskset -c 0); load generator on CPU 1 (taskset -c 1)"
fi
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START="$(loadavg)"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"

# ---- fake upstream ----
read -r UP_PORT GW_PORT DBG_PORT FLOOR_PORT COPY_PORT < <("$LG" freeport -n 5)
UP="http://127.0.0.1:$UP_PORT"
GW="http://127.0.0.1:$GW_PORT"
FL="http://127.0.0.1:$FLOOR_PORT"
CF="http://127.0.0.1:$COPY_PORT"
DBG="127.0.0.1:$DBG_PORT"
"${PIN_UP[@]}" "$TMP/fakeupstream" -addr "127.0.0.1:$UP_PORT" >"$TMP/fakeupstream.log" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
"$LG" wait -url "$UP/_bench/stats" -timeout 15s || die "fake upstream did not start: $(cat "$TMP/fakeupstream.log")"

# ---- config: one provider per dialect on the fake upstream, one local key ----
KEY="sk-bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
UPKEY="sk-upstream-bench-0123456789"
M_FAST="d0-n20-p0"     # 0 ms upstream, 20 chunks back to back
M_LAT50="d50-n20-p0"   # 50 ms before the first byte
M_PACED="d0-n20-p10"   # 20 chunks, 10 ms apart
M_SLOW="d0-n30-p1000"  # 30 chunks, 1 s apart (30 s stream)
CFG="$TMP/switchboard.yaml"
{
  echo "listen: 127.0.0.1:$GW_PORT"
  echo "data_dir: $TMP/data"
  echo "log_level: warn"
  echo "keys:"
  echo "  - name: bench"
  echo "    key: $KEY"
  echo "providers:"
  for p in "oai openai-compatible $UP/v1" "rsp responses-compatible $UP/v1" "ant anthropic-compatible $UP" "gem gemini-compatible $UP"; do
    read -r id typ base <<<"$p"
    echo "  - id: $id"
    echo "    type: $typ"
    echo "    base_url: $base"
    echo "    allow_local: true"
    echo "    models: [$M_FAST, $M_LAT50, $M_PACED, $M_SLOW]"
    echo "    accounts:"
    echo "      - name: bench"
    echo "        api_key: $UPKEY"
  done
} >"$CFG"

# ---- gateway ----
GW_ARGS=()
if [ "$GW_KIND" = profgw ]; then
  GW_ARGS=(--config "$CFG" --debug-addr "$DBG")
else
  GW_ARGS=(serve --config "$CFG")
  if "$BIN" --help 2>&1 | grep -q -- '--debug-addr'; then GW_ARGS+=(--debug-addr "$DBG"); fi
fi
# start_gateway starts the gateway (default settings) and waits until it answers.
start_gateway() {
  SWITCHBOARD_KEYRING=off SWITCHBOARD_TRAY=off SWITCHBOARD_DEBUG_ADDR="$DBG" \
    "${PIN_GW[@]}" "$BIN" "${GW_ARGS[@]}" >>"$TMP/gateway.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  if ! "$LG" wait -url "$GW/v1/models" -timeout 30s; then
    cat "$TMP/gateway.log" >&2
    die "the gateway did not start"
  fi
}
# forget drops a stopped process from PIDS (its id may be reused later).
forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
# restart_gateway replaces the gateway with a fresh process (agent rows:
# each row's peak RSS is then its own).
restart_gateway() {
  stop "$GW_PID"
  forget "$GW_PID"
  start_gateway
  sleep 0.5
}
start_gateway
sleep 2
"$LG" procstat -pid "$GW_PID" -label startup >>"$RESULTS"
# The server hands start-up's memory back about 5 s after it starts
# (core.Instance.RestWhenIdle): idle is measured after that.
sleep 6
"$LG" procstat -pid "$GW_PID" -label idle >>"$RESULTS"
DEBUG=0
if "$LG" debugvars -addr "$DBG" -label probe | grep -q '"ok":true'; then
  DEBUG=1
  log "gateway debug endpoint found on $DBG: goroutines, heap and allocations will be reported"
else
  log "the gateway serves no /debug/vars on \$SWITCHBOARD_DEBUG_ADDR: RSS only (a debug endpoint is needed for goroutine/heap checks)"
fi
DBG_ARGS=()
[ "$DEBUG" = 1 ] && DBG_ARGS=(-debug "$DBG")

# lg runs the load generator on the load CPU.
lg() { "${PIN_LOAD[@]}" "$LG" "$@"; }

# Smoke: every dialect through the gateway once, JSON and SSE, before measuring.
for d in openai anthropic gemini; do
  for s in "" -stream; do
    out="$(lg run -url "$GW" -key "$KEY" -dialect "$d" -model "oai/$M_FAST" $s -c 1 -d 100ms -warmup 0s -scenario smoke -path gateway)"
    if ! grep -q '"errors":0,' <<<"$out" || grep -q '"requests":0,' <<<"$out"; then
      echo "$out" >&2
      tail -20 "$TMP/gateway.log" >&2
      die "smoke request failed ($d ${s:-json})"
    fi
  done
done
[ "$DEBUG" = 1 ] && "$LG" debugvars -addr "$DBG" -label preload -gc >>"$RESULTS"

# ---- floors: proxies doing less than the gateway, on its CPU ----
# start_beside starts one (program, URL that answers once it is up, its
# arguments…); its PID is left in BESIDE_PID.
start_beside() {
  local prog="$1" url="$2"
  shift 2
  "${PIN_GW[@]}" "$TMP/$prog" "$@" >>"$TMP/$prog.log" 2>&1 &
  BESIDE_PID=$!
  PIDS+=("$BESIDE_PID")
  "$LG" wait -url "$url" -timeout 15s || die "$prog did not start: $(cat "$TMP/$prog.log")"
}
# The floor: a bare net/http proxy.
FLOOR_PID=0
start_floor() { start_beside bareproxy "$FL/" -addr "127.0.0.1:$FLOOR_PORT" -upstream "$UP" && FLOOR_PID=$BESIDE_PID; }
[ "$FLOOR" = 1 ] && start_floor
# The copy floor (agent pass-through rows): the least any HTTP/1.1 proxy does
# with a request, so its CPU is what a pass-through costs here before any work
# of the gateway's own (mostly the kernel's loopback TCP).
COPY_PID=0
start_copyfloor() {
  start_beside copyfloor "$CF/_bench/stats" -addr "127.0.0.1:$COPY_PORT" -upstream "127.0.0.1:$UP_PORT" && COPY_PID=$BESIDE_PID
}
[ "$FLOOR" = 1 ] && [ "$AGENT" = 1 ] && start_copyfloor

# ---- agent-sized bodies (--agent, --soak) ----
# Generated once per shape and size; loadgen run sets the model and stream flag.
declare -A SHAPE_DIALECT=([claude]=anthropic [codex]=responses [gemini]=gemini [opencode]=openai)
declare -A UP_PREFIX=([openai]=oai [responses]=rsp [anthropic]=ant [gemini]=gem)
agent_body() { # shape size → path of the body file
  local f="$TMP/bodies/$1-$2.json"
  if [ ! -f "$f" ]; then
    mkdir -p "$TMP/bodies"
    "$LG" body -shape "$1" -size "$2" -seed 1 -o "$f" >>"$TMP/bodies.jsonl" || die "loadgen body -shape $1 -size $2 failed"
  fi
  echo "$f"
}
# agent_run measures one agent row: shape size upstream mode c run path
agent_run() {
  local shape="$1" size="$2" up="$3" mode="$4" c="$5" run="$6" path="$7" s="" out body d
  [ "$mode" = sse ] && s=-stream
  body="$(agent_body "$shape" "$size")"
  d="${SHAPE_DIALECT[$shape]}"
  local args=(run -run "$run" -scenario "agent-$shape-$size-$up-$mode" -path "$path" -dialect "$d" $s -c "$c"
    -d "$DURATION" -warmup "$WARMUP" -body "$body" -shape "$shape" -upstream "$up")
  if [ "$path" = floor ]; then
    args+=(-url "$FL" -key "$UPKEY" -model "$M_FAST" -pid "$FLOOR_PID" -cpu "$GW_CPU")
  elif [ "$path" = copyfloor ]; then
    args+=(-url "$CF" -key "$UPKEY" -model "$M_FAST" -pid "$COPY_PID" -cpu "$GW_CPU")
  else
    args+=(-url "$GW" -key "$KEY" -model "${UP_PREFIX[$up]}/$M_FAST" -pid "$GW_PID" -cpu "$GW_CPU" "${DBG_ARGS[@]}")
  fi
  out="$(lg "${args[@]}")"
  echo "$out" >>"$RESULTS"
  printf '    %-8s rps %-8s p50 %-7s p99 %-7s cpu/req %-6s (sys %-5s) rss peak %s KiB  alloc/req %s  errors %s\n' "$path" \
    "$(sed -n 's/.*"rps":\([0-9]*\.\{0,1\}[0-9]\{0,1\}\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"p50_ms":\([0-9]*\.[0-9]\{0,2\}\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"p99_ms":\([0-9]*\.[0-9]\{0,2\}\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"cpu_ms_per_req":\([0-9]*\.[0-9]\{0,3\}\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"cpu_sys_ms_per_req":\([0-9]*\.[0-9]\{0,3\}\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"rss_peak_kib":\([0-9]*\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"alloc_bytes_per_req":\([0-9]*\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$out")" >&2
}

if [ "$PROFILE" = 1 ]; then
  # ---- profiling mode: CPU + allocation profiles under c=32 load (c=8 agent bodies) ----
  PROFILE_C=32
  [ "$AGENT" = 1 ] && PROFILE_C=8
  profile() { # name dialect stream(0/1) model [loadgen run flags…]
    local name="$1" dialect="$2" stream="$3" model="$4" s=""
    shift 4
    [ "$stream" = 1 ] && s=-stream
    log "profiling $name (c=$PROFILE_C, ${PROFILE_SECONDS}s)"
    lg run -url "$GW" -key "$KEY" -dialect "$dialect" -model "$model" $s -c "$PROFILE_C" -d "$((PROFILE_SECONDS + 2))s" -warmup 1s \
      -pid "$GW_PID" -cpu "$GW_CPU" -debug "$DBG" -scenario "$name" -path gateway "$@" >>"$RESULTS" &
    local lpid=$!
    sleep 1.5
    "$LG" http -url "http://$DBG/debug/pprof/profile?seconds=$PROFILE_SECONDS" -o "$TMP/$name.cpu.pprof" &
    local ppid=$!
    "$LG" http -url "http://$DBG/debug/pprof/allocs?seconds=$PROFILE_SECONDS" -o "$TMP/$name.allocs.pprof" || true
    wait "$ppid" || true
    wait "$lpid"
  }
  if [ "$AGENT" = 1 ]; then
    CLAUDE="$(agent_body claude 664k)"
    PROFILES=(agent-pt-json agent-tr-openai-json agent-pt-sse agent-tr-gemini-sse)
    profile agent-pt-json anthropic 0 "ant/$M_FAST" -body "$CLAUDE" -shape claude -upstream anthropic
    profile agent-tr-openai-json anthropic 0 "oai/$M_FAST" -body "$CLAUDE" -shape claude -upstream openai
    profile agent-pt-sse anthropic 1 "ant/$M_FAST" -body "$CLAUDE" -shape claude -upstream anthropic
    profile agent-tr-gemini-sse anthropic 1 "gem/$M_FAST" -body "$CLAUDE" -shape claude -upstream gemini
    echo "Profiles of the gateway (profiling build, pinned to one core) under c=8 load of a 664 KB Claude Code-shaped request — files in $TMP"
    "$LG" report -in "$RESULTS" | sed -n '/^Agent-sized/,/^  (needs/p'
  else
    PROFILES=(pt-json pt-sse tr-anth-json tr-anth-sse)
    profile pt-json openai 0 "oai/$M_FAST"
    profile pt-sse openai 1 "oai/$M_FAST"
    profile tr-anth-json anthropic 0 "oai/$M_FAST"
    profile tr-anth-sse anthropic 1 "oai/$M_FAST"
    echo "Profiles of the gateway (profiling build, pinned to one core) under c=32 load — files in $TMP"
    "$LG" report -in "$RESULTS" | sed -n '/^Latency/,/^  1st =/p'
  fi
  for name in "${PROFILES[@]}"; do
    echo
    echo "=== $name: CPU (top 30, flat) ==="
    go tool pprof -top -nodecount=30 "$BIN" "$TMP/$name.cpu.pprof" 2>/dev/null | sed -n '1,40p'
    echo "=== $name: CPU (top 25, cumulative) ==="
    go tool pprof -top -cum -nodecount=25 "$BIN" "$TMP/$name.cpu.pprof" 2>/dev/null | sed -n '6,32p'
    echo "=== $name: allocations (alloc_space, top 20) ==="
    go tool pprof -sample_index=alloc_space -top -nodecount=20 "$BIN" "$TMP/$name.allocs.pprof" 2>/dev/null | sed -n '5,27p'
    echo "=== $name: allocations (alloc_objects, top 20) ==="
    go tool pprof -sample_index=alloc_objects -top -nodecount=20 "$BIN" "$TMP/$name.allocs.pprof" 2>/dev/null | sed -n '5,27p'
  done
  exit 0
fi

if [ "$SMALL" = 1 ]; then
# ---- scenarios: name dialect stream(0/1) concurrency gateway-model direct-model ----
SCENARIOS=(
  "pt-json      openai    0 1  oai/$M_FAST  $M_FAST"
  "pt-json      openai    0 32 oai/$M_FAST  $M_FAST"
  "pt-sse       openai    1 1  oai/$M_FAST  $M_FAST"
  "pt-sse       openai    1 32 oai/$M_FAST  $M_FAST"
  "tr-anth-json anthropic 0 1  oai/$M_FAST  $M_FAST"
  "tr-anth-json anthropic 0 32 oai/$M_FAST  $M_FAST"
  "tr-anth-sse  anthropic 1 1  oai/$M_FAST  $M_FAST"
  "tr-anth-sse  anthropic 1 32 oai/$M_FAST  $M_FAST"
  "tr-gem-json  gemini    0 1  oai/$M_FAST  $M_FAST"
  "tr-gem-json  gemini    0 32 oai/$M_FAST  $M_FAST"
  "tr-gem-sse   gemini    1 1  oai/$M_FAST  $M_FAST"
  "tr-gem-sse   gemini    1 32 oai/$M_FAST  $M_FAST"
  "lat50-json   openai    0 32 oai/$M_LAT50 $M_LAT50"
  "lat50-sse    openai    1 32 oai/$M_LAT50 $M_LAT50"
)
if [ "${BENCH_PASSTHROUGH_ALL:-0}" = 1 ]; then
  SCENARIOS+=(
    "pt-anth-json anthropic 0 32 ant/$M_FAST $M_FAST"
    "pt-anth-sse  anthropic 1 32 ant/$M_FAST $M_FAST"
    "pt-gem-json  gemini    0 32 gem/$M_FAST $M_FAST"
    "pt-gem-sse   gemini    1 32 gem/$M_FAST $M_FAST"
  )
fi

measure() { # run path name dialect stream c model
  local run="$1" path="$2" name="$3" dialect="$4" stream="$5" c="$6" model="$7" s="" out
  [ "$stream" = 1 ] && s=-stream
  local args=(run -run "$run" -scenario "$name" -path "$path" -dialect "$dialect" -model "$model" $s -c "$c" -d "$DURATION" -warmup "$WARMUP")
  if [ "$path" = direct ]; then
    args+=(-url "$UP" -key "$UPKEY")
  elif [ "$path" = floor ]; then
    args+=(-url "$FL" -key "$UPKEY" -pid "$FLOOR_PID" -cpu "$GW_CPU")
  else
    args+=(-url "$GW" -key "$KEY" -pid "$GW_PID" -cpu "$GW_CPU" "${DBG_ARGS[@]}")
  fi
  out="$(lg "${args[@]}")"
  echo "$out" >>"$RESULTS"
  print_row "$out"
}

# print_row shows one loadgen record's path, rps, p50, p99 and errors.
print_row() { # record [note]
  printf '    %-8s rps %-8s p50 %-7s p99 %-7s errors %s%s\n' \
    "$(sed -n 's/.*"path":"\([a-z]*\)".*/\1/p' <<<"$1")" \
    "$(sed -n 's/.*"rps":\([0-9]*\).*/\1/p' <<<"$1")" \
    "$(sed -n 's/.*"p50_ms":\([0-9]*\.[0-9]\{0,3\}\).*/\1/p' <<<"$1")" \
    "$(sed -n 's/.*"p99_ms":\([0-9]*\.[0-9]\{0,3\}\).*/\1/p' <<<"$1")" \
    "$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$1")" "${2:-}" >&2
}

# measure_turns measures a c=1 scenario's paths taking turns request by
# request (loadgen c1): the machine's drift between windows measured one
# after the other moved two identical proxies' p99 up to 1.6× apart
# (scripts/bench/floor-vs-floor.sh). Each path still gets DURATION.
measure_turns() { # run name dialect stream model dmodel paths...
  local run="$1" name="$2" dialect="$3" stream="$4" model="$5" dmodel="$6" s="" out path to=()
  shift 6
  [ "$stream" = 1 ] && s=-stream
  for path in "$@"; do
    case "$path" in
      direct) to+=(-to "direct,$UP,$UPKEY,$dmodel") ;;
      floor) to+=(-to "floor,$FL,$UPKEY,$dmodel,$FLOOR_PID") ;;
      gateway) to+=(-to "gateway,$GW,$KEY,$model,$GW_PID$([ "$DEBUG" = 1 ] && echo ",$DBG")") ;;
    esac
  done
  out="$(lg c1 -run "$run" -scenario "$name" -dialect "$dialect" $s -d "$DURATION" -warmup "$WARMUP" "${to[@]}")"
  echo "$out" >>"$RESULTS"
  while read -r rec; do
    print_row "$rec" " (taking turns)"
  done <<<"$out"
}

# scenario_round measures one scenario's paths in one round: run "name dialect stream c gmodel dmodel"
scenario_round() {
  local run="$1" name dialect stream c gmodel dmodel path model paths
  read -r name dialect stream c gmodel dmodel <<<"$2"
  # Alternate the order so slow drift of the machine's load does not
  # always favour the same side.
  paths=(direct gateway)
  # The floor runs for the pass-through and 50 ms scenarios (same request bytes).
  [ "$FLOOR" = 1 ] && [[ "$name" == pt-* || "$name" == lat50-* ]] && paths+=(floor)
  if [ "$c" = 1 ]; then
    measure_turns "$run" "$name" "$dialect" "$stream" "$gmodel" "$dmodel" "${paths[@]}"
    return
  fi
  if [ $((run % 2)) = 0 ]; then paths=($(printf '%s\n' "${paths[@]}" | tac)); fi
  for path in "${paths[@]}"; do
    model="$gmodel"
    [ "$path" = direct ] && model="$dmodel"
    measure "$run" "$path" "$name" "$dialect" "$stream" "$c" "$model"
  done
}

TOTAL=$((${#SCENARIOS[@]} * RUNS))
i=0
for run in $(seq "$RUNS"); do
  for sc in "${SCENARIOS[@]}"; do
    read -r name _ _ c _ <<<"$sc"
    i=$((i + 1))
    log "[$i/$TOTAL] run $run: $name c=$c (load avg $(loadavg))"
    scenario_round "$run" "$sc"
  done
done

# The c=1 targets compare the gateway's added latency with the floor's:
# differences of about 0.1 ms (p50) and 0.3 ms (p99), at a tail where two
# identical proxies taking turns still read up to 16% apart in one round.
# Those rows get more rounds (the report takes the median of the per-round
# differences).
if [ "$FLOOR" = 1 ] && [ "$C1_RUNS" -gt "$RUNS" ]; then
  for run in $(seq $((RUNS + 1)) "$C1_RUNS"); do
    for sc in "${SCENARIOS[@]}"; do
      read -r name _ _ c _ <<<"$sc"
      [[ "$c" == 1 && "$name" == pt-* ]] || continue
      log "c=1 against the floor, round $run of $C1_RUNS: $name (load avg $(loadavg))"
      scenario_round "$run" "$sc"
    done
  done
fi

# ---- chunk forwarding: paced stream, gaps at the client ----
log "stream chunk forwarding: 20 chunks at 10 ms, $GAPS_STREAMS streams, direct and through the gateway"
lg gaps -url "$UP" -key "$UPKEY" -model "$M_PACED" -chunks 20 -pace 10ms -n "$GAPS_STREAMS" -path direct >>"$RESULTS"
lg gaps -url "$GW" -key "$KEY" -model "oai/$M_PACED" -chunks 20 -pace 10ms -n "$GAPS_STREAMS" -path gateway >>"$RESULTS"

# ---- after the load: let pools drain, then read RSS (and goroutines/heap) ----
settle() { # label
  "$LG" http -method POST -url "$UP/_bench/close-idle" >/dev/null || true
  sleep 3
  "$LG" procstat -pid "$GW_PID" -label "$1" >>"$RESULTS"
  [ "$DEBUG" = 1 ] && "$LG" debugvars -addr "$DBG" -label "$1" -gc >>"$RESULTS"
  return 0
}
log "after load: closing idle upstream connections, settling 3 s"
settle after-load

# ---- many slow streams held open ----
if [ "$QUICK" = 0 ] && [ "$STREAMS" -gt 0 ]; then
  log "$STREAMS concurrent slow streams (30 chunks, 1 s apart) held for $HOLD"
  lg hold -url "$GW" -key "$KEY" -model "oai/$M_SLOW" -n "$STREAMS" -hold "$HOLD" -pid "$GW_PID" "${DBG_ARGS[@]}" >>"$RESULTS" ||
    log "the slow-stream check failed"
  settle after-hold
fi
fi # small-request bench

# ---- agent-sized requests (--agent) ----
if [ "$AGENT" = 1 ]; then
  A_SHAPES="${BENCH_AGENT_SHAPES:-claude codex gemini opencode}"
  A_SIZES="${BENCH_AGENT_SIZES-100k 1m}"
  A_UPS="${BENCH_AGENT_UPSTREAMS:-anthropic openai responses gemini}"
  A_CS="${BENCH_AGENT_C:-1 8}"
  A_MODES="${BENCH_AGENT_MODES:-json sse}"
  A_TARGET="${BENCH_AGENT_TARGET:-1}"
  A_FRESH="${BENCH_AGENT_FRESH:-1}"
  [ "$QUICK" = 1 ] && A_SIZES="" && A_TARGET=1
  ROWS=() # shape size upstream mode c floor(0/1)
  if [ "$A_TARGET" = 1 ]; then
    for mode in json sse; do
      ROWS+=("claude 664k anthropic $mode 8 $FLOOR" "claude 664k openai $mode 8 0" "claude 664k gemini $mode 8 0")
    done
  fi
  for shape in $A_SHAPES; do
    [ -n "${SHAPE_DIALECT[$shape]:-}" ] || die "unknown shape $shape (claude, codex, gemini, opencode)"
    for size in $A_SIZES; do
      for up in $A_UPS; do
        [ -n "${UP_PREFIX[$up]:-}" ] || die "unknown upstream dialect $up (openai, responses, anthropic, gemini)"
        for mode in $A_MODES; do
          for c in $A_CS; do
            row="$shape $size $up $mode $c 0"
            [[ " ${ROWS[*]/%/|} " == *" $shape $size $up $mode $c "* ]] || ROWS+=("$row")
          done
        done
      done
    done
  done
  log "generating agent bodies"
  for row in "${ROWS[@]}"; do
    read -r shape size _ <<<"$row"
    agent_body "$shape" "$size" >/dev/null
  done
  sed 's/^/    /' "$TMP/bodies.jsonl" >&2
  TOTAL=$((${#ROWS[@]} * RUNS))
  i=0
  for run in $(seq "$RUNS"); do
    for row in "${ROWS[@]}"; do
      read -r shape size up mode c floor <<<"$row"
      i=$((i + 1))
      log "[$i/$TOTAL] run $run: $shape $size ${SHAPE_DIALECT[$shape]} → $up $mode c=$c (load avg $(loadavg))"
      if [ "$A_FRESH" = 1 ]; then restart_gateway; fi
      agent_run "$shape" "$size" "$up" "$mode" "$c" "$run" gateway
      if [ "$floor" = 1 ] && [ "$FLOOR_PID" != 0 ]; then
        if [ "$A_FRESH" = 1 ]; then stop "$FLOOR_PID"; forget "$FLOOR_PID"; start_floor; fi
        agent_run "$shape" "$size" "$up" "$mode" "$c" "$run" floor
      fi
      if [ "$floor" = 1 ] && [ "$COPY_PID" != 0 ]; then
        if [ "$A_FRESH" = 1 ]; then stop "$COPY_PID"; forget "$COPY_PID"; start_copyfloor; fi
        agent_run "$shape" "$size" "$up" "$mode" "$c" "$run" copyfloor
      fi
    done
  done
fi

# ---- a long run of large requests: is RSS flat after the warm-up? (--soak) ----
if [ "$SOAK" = 1 ]; then
  CLAUDE="$(agent_body claude 664k)"
  restart_gateway
  log "soak: $SOAK_DUR (+$SOAK_WARM warm-up) of 664 KB Claude Code-shaped requests at c=8: pass-through and translated, JSON and SSE"
  # -quiet: the gateway hands the heap back 30 s after large requests end.
  lg soak -url "$GW" -key "$KEY" -pid "$GW_PID" -c 8 -d "$SOAK_DUR" -warmup "$SOAK_WARM" -label "claude-664k-mixed" -quiet 40s \
    -target "anthropic,ant/$M_FAST,$CLAUDE" -target "anthropic,oai/$M_FAST,$CLAUDE" \
    -target "anthropic,ant/$M_FAST,$CLAUDE,sse" -target "anthropic,gem/$M_FAST,$CLAUDE,sse" >>"$RESULTS"
fi

# ---- report ----
LOAD_END="$(loadavg)"
printf '{"kind":"meta","commit":"%s","runs":%d,"duration":"%s","warmup":"%s","bin":"%s","pinned":"%s","load_start":"%s","load_end":"%s","quick":%s,"debug":%s,"cpus":%d,"upstream":"%s"}\n' \
  "$COMMIT" "$RUNS" "$DURATION" "$WARMUP" "${BIN#"$ROOT"/} ($GW_KIND${TAGS:+ -tags $TAGS}, serve, request log on)" "$PINNED" "$LOAD_START" "$LOAD_END" \
  "$([ "$QUICK" = 1 ] && echo true || echo false)" "$([ "$DEBUG" = 1 ] && echo true || echo false)" "$CPUS" \
  "scripts/bench/fakeupstream: ~1.5 KB answers with usage; streams of 20 chunks flushed one by one" >>"$RESULTS"
# Exit status: non-zero when any request failed (targets are reported, not
# enforced: this machine's numbers are too noisy to gate on).
"$LG" report -in "$RESULTS" -fail-on-errors
