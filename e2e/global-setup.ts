// Start a scripted OpenAI-compatible upstream (in this process), then the
// production binary in headless mode on a free loopback port with a fresh data
// dir and a config file declaring one read-only provider on that upstream (and
// one read-only combo on its model); wait
// until it logs its address and the one-time login link, and hand everything to
// the tests (env vars + .run/server.json).
//
// The binary runs with a temporary HOME (XDG folders inside it, the tools' own
// config variables unset) so the CLI Tools page only ever sees and edits files
// there; Claude Code's settings.json is seeded with a realistic file.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startFakeUpstream, type FakeUpstream } from './fake-upstream'
import {
  CLAUDE_SETTINGS_SEED,
  claudeSettingsPath,
  CONFIG_COMBO,
  CONFIG_PROVIDER,
  E2E_DIR,
  findListen,
  findLoginURL,
  LOG_FILE,
  RUN_DIR,
  STATE_FILE,
  STORAGE_STATE,
  TOOL_ENV_VARS,
  type ServerInfo,
} from './server'

const READY_TIMEOUT_MS = Number(process.env.SWITCHBOARD_READY_TIMEOUT_MS || 30_000)

/** the upstream lives in the runner process; global teardown closes it */
const UPSTREAM_KEY = Symbol.for('switchboard.e2e.upstream')

function configYAML(upstreamURL: string): string {
  return [
    '# written by the e2e global setup',
    'providers:',
    `  - id: ${CONFIG_PROVIDER.id}`,
    '    type: openai-compatible',
    `    base_url: ${upstreamURL}`,
    `    prefix: ${CONFIG_PROVIDER.prefix}`,
    '    allow_local: true',
    '    models: [m1]',
    '    accounts:',
    `      - name: ${CONFIG_PROVIDER.account}`,
    `        api_key: sk-config-only-${CONFIG_PROVIDER.last4}`,
    'combos:',
    `  - name: ${CONFIG_COMBO.name}`,
    `    strategy: ${CONFIG_COMBO.strategy}`,
    `    budget: ${CONFIG_COMBO.budget}`,
    '    targets:',
    `      - model: ${CONFIG_COMBO.target}`,
    '',
  ].join('\n')
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

  const upstream: FakeUpstream = await startFakeUpstream()
  ;(globalThis as Record<symbol, unknown>)[UPSTREAM_KEY] = upstream
  const configFile = path.join(dataDir, 'e2e-config.yaml')
  fs.writeFileSync(configFile, configYAML(upstream.baseURL))

  // a HOME of its own: the CLI tools the server detects and edits are these
  const homeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-home-'))
  const settings = claudeSettingsPath(homeDir)
  fs.mkdirSync(path.dirname(settings), { recursive: true })
  fs.writeFileSync(settings, CLAUDE_SETTINGS_SEED)
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const k of TOOL_ENV_VARS) delete env[k]
  env.HOME = homeDir
  env.XDG_CONFIG_HOME = path.join(homeDir, '.config')
  env.XDG_DATA_HOME = path.join(homeDir, '.local', 'share')

  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', configFile, '--log-format', 'text']
  log.write(`$ HOME=${homeDir} ${bin} ${args.join(' ')}\n`)
  const child = spawn(bin, args, {
    cwd: E2E_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  const info = await new Promise<ServerInfo>((resolve, reject) => {
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
        void upstream.close()
        reject(new Error(`${err.message}\n--- last output of ${path.basename(bin)} ---\n${recent.join('\n')}`))
        return
      }
      const baseURL = (endpoint || (addr ? `http://${addr}` : new URL(loginURL!).origin)).replace(/\/+$/, '')
      resolve({
        pid: child.pid!,
        baseURL,
        loginURL: loginURL!,
        addr: addr ?? new URL(baseURL).host,
        dataDir,
        logFile: LOG_FILE,
        upstreamURL: upstream.baseURL,
        configFile,
        homeDir,
        bin,
      })
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

    // keep draining both pipes for the whole run (a full pipe would block the server)
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
    }

    child.on('error', (e) => finish(new Error(`could not start ${bin}: ${e.message}`)))
    child.on('exit', (code, signal) => finish(new Error(`switchboard exited early (code ${code}, signal ${signal})`)))
    const timer = setTimeout(() => {
      if (loginURL) return finish() // address line missing: derive it from the link
      finish(new Error(`switchboard did not print its address and login link within ${READY_TIMEOUT_MS} ms`))
    }, READY_TIMEOUT_MS)
  })

  fs.writeFileSync(STATE_FILE, JSON.stringify(info, null, 2))
  process.env.SWITCHBOARD_BASE_URL = info.baseURL
  process.env.SWITCHBOARD_LOGIN_URL = info.loginURL
  process.env.FAKE_UPSTREAM_URL = upstream.baseURL
  console.log(`[e2e] switchboard pid ${info.pid} at ${info.baseURL} (log: ${LOG_FILE}); fake upstream at ${upstream.baseURL}`)
}
