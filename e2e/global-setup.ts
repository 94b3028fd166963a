// Start a scripted upstream and a scripted identity server (in this process),
// then the production binary in headless mode on a free loopback port with a
// fresh data dir and a config file declaring one read-only provider on that
// upstream (and one read-only combo on its model), and Claude's sign-in provider
// pointed at the upstream and the identity server; wait until it logs its
// address and the one-time login link, and hand everything to the tests (env
// vars + .run/server.json).
//
// A binary older than sign-in accounts refuses the config's `sign_in` key: then
// it is started again without that provider (so every other spec still runs),
// and the sign-in spec fails saying why.
//
// The binary runs with a temporary HOME (XDG folders inside it, the tools' own
// config variables unset) so the CLI Tools page only ever sees and edits files
// there; Claude Code's settings.json is seeded with a realistic file.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startFakeIdp, type FakeIdp } from './fake-idp'
import { startFakeUpstream, type FakeUpstream } from './fake-upstream'
import {
  CLAUDE_SETTINGS_SEED,
  claudeBinaryPath,
  claudeSettingsPath,
  CONFIG_COMBO,
  CONFIG_PROVIDER,
  E2E_DIR,
  findListen,
  findLoginURL,
  LOG_FILE,
  RUN_DIR,
  SIGNIN_PROVIDER,
  STATE_FILE,
  STORAGE_STATE,
  TOOL_ENV_VARS,
  type ServerInfo,
} from './server'

const READY_TIMEOUT_MS = Number(process.env.SWITCHBOARD_READY_TIMEOUT_MS || 30_000)

/** the upstream and the identity server live in the runner process; global teardown closes them */
const UPSTREAM_KEY = Symbol.for('switchboard.e2e.upstream')
const IDP_KEY = Symbol.for('switchboard.e2e.idp')

/** The config file; without `idp`, no sign-in provider (for a binary that predates them). */
function configYAML(upstream: FakeUpstream, idp?: FakeIdp): string {
  const signIn = idp
    ? [
        `  - id: ${SIGNIN_PROVIDER.id}`,
        `    base_url: ${upstream.rootURL}`,
        '    allow_local: true',
        '    sign_in:',
        `      auth_url: ${idp.authorizeURL}`,
        `      token_url: ${idp.tokenURL}`,
        `      manual_redirect_url: ${idp.manualRedirectURL}`,
      ]
    : []
  return [
    '# written by the e2e global setup',
    'providers:',
    `  - id: ${CONFIG_PROVIDER.id}`,
    '    type: openai-compatible',
    `    base_url: ${upstream.baseURL}`,
    `    prefix: ${CONFIG_PROVIDER.prefix}`,
    '    allow_local: true',
    '    models: [m1]',
    '    accounts:',
    `      - name: ${CONFIG_PROVIDER.account}`,
    `        api_key: sk-config-only-${CONFIG_PROVIDER.last4}`,
    ...signIn,
    'combos:',
    `  - name: ${CONFIG_COMBO.name}`,
    `    strategy: ${CONFIG_COMBO.strategy}`,
    `    budget: ${CONFIG_COMBO.budget}`,
    '    targets:',
    `      - model: ${CONFIG_COMBO.target}`,
    '',
  ].join('\n')
}

/** what a started server printed */
interface Launched {
  pid: number
  baseURL: string
  loginURL: string
  addr: string
}

/** the server did not come up; `output` holds its last lines */
class LaunchError extends Error {
  constructor(
    message: string,
    readonly output: string[],
  ) {
    super(message)
  }
}

/** the binary's answer to a config with `sign_in` when it predates sign-in accounts */
function refusedSignIn(output: string[]): string | undefined {
  return output.find((l) => /\bsign_in\b.*unknown key/.test(l))
}

/**
 * Start the binary and wait for its address and one-time login link. Both pipes
 * are drained into the log for the whole run (a full pipe would block the server).
 */
export function launch(bin: string, args: string[], env: NodeJS.ProcessEnv, log: fs.WriteStream): Promise<Launched> {
  log.write(`$ HOME=${env.HOME} ${bin} ${args.join(' ')}\n`)
  const child = spawn(bin, args, {
    cwd: E2E_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  return new Promise<Launched>((resolve, reject) => {
    let addr: string | undefined
    let endpoint: string | undefined
    let loginURL: string | undefined
    let settled = false
    const recent: string[] = []

    const finish = (err?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) {
        if (child.exitCode === null) child.kill('SIGKILL')
        reject(new LaunchError(`${err.message}\n--- last output of ${path.basename(bin)} ---\n${recent.join('\n')}`, [...recent]))
        return
      }
      const baseURL = (endpoint || (addr ? `http://${addr}` : new URL(loginURL!).origin)).replace(/\/+$/, '')
      resolve({ pid: child.pid!, baseURL, loginURL: loginURL!, addr: addr ?? new URL(baseURL).host })
    }

    const onLine = (line: string) => {
      recent.push(line)
      if (recent.length > 40) recent.shift()
      const listen = findListen(line)
      if (listen && !addr) {
        addr = listen.addr
        endpoint = listen.endpoint
      }
      const url = findLoginURL(line)
      if (url && !loginURL) loginURL = url
      if (addr && loginURL) finish()
    }

    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        log.write(chunk)
        buf += chunk
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl).replace(/\r$/, ''))
          buf = buf.slice(nl + 1)
        }
      })
      // the last line may come without a newline (an exit right after a config error)
      stream.on('end', () => {
        if (buf) onLine(buf.replace(/\r$/, ''))
        buf = ''
      })
    }

    child.on('error', (e) => finish(new Error(`could not start ${bin}: ${e.message}`)))
    // 'close' comes after both pipes ended, so the output is complete
    child.on('close', (code, signal) => finish(new Error(`switchboard exited early (code ${code}, signal ${signal})`)))
    const timer = setTimeout(() => {
      if (loginURL) return finish() // address line missing: derive it from the link
      finish(new Error(`switchboard did not print its address and login link within ${READY_TIMEOUT_MS} ms`))
    }, READY_TIMEOUT_MS)
  })
}

export default async function globalSetup(): Promise<void> {
  const bin = path.resolve(E2E_DIR, process.env.SWITCHBOARD_BIN || '../build/bin/switchboard')
  if (!fs.existsSync(bin)) {
    throw new Error(`Switchboard binary not found at ${bin}: build it first (or set SWITCHBOARD_BIN)`)
  }
  fs.mkdirSync(RUN_DIR, { recursive: true })
  fs.rmSync(STATE_FILE, { force: true })
  fs.rmSync(STORAGE_STATE, { force: true }) // a session of an earlier run is worthless
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-'))
  const log = fs.createWriteStream(LOG_FILE)

  const g = globalThis as Record<symbol, unknown>
  const upstream: FakeUpstream = await startFakeUpstream()
  g[UPSTREAM_KEY] = upstream
  const idp: FakeIdp = await startFakeIdp()
  g[IDP_KEY] = idp
  const configFile = path.join(dataDir, 'e2e-config.yaml')
  fs.writeFileSync(configFile, configYAML(upstream, idp))

  // a HOME of its own: the CLI tools the server detects and edits are these
  const homeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-home-'))
  const settings = claudeSettingsPath(homeDir)
  fs.mkdirSync(path.dirname(settings), { recursive: true })
  fs.writeFileSync(settings, CLAUDE_SETTINGS_SEED)
  // Claude Code's program where its installer puts it (off PATH): a tool is
  // "installed" when its program is there, not because its settings exist
  fs.mkdirSync(path.dirname(claudeBinaryPath(homeDir)), { recursive: true })
  fs.writeFileSync(claudeBinaryPath(homeDir), '#!/bin/sh\necho "2.0.0 (Claude Code)"\n', { mode: 0o755 })
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const k of TOOL_ENV_VARS) delete env[k]
  env.HOME = homeDir
  env.XDG_CONFIG_HOME = path.join(homeDir, '.config')
  env.XDG_DATA_HOME = path.join(homeDir, '.local', 'share')

  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', configFile, '--log-format', 'text']
  let launched: Launched
  let signInUnsupported: string | undefined
  try {
    try {
      launched = await launch(bin, args, env, log)
    } catch (e) {
      signInUnsupported = e instanceof LaunchError ? refusedSignIn(e.output) : undefined
      if (!signInUnsupported) throw e
      console.warn(`[e2e] ${path.basename(bin)} refuses the sign-in provider (${signInUnsupported}); starting it without (the sign-in spec will fail)`)
      fs.writeFileSync(configFile, configYAML(upstream))
      launched = await launch(bin, args, env, log)
    }
  } catch (e) {
    await Promise.all([upstream.close(), idp.close()])
    throw e
  }

  const info: ServerInfo = {
    ...launched,
    dataDir,
    logFile: LOG_FILE,
    upstreamURL: upstream.baseURL,
    idpURL: idp.baseURL,
    configFile,
    homeDir,
    bin,
    ...(signInUnsupported ? { signInUnsupported } : {}),
  }
  fs.writeFileSync(STATE_FILE, JSON.stringify(info, null, 2))
  process.env.SWITCHBOARD_BASE_URL = info.baseURL
  process.env.SWITCHBOARD_LOGIN_URL = info.loginURL
  process.env.FAKE_UPSTREAM_URL = upstream.baseURL
  process.env.FAKE_IDP_URL = idp.baseURL
  console.log(
    `[e2e] switchboard pid ${info.pid} at ${info.baseURL} (log: ${LOG_FILE}); fake upstream at ${upstream.baseURL}; fake idp at ${idp.baseURL}`,
  )
}
