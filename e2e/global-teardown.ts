// Stop the server started by global setup (by its PID) and drop its data dir.

import fs from 'node:fs'
import { STATE_FILE, type ServerInfo } from './server'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return
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
  if (info.dataDir && !process.env.SWITCHBOARD_KEEP_DATA) fs.rmSync(info.dataDir, { recursive: true, force: true })
  fs.rmSync(STATE_FILE, { force: true })
}
