#!/usr/bin/env bash
# The c=1 lines' own resolution: two copies of the bare proxy (the floor)
# measured against each other exactly as scripts/bench.sh measures the
# gateway against one (proxies on CPU 0, fake upstream and load generator on
# CPU 1, direct beside them in every round, the order rotated, the median of
# the rounds' added latency). Identical proxies should read 1.00×; how far
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

for mode in json sse; do
  flag=()
  [ "$mode" = sse ] && flag=(-stream)
  : >"$TMP/$mode.txt"
  for r in $(seq "$ROUNDS"); do
    case $((r % 3)) in
      0) order="direct A B" ;;
      1) order="A B direct" ;;
      2) order="B direct A" ;;
    esac
    log "$mode round $r of $ROUNDS: $order"
    for who in $order; do
      case $who in
        direct) url="$UP" ;;
        A) url="http://127.0.0.1:$A_PORT" ;;
        B) url="http://127.0.0.1:$B_PORT" ;;
      esac
      out="$(taskset -c 1 "$LG" run -url "$url" -key bench -dialect openai -model d0-n20-p0 "${flag[@]}" \
        -c 1 -d "$DURATION" -warmup 500ms -path direct)"
      grep -q '"errors":0,' <<<"$out" || die "$who: failed requests: $out"
      p50="$(grep -o '"p50_ms":[0-9.]*' <<<"$out" | cut -d: -f2)"
      p99="$(grep -o '"p99_ms":[0-9.]*' <<<"$out" | cut -d: -f2)"
      echo "$r $who $p50 $p99" >>"$TMP/$mode.txt"
    done
  done
  echo "$mode (c=1, $ROUNDS rounds of $DURATION; added = proxy − direct in the same round, median of rounds)"
  awk '
    { v[$1, $2, "p50"] = $3; v[$1, $2, "p99"] = $4; if ($1 > n) n = $1 }
    function median(a, k,   i, j, t) {
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
      split("p50 p99", qs, " ")
      for (q = 1; q <= 2; q++) {
        le = 0
        for (r = 1; r <= n; r++) {
          a[r] = v[r, "A", qs[q]] - v[r, "direct", qs[q]]
          b[r] = v[r, "B", qs[q]] - v[r, "direct", qs[q]]
          if (b[r] <= a[r]) le++
        }
        ma = median(a, n); mb = median(b, n)
        printf "  %s  floor A +%.3f ms  floor B +%.3f ms  B/A %.2f×  (B ≤ A in %d of %d rounds)\n", qs[q], ma, mb, mb / ma, le, n
      }
    }' "$TMP/$mode.txt"
done
