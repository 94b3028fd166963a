#!/usr/bin/env bash
# Runs inside Xvfb + a private D-Bus (see run.sh): measure.sh BIN FLOOR OUT SECS SETTLE
set -uo pipefail
BIN="$1"; FLOOR="$2"; OUT="$3"; SECS="$4"; SETTLE="$5"
HERE="$(cd "$(dirname "$0")" && pwd)"
trayer --edge bottom --align right --widthtype request --height 32 --SetDockType true \
  --SetPartialStrut true --transparent false --expand false >/dev/null 2>&1 & TRAYER=$!
sleep 1
tree() { # a process and all its descendants
  echo "$1"
  local c
  for c in $(pgrep -P "$1"); do tree "$c"; done
}
cpu_snap() { # "tid ns" for every thread of a process tree
  local p t
  for p in $(tree "$1"); do
    for t in /proc/"$p"/task/*; do
      read -r ns _ <"$t/schedstat" 2>/dev/null && echo "${t##*/} $ns"
    done
  done
}
cpu_delta() { # ns spent between two snapshots: threads seen in both, plus new ones
  awk 'NR==FNR { a[$1]=$2; next } { d += ($1 in a) ? $2 - a[$1] : $2 } END { print d+0 }' "$1" "$2"
}
mem_kb() { # PSS RSS of a process tree, in KiB
  local p pss=0 rss=0 a b
  for p in $(tree "$1"); do
    a=$(awk '/^Pss:/{print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    b=$(awk '/^Rss:/{print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    pss=$((pss + ${a:-0})); rss=$((rss + ${b:-0}))
  done
  echo "$pss $rss"
}
wait_for() { # wait_for LOG PATTERN PID
  for _ in $(seq 1 120); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
measure() { # measure NAME PID: prints "NAME cpu% pssMiB rssMiB procs" (MiB to 0.1: the PSS target is 1.1× the floor)
  local t0 t1 m
  cpu_snap "$2" >"$OUT/cpu0"; t0=$(date +%s%N)
  sleep "$SECS"
  cpu_snap "$2" >"$OUT/cpu1"; t1=$(date +%s%N)
  m=$(mem_kb "$2")
  awk -v n="$1" -v c="$(cpu_delta "$OUT/cpu0" "$OUT/cpu1")" -v t=$((t1 - t0)) -v m="$m" -v p="$(tree "$2" | wc -l)" \
    'BEGIN{split(m,a," "); printf "%s %.3f %.1f %.1f %d\n", n, 100*c/t, a[1]/1024, a[2]/1024, p}' | tee -a "$OUT/results"
}
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 40); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done; kill -KILL "$1" 2>/dev/null; }

echo "measuring $SECS s per case after $SETTLE s to settle"
# The floor.
"$FLOOR" >"$OUT/floor.log" 2>&1 & P=$!
sleep "$SETTLE"
measure floor $P
stop $P

# Switchboard, first visible, then closed to the tray.
mkdir -p "$OUT/data"
"$BIN" --listen 127.0.0.1:0 --data-dir "$OUT/data" >"$OUT/app.log" 2>&1 & P=$!
wait_for "$OUT/app.log" "window dom ready" $P || { cat "$OUT/app.log"; echo "the window never became ready"; exit 1; }
sleep "$SETTLE"
measure visible $P
/usr/bin/python3 "$HERE/closewin.py" Switchboard || exit 1
sleep "$SETTLE"
measure hidden $P
stop $P

# Switchboard started hidden in the tray.
mkdir -p "$OUT/data2"
"$BIN" --minimized --listen 127.0.0.1:0 --data-dir "$OUT/data2" >"$OUT/app2.log" 2>&1 & P=$!
wait_for "$OUT/app2.log" "tray ready" $P || { cat "$OUT/app2.log"; echo "the tray never became ready"; exit 1; }
sleep "$SETTLE"
measure minimized $P
stop $P
kill "$TRAYER" 2>/dev/null

echo
awk '
  { cpu[$1]=$2; pss[$1]=$3; rss[$1]=$4; procs[$1]=$5; order[n++]=$1 }
  END {
    printf "%-10s %10s %9s %9s %6s\n", "case", "CPU %core", "PSS MiB", "RSS MiB", "procs"
    for (i=0;i<n;i++) { k=order[i]; printf "%-10s %10.3f %9.1f %9.1f %6d\n", k, cpu[k], pss[k], rss[k], procs[k] }
    print ""
    lim = 2*cpu["floor"] + 0.2
    v(cpu["hidden"] <= 0.1, sprintf("hidden in the tray: %.3f%% of a core (target <= 0.1%%)", cpu["hidden"]))
    v(cpu["minimized"] <= 0.1, sprintf("started minimized: %.3f%% of a core (target <= 0.1%%)", cpu["minimized"]))
    v(cpu["visible"] <= lim, sprintf("visible and idle: %.3f%% of a core (target <= 2 x floor %.3f + 0.2 = %.3f)", cpu["visible"], cpu["floor"], lim))
    v(pss["visible"] <= 1.1*pss["floor"], sprintf("visible PSS: %.1f MiB (target <= 1.1 x floor %.1f = %.1f)", pss["visible"], pss["floor"], 1.1*pss["floor"]))
  }
  function v(ok, msg) { printf "%s  %s\n", ok ? "PASS" : "MISS", msg }
' "$OUT/results"
