// Shared between global setup/teardown and the tests: where the running
// Switchboard is, and how its log lines are read.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url))
export const RUN_DIR = path.join(E2E_DIR, '.run')
export const STATE_FILE = path.join(RUN_DIR, 'server.json')
export const LOG_FILE = path.join(RUN_DIR, 'server.log')
/** browser storage state (session cookie) of the context the login link signed in */
export const STORAGE_STATE = path.join(RUN_DIR, 'storage-state.json')

/** A provider defined in the config file global setup writes (read-only in the dashboard), on the fake upstream. */
export const CONFIG_PROVIDER = { id: 'fake-config', prefix: 'fakecfg', account: 'ops', last4: 'wxyz' } as const

/**
 * The subscription sign-in provider the config file overrides (see global setup): Claude's catalog
 * entry pointed at the scripted upstream (base_url) and the scripted identity server (sign_in).
 */
export const SIGNIN_PROVIDER = { id: 'claude', prefix: 'cc', model: 'claude-sonnet-4-5' } as const

/** A combo defined in that config file (read-only in the dashboard), on the config provider's model. */
export const CONFIG_COMBO = { name: 'cfg-combo', strategy: 'fill-first', budget: '45s', target: 'fakecfg/m1' } as const

/**
 * The server runs with a temporary HOME (global setup), so the CLI Tools page finds
 * and edits files there, never the real ones. Global setup seeds Claude Code's
 * settings with this text: a realistic file with comments, env, permissions, hooks
 * and a status line (Claude Code reads it as JSON with comments).
 */
export const CLAUDE_SETTINGS_SEED = `{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  // Personal Claude Code settings: synced from ~/dotfiles, edit them there.
  "model": "claude-sonnet-4-5",
  "cleanupPeriodDays": 30,
  "includeCoAuthoredBy": false,
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "300000", // the integration suites are slow
    "DISABLE_TELEMETRY": "1"
  },
  "permissions": {
    "allow": [
      "Bash(npm run test:*)",
      "Bash(git diff:*)",
      "Bash(git log:*)",
      "WebFetch(domain:docs.anthropic.com)"
    ],
    "deny": [
      "Read(./.env)",
      "Read(./.env.*)",
      "Read(./secrets/**)"
    ],
    "defaultMode": "acceptEdits"
  },
  /*
   * Hooks: format what Claude writes, and ping me when it stops.
   */
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|MultiEdit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "jq -r '.tool_input.file_path' | xargs -r npx prettier --write",
            "timeout": 30
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          { "type": "command", "command": "notify-send 'Claude Code' 'Done'" }
        ]
      }
    ]
  },
  "statusLine": {
    "type": "command",
    "command": "~/.claude/statusline.sh",
    "padding": 0
  }
}
`

/** Claude Code's user settings under a HOME (no CLAUDE_CONFIG_DIR: global setup unsets it). */
export function claudeSettingsPath(home: string): string {
  return path.join(home, '.claude', 'settings.json')
}

/** Claude Code's program as its local installer places it (global setup writes a stub there). */
export function claudeBinaryPath(home: string): string {
  return path.join(home, '.claude', 'local', 'claude')
}

/**
 * The XDG autostart entry "launch at login" writes on Linux: global setup points
 * XDG_CONFIG_HOME at <HOME>/.config. The backend names it switchboard.desktop
 * (lower case, like the installed .desktop file; backend/autostart).
 */
export function autostartEntryPath(home: string): string {
  return path.join(home, '.config', 'autostart', 'switchboard.desktop')
}

/**
 * Environment variables that move a CLI tool's config away from HOME. The server
 * must not see the runner's values: global setup removes them and points the XDG
 * folders into the temporary HOME.
 */
export const TOOL_ENV_VARS = [
  'CLAUDE_CONFIG_DIR',
  'CODEX_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'APPDATA',
  'OPENCLAW_CONFIG_PATH',
  'OPENCLAW_STATE_DIR',
  'CLINE_DIR',
  'CONTINUE_GLOBAL_DIR',
] as const

export interface ServerInfo {
  pid: number
  /** e.g. http://127.0.0.1:41234 */
  baseURL: string
  /** one-time login link, e.g. http://127.0.0.1:41234/login?token=… */
  loginURL: string
  /** address the gateway printed (host:port) */
  addr: string
  dataDir: string
  logFile: string
  /** base URL of the scripted OpenAI-compatible upstream, e.g. http://127.0.0.1:41235/v1 */
  upstreamURL?: string
  /** origin of the scripted identity server (fake-idp.ts), e.g. http://127.0.0.1:41236 */
  idpURL?: string
  /**
   * Why the binary runs without the sign-in provider: it refused the config's `sign_in` key
   * (a binary older than sign-in accounts). Absent when the provider is configured.
   */
  signInUnsupported?: string
  /** config file the server was started with */
  configFile?: string
  /** the temporary HOME the server runs with (CLI tool configs live here) */
  homeDir?: string
  /** absolute path of the binary global setup started */
  bin?: string
}

/** Read what global setup found (env vars first, then the state file). */
export function serverInfo(): ServerInfo {
  let fromFile: Partial<ServerInfo> = {}
  if (fs.existsSync(STATE_FILE)) fromFile = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'))
  const info = {
    ...fromFile,
    baseURL: process.env.SWITCHBOARD_BASE_URL || fromFile.baseURL,
    loginURL: process.env.SWITCHBOARD_LOGIN_URL || fromFile.loginURL,
    upstreamURL: process.env.FAKE_UPSTREAM_URL || fromFile.upstreamURL,
    idpURL: process.env.FAKE_IDP_URL || fromFile.idpURL,
  } as ServerInfo
  if (!info.baseURL || !info.loginURL) throw new Error(`no running Switchboard: global setup did not record ${STATE_FILE}`)
  return info
}

/**
 * Value of `key=` in a slog text line. Values are bare (`addr=127.0.0.1:1`) or
 * Go-quoted (`url="http://…"`); quoted ones are unescaped.
 */
export function logValue(line: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${key}=("(?:[^"\\\\]|\\\\.)*"|[^\\s"]+)`)
  const m = re.exec(line)
  if (!m) return undefined
  let v = m[1]
  if (v.startsWith('"')) {
    try {
      v = JSON.parse(v)
    } catch {
      v = v.slice(1, -1)
    }
  }
  return v
}

/** The one-time login URL in a log line, if the line has one. */
export function findLoginURL(line: string): string | undefined {
  const v = logValue(line, 'url')
  if (v && /\/login\?token=/.test(v)) return v
  // any other shape (JSON logs, different key): grab the link itself
  const m = /(https?:\/\/[^\s"']+\/login\?token=[^\s"']+)/.exec(line)
  return m?.[1]
}

/** The listening address/endpoint in a log line ("gateway listening addr=… endpoint=…"). */
export function findListen(line: string): { addr: string; endpoint?: string } | undefined {
  if (!/listening/i.test(line)) return undefined
  const addr = logValue(line, 'addr')
  if (!addr) return undefined
  const endpoint = logValue(line, 'endpoint')
  return { addr, endpoint: endpoint && /^https?:\/\//.test(endpoint) ? endpoint : undefined }
}
