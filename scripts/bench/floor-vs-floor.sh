#!/usr/bin/env bash
# The c=1 lines' own resolution: two copies of the bare proxy (the floor)
# measured against each other exactly as scripts/bench.sh measures the
# gateway against one (proxies on CPU 0, fake upstream and load generator on
# CPU 1, direct beside them, the three taking turns request by request, the
# median of the rounds' added latency). Identical proxies should read 1.00×; how far
# they stray is how small a difference the bench's 1.1× lines can tell.
#
#   scripts/bench/floor-vs-floor.sh              JSON and SSE, 9 rounds of 3 s each
#   BENCH_C1_RUNS=5 BENCH_DURATION=2s scripts/bench/floor-vs-floor.sh
#
# Everything runs on 127.0.0.1 and is stopped (by PID) when it exits
# (about 2 minutes per mode with the defaults).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

ROUNDS="${BENCH_C1_RUNS:-9}"
DURATION="${BENCH_DURATION:-3s}"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] && [ "$ROUNDS" -le 20 ] || die "BENCH_C1_RUNS must be 1..20"
[[ "$DURATION" =~ ^[0-9]+(ms|s)$ ]] || die "BENCH_DURATION must look like 3s"
command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] || die "needs taskset and 2 CPUs (the bench's layout)"

TMP="$(mktemp -d -t switchboard-floors.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building the fake upstream, the bare proxy and the load generator"
for p in fakeupstream bareproxy loadgen; do go build -trimpath -o "$TMP/$p" "./scripts/bench/$p"; done
LG="$TMP/loadgen"
read -r UP_PORT A_PORT B_PORT < <("$LG" freeport -n 3)
UP="http://127.0.0.1:$UP_PORT"
taskset -c 1 "$TMP/fakeupstream" -addr "127.0.0.1:$UP_PORT" >"$TMP/up.log" 2>&1 &
PIDS+=($!)
"$LG" wait -url "$UP/_bench/stats" -timeout 15s || die "fake upstream did not start"
for port in "$A_PORT" "$B_PORT"; do
  taskset -c 0 "$TMP/bareproxy" -addr "127.0.0.1:$port" -upstream "$UP" >>"$TMP/proxies.log" 2>&1 &
  PIDS+=($!)
  "$LG" wait -url "http://127.0.0.1:$port/" -timeout 15s || die "bareproxy did not start"
done

# The records are the bench's (loadgen c1, the paths taking turns as the
# bench's c=1 rows do: direct, floor = copy A, gateway = copy B) and the
# verdict lines are its report's, so the arithmetic is the bench's own.
RESULTS="$TMP/results.jsonl"
for mode in json sse; do
  flag=()
  [ "$mode" = sse ] && flag=(-stream)
  for r in $(seq "$ROUNDS"); do
    log "$mode round $r of $ROUNDS"
    out="$(taskset -c 1 "$LG" c1 -run "$r" -scenario "pt-$mode" -dialect openai "${flag[@]}" -d "$DURATION" -warmup 500ms \
      -to "direct,$UP,bench,d0-n20-p0" -to "floor,http://127.0.0.1:$A_PORT,bench,d0-n20-p0" -to "gateway,http://127.0.0.1:$B_PORT,bench,d0-n20-p0")"
    grep -q '"errors":[1-9]' <<<"$out" && die "failed requests: $out"
    echo "$out" >>"$RESULTS"
  done
done
echo "c=1, $ROUNDS rounds of $DURATION; \"gateway\" is copy B, \"floor\" copy A (scripts/bench.sh's report lines):"
"$LG" report -in "$RESULTS" | grep 'added latency c=1'
