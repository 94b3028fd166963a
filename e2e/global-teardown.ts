// Stop the server started by global setup (by its PID), close the fake
// upstream and identity server, and drop the data dir and the temporary HOME.

import fs from 'node:fs'
import { STATE_FILE, STORAGE_STATE, type ServerInfo } from './server'

const UPSTREAM_KEY = Symbol.for('switchboard.e2e.upstream')
const IDP_KEY = Symbol.for('switchboard.e2e.idp')

async function closeUpstream(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>
  const servers = [UPSTREAM_KEY, IDP_KEY].map((k) => {
    const s = g[k] as { close(): Promise<void> } | undefined
    delete g[k]
    return s?.close()
  })
  await Promise.all(servers)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export default async function globalTeardown(): Promise<void> {
  fs.rmSync(STORAGE_STATE, { force: true })
  if (!fs.existsSync(STATE_FILE)) {
    await closeUpstream()
    return
  }
  const info = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as ServerInfo
  if (info.pid && alive(info.pid)) {
    process.kill(info.pid, 'SIGTERM')
    const deadline = Date.now() + 5000
    while (alive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    if (alive(info.pid)) {
      console.warn(`[e2e] switchboard pid ${info.pid} ignored SIGTERM; killing it`)
      process.kill(info.pid, 'SIGKILL')
    }
  }
  await closeUpstream()
  if (!process.env.SWITCHBOARD_KEEP_DATA) {
    if (info.dataDir) fs.rmSync(info.dataDir, { recursive: true, force: true })
    if (info.homeDir) fs.rmSync(info.homeDir, { recursive: true, force: true })
  }
  fs.rmSync(STATE_FILE, { force: true })
}
