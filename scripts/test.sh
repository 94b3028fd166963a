#!/usr/bin/env bash
# Runs every test: Go (race), fuzz smoke, frontend unit tests, the dashboard
# e2e in headless Chromium against the real binary, and the real-window smoke
# under Xvfb. Installs what is missing first. Ends with a summary and exits
# non-zero if anything failed.
#   FUZZTIME=30s scripts/test.sh   # fuzz longer (default 3s per target)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
FUZZTIME="${FUZZTIME:-3s}"
declare -a NAMES RESULTS TIMES
failed=0
# A step passes (exit 0), fails, or says it could not run: exit 77 is SKIP.
step() { # step NAME command...
  local name="$1"; shift
  log "$name"
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  case $rc in
    0) RESULTS+=("PASS") ;;
    77) RESULTS+=("SKIP") ;;
    *) RESULTS+=("FAIL"); failed=1 ;;
  esac
  NAMES+=("$name"); TIMES+=("$((SECONDS - t0))s")
}

go_tests() {
  # The notification tests need a session bus of their own. The bench's
  # tools (scripts/bench: the load generator's bodies, turns and report)
  # are tested too.
  dbus-run-session -- go test -race -count=1 -timeout 15m -tags webkit2_41 ./backend/... ./app/... ./scripts/...
}

# The .deb (nfpm) must be accepted by apt. SKIP, with a message, where
# nfpm is not installed (scripts/setup.sh --test installs it).
package_test() {
  if ! command -v nfpm >/dev/null; then
    echo "SKIP: nfpm is not installed (go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.44.0)"
    return 77
  fi
  SKIP_BUILD=1 scripts/package.sh linux || return 1
  apt-get install --simulate ./build/package/switchboard_*.deb >/dev/null || { echo "apt refuses the .deb"; return 1; }
  echo "apt-get install --simulate accepts $(ls build/package/switchboard_*.deb)"
}

fuzz_smoke() {
  local pkgs pkg fn out
  pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' backend | xargs -r -n1 dirname | sort -u)
  for pkg in $pkgs; do
    for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pkg"/*_test.go | sed 's/func //'); do
      # quiet when it passes; on a failure, what go test said (a crasher is also
      # written to the package's testdata/fuzz, to commit with the fix)
      out=$(go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "./$pkg" 2>&1) && continue
      # Go 1.26's fuzz coordinator can report its own -fuzztime deadline as
      # a failure (golang/go#75804, fixed in 1.27): a bare "context deadline
      # exceeded" with no failing input written. That, and only that, is
      # run once more; anything else fails at once.
      if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
        echo "fuzz $pkg $fn: the fuzzer's deadline race (golang/go#75804, no failing input); running it again"
        out=$(go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "./$pkg" 2>&1) && continue
      fi
      echo "fuzz $pkg $fn failed:"; grep -v '^fuzz: elapsed' <<<"$out" | tail -40; return 1
    done
  done
}

# gofmt, go vet, staticcheck, a tidy go.mod and svelte-check: each finding fails.
static_checks() {
  local rc=0 out
  out=$(gofmt -l backend app scripts main.go) && [ -z "$out" ] || { echo "gofmt: files need formatting:"; echo "$out"; rc=1; }
  go vet -tags webkit2_41 ./backend/... ./app/... ./scripts/... || rc=1
  "$(go env GOPATH)/bin/staticcheck" -tags webkit2_41 ./backend/... ./app/... ./scripts/... || rc=1
  go mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy (run go mod tidy)"; rc=1; }
  (cd frontend && npm run --silent check) || rc=1
  return $rc
}

step "setup" scripts/setup.sh --test || true
step "static checks (gofmt, vet, staticcheck, tidy, svelte-check)" static_checks
step "go test -race" go_tests
step "fuzz (${FUZZTIME} each)" fuzz_smoke
step "frontend unit tests" bash -c 'cd frontend && npm test --silent'
step "build (wails)" scripts/build.sh
step "build headless server (-tags headless)" bash -c 'scripts/build.sh --headless && build/bin/switchboard-server --version' 
step "dashboard e2e (Chromium)" bash -c 'cd e2e && npx playwright test'
step "window + tray smoke (Xvfb)" scripts/smoke-window.sh
step "package .deb (nfpm)" package_test
# The real coding CLIs, pinned, as setup.sh --test installs them.
step "real CLIs e2e (tool loops)" env PATH="$ROOT/.cache/clis/node_modules/.bin:$PATH" scripts/test-clis.sh

echo
printf '%-32s %-6s %s\n' "STEP" "RESULT" "TIME"
for i in "${!NAMES[@]}"; do printf '%-32s %-6s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"; done
if [ $failed -ne 0 ]; then echo "FAILED"; exit 1; fi
skipped=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^SKIP$' || true)
if [ "$skipped" -gt 0 ]; then echo "PASSED, $skipped step(s) SKIPPED"; else echo "ALL PASSED"; fi
