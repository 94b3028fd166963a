#!/usr/bin/env bash
# Real window + in-process tray under Xvfb on a private D-Bus session, with
# a tray host (trayer) so the icon is really there. The app runs with a
# config that has a healthy provider and one whose upstream refuses
# connections; a few requests trip that one's breaker. Then:
#   - build/smoke-window.png: the window (and the tray icon, red);
#   - a second launch must hand off to the first and exit 0;
#   - build/smoke-tray.png: the tray menu opened with a click on the icon
#     (xdotool), the failing provider's submenu open;
#   - "Copy endpoint" clicked in the menu puts the endpoint on the clipboard;
#   - "Launch at login" clicked in the menu writes the XDG autostart entry
#     with --minimized (into a temporary XDG_CONFIG_HOME);
#   - "Quit Switchboard" clicked in the menu exits cleanly.
# Then --minimized must start with no window until Open dashboard is
# clicked in the tray. Then the tray helper (the macOS tray, built here for Linux) runs against a
# second app started without its own tray: it must show the same menu
# (build/smoke-tray-helper.png) and quit the app from it.
# Needs build/bin/switchboard (scripts/build.sh). Without trayer the tray
# steps are skipped with a message (the tray must still report ready).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
BIN="${BIN:-$ROOT/build/bin/switchboard}"
[ -x "$BIN" ] || die "no binary at $BIN (run scripts/build.sh)"
DATA="$(mktemp -d)"
LOG="$ROOT/build/smoke-window.log"
trap 'rm -rf "$DATA"' EXIT
KEY="sk-sb-smoke-test-key-0000000000"
cat >"$DATA/config.yaml" <<EOF
keys:
  - name: smoke
    key: $KEY
providers:
  - id: openai
    accounts:
      - name: main
        api_key: sk-smoke-not-a-real-key-000000
  - id: lab
    name: Lab server
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    allow_local: true
    models: [m]
    accounts:
      - name: main
        api_key: sk-lab-000000000000
EOF
rm -f "$ROOT/build/smoke-window.png" "$ROOT/build/smoke-tray.png"
export NO_AT_BRIDGE=1 SWITCHBOARD_KEYRING=off XDG_CONFIG_HOME="$DATA/xdg"
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash -c '
  set -u
  BIN="$1"; DATA="$2"; LOG="$3"; OUT="$4"; TRAYOUT="$5"; KEY="$6"; CLOSEWIN="$7"
  fail() { echo "smoke: $*"; exit 1; }
  TRAYER=""
  if command -v trayer >/dev/null; then
    trayer --edge bottom --align right --widthtype request --height 32 --SetDockType true \
      --SetPartialStrut true --transparent false --tint 0x303030 --expand false >/dev/null 2>&1 & TRAYER=$!
    sleep 1
  else
    echo "smoke: trayer not installed (apt-get install trayer): the tray icon has no host, tray clicks skipped"
  fi
  "$BIN" --listen 127.0.0.1:0 --data-dir "$DATA" --config "$DATA/config.yaml" >"$LOG" 2>&1 & APP=$!
  ok=0
  for _ in $(seq 1 60); do
    if grep -q "window dom ready" "$LOG" && grep -q "tray ready" "$LOG"; then ok=1; break; fi
    kill -0 $APP 2>/dev/null || break
    sleep 0.5
  done
  [ $ok = 1 ] || { kill -TERM $APP 2>/dev/null; fail "window or tray never became ready"; }
  ADDR=$(grep -m1 -o "addr=[0-9.:]*" "$LOG" | cut -d= -f2)
  # The dashboard runs without the JIT (quietWebKit, app/desktop.go): its
  # web process maps no writable and executable memory.
  WEB=$(pgrep -P $APP -f WebKitWebProcess | head -1)
  [ -n "$WEB" ] || { kill -TERM $APP; fail "no WebKit web process under the app"; }
  if grep -q " rwxp " /proc/$WEB/maps; then kill -TERM $APP; fail "the web process maps JIT memory (writable and executable): JSC_useJIT=0 was not applied"; fi
  echo "smoke: the web process runs without the JIT (no writable and executable mapping)"
  # Trip the failing provider: its upstream refuses connections.
  for _ in 1 2 3; do
    curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
      -d "{\"model\":\"lab/m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" "http://$ADDR/v1/chat/completions" || true
  done
  grep -q "kind=provider_tripped provider=lab" "$LOG" || { sleep 1; grep -q "kind=provider_tripped provider=lab" "$LOG" || fail "the lab provider did not trip"; }
  sleep 2  # the dashboard renders its status; the tray turns red
  import -window root "$OUT" || true
  # A second launch must not start a second instance: it finds the first on
  # its port and focuses its window, then exits 0.
  timeout 10 "$BIN" --listen "$ADDR" --data-dir "$(mktemp -d)" >"$LOG.second" 2>&1; second=$?
  [ $second = 0 ] && grep -q "already running: focused its window" "$LOG.second" || { cat "$LOG.second"; kill -TERM $APP; fail "second launch did not hand off to the first instance (exit $second)"; }
  # At rest the app hands memory back: once start-up is over, and again when
  # its window is closed to the tray (the page reports it hidden).
  rested() { grep -c "at rest: memory handed back" "$LOG"; }
  for _ in $(seq 1 40); do [ "$(rested)" -ge 1 ] && break; sleep 0.5; done
  [ "$(rested)" -ge 1 ] || { kill -TERM $APP; fail "no memory handed back after start-up"; }
  /usr/bin/python3 "$CLOSEWIN" Switchboard || { kill -TERM $APP; fail "could not close the window"; }
  for _ in $(seq 1 40); do [ "$(rested)" -ge 2 ] && break; sleep 0.5; done
  [ "$(rested)" -ge 2 ] || { kill -TERM $APP; fail "closing the window to the tray handed no memory back"; }
  kill -0 $APP 2>/dev/null || fail "the app exited when its window was closed to the tray"
  # Hidden, it also rests after each burst of gateway traffic (the page
  # reported it hidden: core.Instance.RestAfterTraffic).
  grep -q "rests after gateway traffic.*on=true" "$LOG" || { kill -TERM $APP; fail "closed to the tray, the app does not rest after traffic"; }
  echo "smoke: memory handed back after start-up and when closed to the tray ($(grep "at rest" "$LOG" | grep -o "code_mib=[0-9]*" | tr "\n" " ")), and after traffic while hidden"
  if [ -n "$TRAYER" ]; then
    ICON=$(xdotool search --classname systray | head -1)
    [ -n "$ICON" ] || { kill -TERM $APP; fail "no tray icon embedded in the tray host"; }
    eval "$(xdotool getwindowgeometry --shell "$ICON")"
    open_menu() { xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1; sleep 1; }
    # Open the menu; keyboard: Down×3 selects the failing provider (the
    # endpoint and the healthy provider come first), Right opens its submenu.
    open_menu
    xdotool key Down Down Down Right; sleep 1
    import -window root "$TRAYOUT" || true
    xdotool key Escape Escape Escape; sleep 0.5
    # The first item copies the endpoint to the clipboard.
    if command -v xclip >/dev/null; then
      open_menu
      xdotool key Down Return; sleep 1
      CLIP=$(timeout 5 xclip -o -selection clipboard 2>/dev/null || true)
      [ "$CLIP" = "http://$ADDR" ] || { kill -TERM $APP; fail "Copy endpoint put \"$CLIP\" on the clipboard, not http://$ADDR"; }
      echo "smoke: Copy endpoint put $CLIP on the clipboard"
    else
      echo "smoke: xclip not installed: the clipboard is not checked"
    fi
    # Launch at login: Up from the top wraps to the last item (Quit); once more is the checkbox.
    open_menu
    xdotool key Up Up Return; sleep 1.5
    AUTO="$XDG_CONFIG_HOME/autostart/switchboard.desktop"
    [ -f "$AUTO" ] || { kill -TERM $APP; fail "Launch at login did not write $AUTO"; }
    grep -q "^Exec=\".*switchboard\" \"--minimized\"$" "$AUTO" || { cat "$AUTO"; kill -TERM $APP; fail "bad Exec line"; }
    echo "smoke: launch at login wrote $(grep ^Exec= "$AUTO")"
    # Quit from the tray.
    open_menu
    xdotool key Up Return
    for _ in $(seq 1 40); do kill -0 $APP 2>/dev/null || break; sleep 0.25; done
    kill -0 $APP 2>/dev/null && { kill -TERM $APP; fail "Quit in the tray menu did not exit"; }
    wait $APP; code=$?
    grep -q "quit from tray" "$LOG" || fail "the quit did not come from the tray"
  else
    kill -TERM $APP 2>/dev/null; wait $APP; code=$?
  fi
  [ -n "$TRAYER" ] && kill $TRAYER 2>/dev/null
  grep -q "stopped cleanly" "$LOG" || fail "app did not shut down cleanly (exit $code)"
  exit 0
' _ "$BIN" "$DATA" "$LOG" "$ROOT/build/smoke-window.png" "$ROOT/build/smoke-tray.png" "$KEY" "$ROOT/scripts/bench/desktop/closewin.py" || { cat "$LOG" >&2; die "window smoke failed"; }

# --minimized (what launch at login runs): no window until Open dashboard
# is clicked in the tray.
if command -v trayer >/dev/null; then
  MDATA="$DATA/minimized"; mkdir -p "$MDATA"
  xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash -c '
    set -u
    BIN="$1"; DATA="$2"; LOG="$3"
    fail() { echo "smoke (minimized): $*"; kill -TERM $APP 2>/dev/null; exit 1; }
    trayer --edge bottom --align right --widthtype request --height 32 --SetDockType true \
      --SetPartialStrut true --transparent false --tint 0x303030 --expand false >/dev/null 2>&1 & TRAYER=$!
    sleep 1
    "$BIN" --minimized --listen 127.0.0.1:0 --data-dir "$DATA" >"$LOG" 2>&1 & APP=$!
    for _ in $(seq 1 60); do grep -q "window started" "$LOG" && grep -q "tray ready" "$LOG" && break; sleep 0.5; done
    grep -q "tray ready" "$LOG" || fail "tray not ready"
    # The main window (not the tray icon, whose window is also named switchboard).
    window_shown() {
      local w
      for w in $(xdotool search --onlyvisible --name "^Switchboard\$" 2>/dev/null); do
        eval "$(xdotool getwindowgeometry --shell "$w")"
        [ "$WIDTH" -ge 200 ] && return 0
      done
      return 1
    }
    sleep 2
    window_shown && fail "--minimized showed the window"
    grep -q "rests after gateway traffic.*on=true" "$LOG" || fail "started into the tray, the app does not rest after traffic"
    ICON=$(xdotool search --classname systray | head -1)
    eval "$(xdotool getwindowgeometry --shell "$ICON")"
    # No providers: Copy endpoint, No providers yet, Open dashboard, …
    xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1; sleep 1
    xdotool key Down Down Down Return
    for _ in $(seq 1 20); do window_shown && break; sleep 0.25; done
    window_shown || fail "Open dashboard in the tray did not show the window"
    grep -q "rests after gateway traffic.*on=false" "$LOG" || fail "shown, the app still rests after traffic"
    echo "smoke: --minimized started hidden in the tray (resting after traffic); Open dashboard showed the window (awake)"
    kill -TERM $APP; wait $APP; kill $TRAYER 2>/dev/null
    grep -q "stopped cleanly" "$LOG" || fail "no clean stop"
    exit 0
  ' _ "$BIN" "$MDATA" "$ROOT/build/smoke-window-minimized.log" || { cat "$ROOT/build/smoke-window-minimized.log" >&2; die "minimized smoke failed"; }
fi

# The tray helper against the loopback API, as on macOS.
if command -v trayer >/dev/null; then
  go build -o "$ROOT/build/bin/switchboard-tray" ./app/trayhelper
  rm -f "$ROOT/build/smoke-tray-helper.png"
  HDATA="$DATA/helper"; mkdir -p "$HDATA"
  SWITCHBOARD_TRAY=off xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash -c '
    set -u
    BIN="$1"; HELPER="$2"; DATA="$3"; LOG="$4"; OUT="$5"
    fail() { echo "smoke (helper): $*"; exit 1; }
    trayer --edge bottom --align right --widthtype request --height 32 --SetDockType true \
      --SetPartialStrut true --transparent false --tint 0x303030 --expand false >/dev/null 2>&1 & TRAYER=$!
    "$BIN" --listen 127.0.0.1:0 --data-dir "$DATA" --config "$DATA/../config.yaml" >"$LOG" 2>&1 & APP=$!
    for _ in $(seq 1 60); do grep -q "window dom ready" "$LOG" && break; sleep 0.5; done
    grep -q "tray ready" "$LOG" && fail "SWITCHBOARD_TRAY=off still started the in-process tray"
    BASE="http://$(grep -m1 -o "addr=[0-9.:]*" "$LOG" | cut -d= -f2)"
    URL="$BASE/login?token=$(grep -m1 -o "login?token=[A-Za-z0-9_-]*" "$LOG" | cut -d= -f2)"
    # The app gives the helper a session; here the one-time login link does.
    SESSION=$(curl -s -o /dev/null -D - "$URL" | sed -n "s/^[Ss]et-[Cc]ookie: sb_session=\([^;]*\).*/\1/p")
    [ -n "$SESSION" ] || fail "no session from the login link"
    SWITCHBOARD_TRAY_TOKEN="$SESSION" "$HELPER" --api "$BASE" --parent $APP >"$LOG.helper" 2>&1 & HP=$!
    for _ in $(seq 1 40); do grep -q "tray ready (helper" "$LOG.helper" && break; sleep 0.25; done
    grep -q "tray ready (helper" "$LOG.helper" || { cat "$LOG.helper"; fail "the helper never showed its menu"; }
    sleep 1
    ICON=$(xdotool search --classname systray | head -1)
    [ -n "$ICON" ] || fail "no helper icon in the tray host"
    eval "$(xdotool getwindowgeometry --shell "$ICON")"
    xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1; sleep 1
    import -window root "$OUT" || true
    xdotool key Up Return   # Quit Switchboard, from the helper
    for _ in $(seq 1 40); do kill -0 $APP 2>/dev/null || break; sleep 0.25; done
    kill -0 $APP 2>/dev/null && { kill -TERM $APP; fail "Quit in the helper menu did not quit the app"; }
    wait $APP
    for _ in $(seq 1 20); do kill -0 $HP 2>/dev/null || break; sleep 0.25; done
    kill -0 $HP 2>/dev/null && { kill $HP; fail "the helper outlived the app"; }
    kill $TRAYER 2>/dev/null
    grep -q "quit from tray" "$LOG" && grep -q "stopped cleanly" "$LOG" || fail "the app did not quit cleanly from the helper"
    exit 0
  ' _ "$BIN" "$ROOT/build/bin/switchboard-tray" "$HDATA" "$ROOT/build/smoke-window-helper.log" "$ROOT/build/smoke-tray-helper.png" \
    || { cat "$ROOT/build/smoke-window-helper.log" >&2; die "tray helper smoke failed"; }
fi
log "window smoke OK: build/smoke-window.png$( [ -f "$ROOT/build/smoke-tray.png" ] && echo ', build/smoke-tray.png, build/smoke-tray-helper.png')"
