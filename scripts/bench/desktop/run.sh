#!/usr/bin/env bash
# Desktop idle cost (scripts/bench.sh --desktop): the window app against a
# "floor", a minimal Wails + Svelte window built from the Wails CLI's own
# svelte template in the same run, both under Xvfb on a private D-Bus with a
# tray host. For each case: wait until it is up, let it settle, then sum the
# CPU time (every thread of the app and of its WebKit child processes, from
# /proc/*/task/*/schedstat) over the measured window, and the PSS and RSS
# at its end. Cases:
#   floor        the template window, visible
#   visible      Switchboard's dashboard, visible on its first page
#   hidden       the same window closed to the tray (the close button's
#                message, sent as a window manager would)
#   minimized    a fresh start with --minimized (never shown)
# Targets (issue #19): hidden and minimized ≤ 0.1% of a core; visible ≤ 2×
# the floor's CPU + 0.2% of a core; visible PSS ≤ 1.1× the floor's.
#   BENCH_DESKTOP_SECONDS=60  measured time per case
#   BENCH_DESKTOP_SETTLE=10   wait after start (and after hiding)
#   BENCH_BIN=path            the app binary (default: build with scripts/build.sh)
#   BENCH_FLOOR_BIN=path      reuse a floor binary (default: build/bench-floor/floor, built once)
set -euo pipefail
source "$(dirname "$0")/../../lib.sh"
cd "$ROOT"
SECS="${BENCH_DESKTOP_SECONDS:-60}"
SETTLE="${BENCH_DESKTOP_SETTLE:-10}"
scripts/setup.sh --test --bench
BIN="${BENCH_BIN:-}"
if [ -z "$BIN" ]; then
  scripts/build.sh >/dev/null
  BIN="$ROOT/build/bin/switchboard"
fi
FLOOR="${BENCH_FLOOR_BIN:-$ROOT/build/bench-floor/floor}"
if [ ! -x "$FLOOR" ]; then
  log "building the floor: wails init -t svelte (the CLI's template), wails build"
  T="$(mktemp -d)"
  (cd "$T" && wails init -n floor -t svelte -d "$T/floor" >/dev/null && cd floor && wails build -tags webkit2_41 >/dev/null)
  mkdir -p "$(dirname "$FLOOR")" && cp "$T/floor/build/bin/floor" "$FLOOR"
  rm -rf "$T"
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
export NO_AT_BRIDGE=1 SWITCHBOARD_KEYRING=off XDG_CONFIG_HOME="$OUT/xdg"
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash "$ROOT/scripts/bench/desktop/measure.sh" \
  "$BIN" "$FLOOR" "$OUT" "$SECS" "$SETTLE"
