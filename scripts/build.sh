#!/usr/bin/env bash
# Builds build/bin/switchboard with Wails (frontend, bindings, Go binary).
# -m: never let the build rewrite go.mod (wails would run go mod tidy).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
LDFLAGS="-s -w -X switchboard/backend/core.Version=${VERSION}"
if [ "${1:-}" = "--headless" ]; then
  # Server build: no window, tray or GUI libraries (17 MiB idle RSS instead
  # of ~60 MiB); needs the dashboard built into frontend/dist first.
  shift
  [ -f frontend/dist/index.html ] || (cd frontend && npm run build --silent)
  log "go build -tags headless (version ${VERSION})"
  go build -tags headless -trimpath -ldflags "$LDFLAGS" -o build/bin/switchboard-server "$@" .
  log "built build/bin/switchboard-server"
  exit 0
fi
log "wails build (version ${VERSION})"
wails build -m -clean=false -trimpath -ldflags "-X switchboard/backend/core.Version=${VERSION}" "$@"
log "built build/bin/switchboard"
