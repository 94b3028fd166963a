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

/** A combo defined in that config file (read-only in the dashboard), on the config provider's model. */
export const CONFIG_COMBO = { name: 'cfg-combo', strategy: 'fill-first', budget: '45s', target: 'fakecfg/m1' } as const

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
  /** config file the server was started with */
  configFile?: string
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
