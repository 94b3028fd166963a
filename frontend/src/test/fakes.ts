import { vi } from 'vitest'
import type { ApiKey, Status } from '../lib/api/types'

export function jsonResponse(body: unknown, status = 200, statusText = ''): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    statusText,
    headers: { 'Content-Type': 'application/json' },
  })
}

export function errorResponse(status: number, message: string, code = 'err'): Response {
  return jsonResponse({ error: { message, code } }, status)
}

export const sampleStatus: Status = {
  version: '0.1.0',
  mode: 'headless',
  listen: '127.0.0.1:20128',
  endpoint: 'http://127.0.0.1:20128',
  startedAt: '2025-01-01T00:00:00Z',
  uptimeSec: 12,
  requests: 3,
  keys: 1,
  dataDir: '/tmp/sb',
  keyring: 'key-file',
}

export function key(id: string, name: string, createdAt = '2025-01-01T00:00:00Z'): ApiKey {
  return { id, name, last4: id.slice(-4).padStart(4, 'x'), createdAt, lastUsedAt: '', source: 'dashboard' }
}

/** Install a fake Wails binding on window.go.app.App (+ window.runtime events). */
export function installWails(methods: Record<string, (...args: any[]) => Promise<unknown>>) {
  const listeners = new Map<string, Set<(...d: unknown[]) => void>>()
  const runtime = {
    EventsOn: vi.fn((name: string, cb: (...d: unknown[]) => void) => {
      if (!listeners.has(name)) listeners.set(name, new Set())
      listeners.get(name)!.add(cb)
      return () => listeners.get(name)!.delete(cb)
    }),
    EventsOff: vi.fn(),
    emit(name: string, ...data: unknown[]) {
      for (const cb of listeners.get(name) ?? []) cb(...data)
    },
    listenerCount: (name: string) => listeners.get(name)?.size ?? 0,
  }
  const App: Record<string, any> = {}
  for (const [k, fn] of Object.entries(methods)) App[k] = vi.fn(fn)
  const w = window as unknown as Record<string, unknown>
  w.go = { app: { App } }
  w.runtime = runtime
  return { App, runtime }
}

/** Minimal EventSource stand-in (jsdom has none). */
export class FakeEventSource {
  static instances: FakeEventSource[] = []
  readyState = 0
  closed = false
  private handlers = new Map<string, Set<(ev: any) => void>>()
  constructor(public url: string) {
    FakeEventSource.instances.push(this)
  }
  addEventListener(type: string, cb: (ev: any) => void) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set())
    this.handlers.get(type)!.add(cb)
  }
  removeEventListener(type: string, cb: (ev: any) => void) {
    this.handlers.get(type)?.delete(cb)
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
  dispatch(type: string, ev: any = {}) {
    for (const cb of this.handlers.get(type) ?? []) cb(ev)
  }
  static reset() {
    FakeEventSource.instances = []
  }
}
