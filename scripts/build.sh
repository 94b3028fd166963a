#!/usr/bin/env bash
# Builds build/bin/switchboard with Wails (frontend, bindings, Go binary).
# -m: never let the build rewrite go.mod (wails would run go mod tidy).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
log "wails build (version ${VERSION})"
wails build -m -clean=false -trimpath -ldflags "-X switchboard/backend/core.Version=${VERSION}" "$@"
log "built build/bin/switchboard"
