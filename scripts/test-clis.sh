#!/usr/bin/env bash
# End-to-end check of the one-click CLI setup against the real CLIs:
# for each of claude, codex, gemini and opencode that is installed, start
# Switchboard headless with a scripted fake upstream, run
# `switchboard tools apply TOOL --yes --model fake/m` against a temporary
# HOME, run the CLI non-interactively, and check that the answer it prints
# is the fake upstream's "pong-from-switchboard".
#
# This script installs nothing. To try it with the real CLIs:
#   npm i -g @anthropic-ai/claude-code @openai/codex @google/gemini-cli opencode-ai
# or, to keep them out of the system, into a prefix put on PATH for one run:
#   npm i --prefix /tmp/clis @anthropic-ai/claude-code @openai/codex @google/gemini-cli opencode-ai
#   PATH=/tmp/clis/node_modules/.bin:$PATH scripts/test-clis.sh
#
# Environment: SWITCHBOARD_BIN (default build/bin/switchboard; it must have
# the `tools` command), CLI_TIMEOUT seconds per CLI run (default 180),
# KEEP_TMP=1 keeps the temporary folder (logs, homes) for a look afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${SWITCHBOARD_BIN:-$ROOT/build/bin/switchboard}"
CLI_TIMEOUT="${CLI_TIMEOUT:-180}"

clis=()
for c in claude codex gemini opencode; do
  if command -v "$c" >/dev/null 2>&1; then clis+=("$c"); fi
done
if [ ${#clis[@]} -eq 0 ]; then
  echo "skipped: no CLI installed"
  exit 0
fi
if [ ! -x "$BIN" ]; then
  echo "test-clis: $BIN not found; build it first (scripts/build.sh) or set SWITCHBOARD_BIN" >&2
  exit 1
fi
if ! "$BIN" tools snippet >/dev/null 2>&1; then
  echo "test-clis: $BIN has no 'tools' command" >&2
  exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sb-clis.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

wait_for() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if [ -s "$1" ] && grep -q "$2" "$1"; then return 0; fi
    sleep 0.1
  done
  echo "test-clis: timed out waiting for '$2' in $1" >&2
  cat "$1" >&2 || true
  return 1
}

# the fake upstream
(cd "$ROOT" && go build -o "$TMP/fakeupstream" ./backend/clitools/internal/fakeupstream)
"$TMP/fakeupstream" --listen 127.0.0.1:0 --addr-file "$TMP/upstream.addr" >"$TMP/upstream.log" 2>&1 &
pids+=($!)
wait_for "$TMP/upstream.addr" ":" 20
UP="$(cat "$TMP/upstream.addr")"

cat >"$TMP/switchboard.yaml" <<EOF
providers:
  - id: fake
    type: openai-compatible
    base_url: http://$UP/v1
    allow_local: true
    models: [m]
    accounts:
      - name: test
        api_key: fake-upstream-key
EOF

export SWITCHBOARD_KEYRING=off SWITCHBOARD_TRAY=off
unset CLAUDE_CONFIG_DIR CODEX_HOME XDG_CONFIG_HOME XDG_DATA_HOME SWITCHBOARD_LISTEN SWITCHBOARD_DATA_DIR SWITCHBOARD_CONFIG || true
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --config "$TMP/switchboard.yaml" >"$TMP/switchboard.log" 2>&1 &
pids+=($!)
wait_for "$TMP/switchboard.log" "gateway listening" 30
ADDR="$(grep -o 'endpoint=http://[0-9.:]*' "$TMP/switchboard.log" | head -1 | cut -d/ -f3)"
echo "switchboard on http://$ADDR, fake upstream on http://$UP"

# seed_home TOOL HOME: the offline switches, written as the user's own
# config so apply has to merge into it
seed_home() {
  case "$1" in
    codex)
      mkdir -p "$2/.codex"
      cat >"$2/.codex/config.toml" <<'EOF'
# offline switches for the test
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[otel]
exporter = "none"
EOF
      ;;
    claude)
      # an API key of the user's own must be set aside while we are in use
      mkdir -p "$2/.claude"
      cat >"$2/.claude/settings.json" <<'EOF'
{
  "env": {
    "ANTHROPIC_API_KEY": "sk-ant-not-a-real-key",
    "DISABLE_TELEMETRY": "1"
  },
  "permissions": {
    "allow": ["Bash(git diff:*)"]
  },
  "includeCoAuthoredBy": false
}
EOF
      ;;
    opencode)
      # JSONC: comments and trailing commas must survive and still load
      mkdir -p "$2/.config/opencode"
      cat >"$2/.config/opencode/opencode.json" <<'EOF'
{
  "$schema": "https://opencode.ai/config.json",
  // the user's own settings
  "autoupdate": false,
  "share": "disabled",
}
EOF
      ;;
    gemini)
      mkdir -p "$2/.gemini"
      printf '{\n  "privacy": {\n    "usageStatisticsEnabled": false\n  }\n}\n' >"$2/.gemini/settings.json"
      ;;
  esac
}

run_cli() { # CLI HOME OUT
  local home="$2"
  case "$1" in
    claude)
      HOME="$home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
        DISABLE_ERROR_REPORTING=1 timeout "$CLI_TIMEOUT" claude -p "say hi" </dev/null >"$3" 2>&1 ;;
    codex)
      HOME="$home" CODEX_HOME="$home/.codex" timeout "$CLI_TIMEOUT" \
        codex exec --skip-git-repo-check "say hi" </dev/null >"$3" 2>&1 ;;
    gemini)
      HOME="$home" GEMINI_CLI_TRUST_WORKSPACE=true timeout "$CLI_TIMEOUT" gemini -p "say hi" </dev/null >"$3" 2>&1 ;;
    opencode)
      HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" OPENCODE_DISABLE_AUTOUPDATE=1 \
        timeout "$CLI_TIMEOUT" opencode run "say hi" </dev/null >"$3" 2>&1 ;;
  esac
}

config_files() { # the files apply touches, relative to HOME
  case "$1" in
    claude) echo .claude/settings.json ;;
    codex) echo .codex/config.toml ;;
    gemini) echo .gemini/.env .gemini/settings.json ;;
    opencode) echo .config/opencode/opencode.json ;;
  esac
}

snapshot() { # CLI HOME: one line per config file, its hash or "absent"
  local f
  for f in $(config_files "$1"); do
    if [ -f "$2/$f" ]; then echo "$f $(sha256sum <"$2/$f" | cut -d' ' -f1)"; else echo "$f absent"; fi
  done
}

tool_id() {
  case "$1" in
    claude) echo claude-code ;; gemini) echo gemini-cli ;; *) echo "$1" ;;
  esac
}

failed=0
passed=0
summary=()
for c in "${clis[@]}"; do
  id="$(tool_id "$c")"
  home="$TMP/home-$c"
  mkdir -p "$home/work"
  seed_home "$c" "$home"
  orig="$(snapshot "$c" "$home")"
  if ! HOME="$home" "$BIN" tools apply "$id" --yes --model fake/m --listen "$ADDR" --data-dir "$TMP/data" \
    >"$TMP/apply-$c.log" 2>&1; then
    echo "FAIL $c: tools apply failed"; cat "$TMP/apply-$c.log"
    failed=$((failed + 1)); summary+=("$c: apply failed"); continue
  fi
  start=$(date +%s.%N)
  set +e
  (cd "$home/work" && run_cli "$c" "$home" "$TMP/out-$c.log")
  rc=$?
  set -e
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  if grep -q "pong-from-switchboard" "$TMP/out-$c.log"; then
    echo "PASS $c (${secs}s)"
    passed=$((passed + 1)); summary+=("$c: pass ${secs}s")
  else
    echo "FAIL $c (exit $rc, ${secs}s); its output:"
    tail -n 40 "$TMP/out-$c.log"
    failed=$((failed + 1)); summary+=("$c: FAIL (exit $rc) ${secs}s")
  fi
  # and back: undo must leave only the seeded files
  if ! HOME="$home" "$BIN" tools undo "$id" --listen "$ADDR" --data-dir "$TMP/data" >"$TMP/undo-$c.log" 2>&1; then
    echo "FAIL $c: tools undo failed"; cat "$TMP/undo-$c.log"; failed=$((failed + 1))
  elif [ "$(snapshot "$c" "$home")" != "$orig" ]; then
    echo "FAIL $c: undo did not restore the original files"; cat "$TMP/undo-$c.log"; failed=$((failed + 1))
  fi
done

echo "--- fake upstream saw:"
grep -c " model=" "$TMP/upstream.log" | sed 's/^/requests: /'
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
