#!/usr/bin/env bash
# Real window + in-process tray under Xvfb on a private D-Bus session. Waits
# for the window's DOM and the tray, screenshots the screen to
# build/smoke-window.png, then stops the app (by PID) and checks it exited
# cleanly. Needs build/bin/switchboard (scripts/build.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
BIN="${BIN:-$ROOT/build/bin/switchboard}"
[ -x "$BIN" ] || die "no binary at $BIN (run scripts/build.sh)"
DATA="$(mktemp -d)"
LOG="$ROOT/build/smoke-window.log"
trap 'rm -rf "$DATA"' EXIT
export NO_AT_BRIDGE=1 SWITCHBOARD_KEYRING=off
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash -c '
  set -u
  BIN="$1"; DATA="$2"; LOG="$3"; OUT="$4"
  "$BIN" --listen 127.0.0.1:0 --data-dir "$DATA" >"$LOG" 2>&1 & APP=$!
  ok=0
  for _ in $(seq 1 60); do
    if grep -q "window dom ready" "$LOG" && grep -q "tray ready" "$LOG"; then ok=1; break; fi
    kill -0 $APP 2>/dev/null || break
    sleep 0.5
  done
  sleep 2  # let the dashboard render its first status
  import -window root "$OUT" || true
  # A second launch must not start a second instance: it finds the first on
  # its port and focuses its window, then exits 0.
  ADDR=$(grep -m1 -o "addr=[0-9.:]*" "$LOG" | cut -d= -f2)
  timeout 10 "$BIN" --listen "$ADDR" --data-dir "$(mktemp -d)" >"$LOG.second" 2>&1; second=$?
  kill -TERM $APP 2>/dev/null; wait $APP; code=$?
  [ $ok = 1 ] || { echo "window or tray never became ready"; exit 1; }
  [ $second = 0 ] && grep -q "already running: focused its window" "$LOG.second" || { echo "second launch did not hand off to the first instance (exit $second)"; cat "$LOG.second"; exit 1; }
  grep -q "stopped cleanly" "$LOG" || { echo "app did not shut down cleanly (exit $code)"; exit 1; }
  exit 0
' _ "$BIN" "$DATA" "$LOG" "$ROOT/build/smoke-window.png" || { cat "$LOG" >&2; die "window smoke failed"; }
log "window smoke OK: build/smoke-window.png"
