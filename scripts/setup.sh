#!/usr/bin/env bash
# Installs what is missing to build, run and test Switchboard on Debian/Ubuntu:
# Debian packages (when root or passwordless sudo is available), the Wails CLI
# and the npm dependencies. Safe to run again: it skips what is present.
#   scripts/setup.sh             what building and running needs
#   scripts/setup.sh --test      plus what the tests need (Xvfb, D-Bus, Chromium, a tray host,
#                                nfpm for the .deb test, the pinned coding CLIs in .cache/clis)
#   scripts/setup.sh --package   plus what packaging needs (nfpm; nsis + mingw-w64 for Windows)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BUILD_PKGS="build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev libayatana-appindicator3-dev"
TEST_PKGS="xvfb xauth dbus-x11 libnotify-bin chromium imagemagick xdotool trayer xclip python3-xlib"
# The window smoke (tests) and the desktop bench close a window as a WM would (python3-xlib).
BENCH_PKGS="python3-xlib"
PACKAGE_PKGS="imagemagick nsis gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64"
NFPM_VERSION="${NFPM_VERSION:-v2.44.0}"   # v2.46+ does not install from the module proxy here
STATICCHECK_VERSION="${STATICCHECK_VERSION:-v0.8.2}"
# The real coding CLIs scripts/test-clis.sh drives, pinned (npm, ~1.3 GB).
CLI_PKGS="@anthropic-ai/claude-code@2.1.332 @openai/codex@0.171.0 @google/gemini-cli@0.61.0 opencode-ai@1.18.33"
WANT="$BUILD_PKGS"
want_nfpm=0
want_clis=0
for arg in "$@"; do
  case "$arg" in
    --test) WANT="$WANT $TEST_PKGS"; want_nfpm=1; want_clis=1 ;;
    --package) WANT="$WANT $PACKAGE_PKGS"; want_nfpm=1 ;;
    --bench) WANT="$WANT $BENCH_PKGS" ;;
    *) die "unknown option $arg (--test, --package, --bench)" ;;
  esac
done
missing=()
for p in $WANT; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$SUDO" = "none" ]; then
    die "missing Debian packages: ${missing[*]} (run as root or with sudo: apt-get install ${missing[*]})"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || die "Go 1.26 is required (is /usr/local/go/bin on PATH?)"
if ! command -v wails >/dev/null || ! wails version 2>/dev/null | grep -q "${WAILS_VERSION}"; then
  log "installing the Wails CLI ${WAILS_VERSION}"
  go install "github.com/wailsapp/wails/v2/cmd/wails@${WAILS_VERSION}"
fi

if [ $want_nfpm = 1 ] && ! { command -v nfpm >/dev/null && go version -m "$(command -v nfpm)" 2>/dev/null | grep -q "nfpm/v2[[:space:]]*${NFPM_VERSION}"; }; then
  log "installing nfpm ${NFPM_VERSION}"
  go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@${NFPM_VERSION}" || log "nfpm not installed: the .deb test will be skipped"
fi

if [ $want_clis = 1 ] && ! { command -v staticcheck >/dev/null && go version -m "$(command -v staticcheck)" 2>/dev/null | grep -q "honnef.co/go/tools[[:space:]]*${STATICCHECK_VERSION}"; }; then
  log "installing staticcheck ${STATICCHECK_VERSION}"
  go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi

if [ $want_clis = 1 ] && [ "$(cat .cache/clis/pinned 2>/dev/null)" != "$CLI_PKGS" ]; then
  log "installing the pinned coding CLIs into .cache/clis: $CLI_PKGS"
  rm -rf .cache/clis && mkdir -p .cache/clis
  # shellcheck disable=SC2086
  npm install --prefix .cache/clis --no-audit --no-fund --loglevel=error $CLI_PKGS >/dev/null
  echo "$CLI_PKGS" >.cache/clis/pinned
fi

log "Go modules"
go mod download
if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
  log "frontend npm dependencies"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ -d e2e ] && { [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; }; then
  log "e2e npm dependencies"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
log "setup done"
