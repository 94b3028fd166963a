#!/usr/bin/env bash
# Writes fixture setups of OmniRoute, 9router, CLIProxyAPI and cc-switch
# (built from their documented storage layouts, made-up values) into DIR,
# one folder per gateway: DIR/omniroute, DIR/9router, DIR/cliproxyapi,
# DIR/cc-switch. The builders are the Go test helpers in
# backend/transfer/peerfixtures_test.go, so tests and this script share them.
#   scripts/make-peer-fixtures.sh DIR
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
SWITCHBOARD_PEER_FIXTURES="$out" go test -count=1 -run '^TestMakePeerFixtures$' ./backend/transfer/ >/dev/null
echo "$out"
