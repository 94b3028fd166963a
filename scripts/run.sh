#!/usr/bin/env bash
# Sets up, builds and starts Switchboard: the window and tray when a display
# is available, headless otherwise. Extra arguments go to switchboard.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  log "no display: starting headless (open the login link it prints)"
  exec "$ROOT/build/bin/switchboard" serve "$@"
fi
exec "$ROOT/build/bin/switchboard" "$@"
