#!/usr/bin/env bash
# End-to-end check of the one-click CLI setup and of reasoning tool loops
# against the real CLIs: for each of claude, codex, gemini and opencode that
# is installed, start Switchboard headless in front of the enforcing fake
# vendors (backend/clitools/internal/fakeupstream: an Anthropic, Responses,
# Gemini and OpenAI Chat reasoning model that sign their reasoning and
# refuse a turn that lost it), and for every route (each vendor as
# provider/model, plus an alias and a combo) run
# `switchboard tools apply TOOL --yes --model ROUTE` against a temporary
# HOME and the CLI non-interactively: the model makes the CLI read a file
# with its own tool, and the CLI must print "pong-from-switchboard", which
# the vendor says only when the file's content came back in a turn that
# kept every signature. Any refused turn fails the run.
#
# This script installs nothing: scripts/setup.sh --test installs the pinned
# CLIs into .cache/clis, and scripts/test.sh puts them on PATH. By hand:
#   scripts/setup.sh --test && PATH=$PWD/.cache/clis/node_modules/.bin:$PATH scripts/test-clis.sh
# Without any CLI on PATH it prints SKIP and exits 77.
#
# Environment: SWITCHBOARD_BIN (default build/bin/switchboard; it must have
# the `tools` command), CLI_TIMEOUT seconds per CLI run (default 180),
# ROUTES to run fewer routes (default: all of them, see below), KEEP_TMP=1
# keeps the temporary folder (logs, homes) for a look afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${SWITCHBOARD_BIN:-$ROOT/build/bin/switchboard}"
CLI_TIMEOUT="${CLI_TIMEOUT:-180}"

clis=()
for c in claude codex gemini opencode; do
  if command -v "$c" >/dev/null 2>&1; then clis+=("$c"); fi
done
if [ ${#clis[@]} -eq 0 ]; then
  echo "SKIP: no coding CLI on PATH (scripts/setup.sh --test installs them into .cache/clis)"
  exit 77
fi
if [ ! -x "$BIN" ]; then
  echo "test-clis: $BIN not found; build it first (scripts/build.sh) or set SWITCHBOARD_BIN" >&2
  exit 1
fi
if ! "$BIN" tools snippet >/dev/null 2>&1; then
  echo "test-clis: $BIN has no 'tools' command" >&2
  exit 1
fi

# Inside the checkout's .cache (ignored by git); Codex also gets a
# temporary folder of its own (see run_cli).
mkdir -p "$ROOT/.cache"
TMP="$(mktemp -d "$ROOT/.cache/test-clis.XXXXXX")"
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

# the file every CLI is asked to read, in the folder every CLI runs in
WORK="$TMP/work"
mkdir -p "$WORK"
NOTE="tool-loop-note-$RANDOM$RANDOM"
echo "The note says: $NOTE" >"$WORK/notes.txt"

# the fake vendors
(cd "$ROOT" && go build -o "$TMP/fakeupstream" ./backend/clitools/internal/fakeupstream)
"$TMP/fakeupstream" --listen 127.0.0.1:0 --addr-file "$TMP/upstream.addr" \
  --read-file "$WORK/notes.txt" --result-must-hold "$NOTE" >"$TMP/upstream.log" 2>&1 &
pids+=($!)
wait_for "$TMP/upstream.addr" ":" 20
UP="$(cat "$TMP/upstream.addr")"

provider() { # id type base model
  printf '  - id: %s\n    type: %s\n    base_url: %s\n    allow_local: true\n    models: [%s]\n' "$1" "$2" "$3" "$4"
  printf '    accounts:\n      - name: test\n        api_key: fake-upstream-key\n'
}
{
  echo "providers:"
  provider ant anthropic-compatible "http://$UP/sim/anthropic" claude-sonnet-4-5
  provider rsp responses-compatible "http://$UP/sim/responses/v1" gpt-5-codex
  provider gem gemini-compatible "http://$UP/sim/gemini" gemini-3-pro-preview
  provider oai openai-compatible "http://$UP/sim/openai/v1" deepseek-reasoner
  printf 'aliases:\n  think-ant: ant/claude-sonnet-4-5\n'
  printf 'combos:\n  - name: loop-gem\n    targets:\n      - model: gem/gemini-3-pro-preview\n      - model: oai/deepseek-reasoner\n'
} >"$TMP/switchboard.yaml"

# Every CLI through every vendor, and through an alias and a combo: the
# alias is the case where an answer naming the upstream model made Claude
# Code drop its thinking.
ROUTES="${ROUTES:-ant/claude-sonnet-4-5 rsp/gpt-5-codex gem/gemini-3-pro-preview oai/deepseek-reasoner think-ant loop-gem}"

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

PROMPT="Read the file notes.txt in this folder and tell me what it says."

# run_cli CLI HOME OUT: one non-interactive run with reasoning on (Claude
# Code thinks with a budget, Codex with an effort; the Gemini and Responses
# vendors reason and sign whatever the client asks).
run_cli() {
  local home="$2"
  case "$1" in
    claude)
      HOME="$home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
        DISABLE_ERROR_REPORTING=1 MAX_THINKING_TOKENS=2048 timeout "$CLI_TIMEOUT" \
        claude -p "$PROMPT" </dev/null >"$3" 2>&1 ;;
    codex)
      # Codex sets up its sandbox helper only when its home is outside the
      # temporary folder; a temporary folder of its own keeps that true even
      # when this checkout lives under /tmp.
      mkdir -p "$home/tmp"
      HOME="$home" CODEX_HOME="$home/.codex" TMPDIR="$home/tmp" timeout "$CLI_TIMEOUT" \
        codex exec --skip-git-repo-check -c model_reasoning_effort=medium "$PROMPT" </dev/null >"$3" 2>&1 ;;
    gemini)
      HOME="$home" GEMINI_CLI_TRUST_WORKSPACE=true timeout "$CLI_TIMEOUT" gemini -p "$PROMPT" </dev/null >"$3" 2>&1 ;;
    opencode)
      HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" OPENCODE_DISABLE_AUTOUPDATE=1 \
        timeout "$CLI_TIMEOUT" opencode run "$PROMPT" </dev/null >"$3" 2>&1 ;;
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
  mkdir -p "$home"
  seed_home "$c" "$home"
  orig="$(snapshot "$c" "$home")"
  for route in $ROUTES; do
    name="$c via $route"
    log_at=$(wc -l <"$TMP/upstream.log")
    out="$TMP/out-$c-${route//\//_}.log"
    if ! HOME="$home" "$BIN" tools apply "$id" --yes --model "$route" --listen "$ADDR" --data-dir "$TMP/data" \
      >"$TMP/apply-$c.log" 2>&1; then
      echo "FAIL $name: tools apply failed"; cat "$TMP/apply-$c.log"
      failed=$((failed + 1)); summary+=("$name: apply failed"); continue
    fi
    start=$(date +%s.%N)
    set +e
    (cd "$WORK" && run_cli "$c" "$home" "$out")
    rc=$?
    set -e
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    turns=$(tail -n +"$((log_at + 1))" "$TMP/upstream.log" | grep -c "turn=tool" || true)
    refused=$(tail -n +"$((log_at + 1))" "$TMP/upstream.log" | grep "REFUSED" || true)
    if [ -n "$refused" ]; then
      echo "FAIL $name (${secs}s): a vendor refused a turn:"; echo "$refused" | cut -c1-400
      failed=$((failed + 1)); summary+=("$name: REFUSED ${secs}s")
    elif [ "$turns" -lt 1 ]; then
      echo "FAIL $name (${secs}s): the model never got to call a tool"; tail -n 20 "$out"
      failed=$((failed + 1)); summary+=("$name: no tool turn ${secs}s")
    elif grep -q "pong-from-switchboard" "$out"; then
      echo "PASS $name (${secs}s, $turns tool turn(s))"
      passed=$((passed + 1)); summary+=("$name: pass ${secs}s")
    else
      echo "FAIL $name (exit $rc, ${secs}s); its output:"
      tail -n 40 "$out"
      failed=$((failed + 1)); summary+=("$name: FAIL (exit $rc) ${secs}s")
    fi
    # and back: undo must leave only the seeded files
    if ! HOME="$home" "$BIN" tools undo "$id" --listen "$ADDR" --data-dir "$TMP/data" >"$TMP/undo-$c.log" 2>&1; then
      echo "FAIL $name: tools undo failed"; cat "$TMP/undo-$c.log"; failed=$((failed + 1))
    elif [ "$(snapshot "$c" "$home")" != "$orig" ]; then
      echo "FAIL $name: undo did not restore the original files"; cat "$TMP/undo-$c.log"; failed=$((failed + 1))
    fi
  done
done

echo "--- fake vendors saw: $(grep -c " turn=" "$TMP/upstream.log") answered, $(grep -c "REFUSED" "$TMP/upstream.log") refused"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
