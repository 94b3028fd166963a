// The single transport of the dashboard.
//
// Inside the Wails desktop window the Go methods of app.App are bound on
// `window.go.app.App` and events arrive through `window.runtime.EventsOn`.
// In a normal browser (headless mode: the Go HTTP server serves this bundle at `/`)
// the same operations go over `fetch('/api/…')` with the session cookie and live
// updates over `EventSource('/api/events')`.
//
// Whatever the transport, failures surface as one error type: ApiError.
// The generated `wailsjs/` bindings are deliberately NOT imported: they do not exist
// in a fresh checkout, and `window.go` is all they wrap anyway.

import type { Status } from './types'

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached at all. */
  readonly status: number
  /** machine-readable code from the server, when it sent one */
  readonly code?: string

  constructor(status: number, message: string, code?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }

  get unauthorized(): boolean {
    return this.status === 401
  }
}

export type TransportKind = 'wails' | 'http'

type BoundMethod = (...args: unknown[]) => Promise<unknown>

interface WailsWindow {
  go?: { app?: { App?: Record<string, BoundMethod | undefined> } }
  runtime?: {
    EventsOn?: (name: string, cb: (...data: unknown[]) => void) => (() => void) | void
    EventsOff?: (name: string, ...more: string[]) => void
    EventsEmit?: (name: string, ...data: unknown[]) => void
  }
}

/** Send a Wails runtime event to the Go side (nothing outside the desktop window). */
export function emitToApp(name: string): void {
  if (typeof window === 'undefined') return
  ;(window as unknown as WailsWindow).runtime?.EventsEmit?.(name)
}

function wailsApp(): Record<string, BoundMethod | undefined> | undefined {
  if (typeof window === 'undefined') return undefined
  return (window as unknown as WailsWindow).go?.app?.App
}

/** Which transport calls go through right now (decided per call, never cached). */
export function transportKind(): TransportKind {
  return wailsApp() ? 'wails' : 'http'
}

function looksLikeWails(): boolean {
  if (typeof window === 'undefined') return false
  const w = window as unknown as { wails?: unknown; runtime?: unknown }
  return !!w.wails || location.protocol === 'wails:' || location.hostname === 'wails.localhost'
}

/**
 * Resolves once the transport is settled. In a Wails window the bindings are
 * injected by Wails' own scripts; should they land after this bundle starts,
 * wait for them briefly instead of wrongly falling back to HTTP.
 */
export async function transportReady(timeoutMs = 2000, stepMs = 25): Promise<TransportKind> {
  if (wailsApp() || !looksLikeWails()) return transportKind()
  const deadline = Date.now() + timeoutMs
  while (!wailsApp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, stepMs))
  return transportKind()
}

// ---------------------------------------------------------------------------
// "not logged in" notification: any call answering 401 tells the listeners.

type Listener = () => void
const unauthorizedListeners = new Set<Listener>()

/** Called whenever an API call answers 401. Returns an unsubscribe function. */
export function onUnauthorized(cb: Listener): () => void {
  unauthorizedListeners.add(cb)
  return () => unauthorizedListeners.delete(cb)
}

function notifyUnauthorized(): void {
  for (const cb of [...unauthorizedListeners]) {
    try {
      cb()
    } catch (e) {
      console.error('unauthorized listener failed', e)
    }
  }
}

// ---------------------------------------------------------------------------
// calls

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** One API operation, described for both transports. */
export interface Operation {
  /** name of the bound Go method on app.App, e.g. "CreateKey" */
  bind: string
  /** positional arguments of the bound method */
  args?: unknown[]
  method: HttpVerb
  /** path under the site root, starting with /api/ */
  path: string
  /** JSON body for POST/PUT/PATCH */
  body?: unknown
}

/** Run one operation over the current transport. Rejects with ApiError only. */
export async function call<T>(op: Operation): Promise<T> {
  const app = wailsApp()
  if (app) return callWails<T>(app, op)
  return callHttp<T>(op)
}

async function callWails<T>(app: Record<string, BoundMethod | undefined>, op: Operation): Promise<T> {
  const fn = app[op.bind]
  if (typeof fn !== 'function') {
    throw new ApiError(501, `This version of Switchboard does not provide ${op.bind}.`, 'not_implemented')
  }
  try {
    const out = await fn(...(op.args ?? []))
    return (out === undefined ? null : out) as T
  } catch (e) {
    throw wailsError(e)
  }
}

/** Wails rejects a bound call with the Go error's text (or an object/JSON from an error formatter). */
export function wailsError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  let v: unknown = e
  if (typeof v === 'string') {
    const t = v.trim()
    if (t.startsWith('{')) {
      try {
        v = JSON.parse(t)
      } catch {
        /* plain text */
      }
    }
  }
  if (typeof v === 'string') return new ApiError(500, v.trim() || 'Request failed')
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const inner = (o.error && typeof o.error === 'object' ? o.error : o) as Record<string, unknown>
    const message =
      (typeof inner.message === 'string' && inner.message) ||
      (typeof o.error === 'string' && o.error) ||
      (e instanceof Error && e.message) ||
      'Request failed'
    const status = typeof o.status === 'number' ? o.status : 500
    const code = typeof inner.code === 'string' ? inner.code : undefined
    return new ApiError(status, message, code)
  }
  return new ApiError(500, 'Request failed')
}

async function callHttp<T>(op: Operation): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const init: RequestInit = { method: op.method, credentials: 'same-origin', headers }
  if (op.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(op.body)
  }

  let res: Response
  try {
    res = await fetch(op.path, init)
  } catch {
    throw new ApiError(0, 'Cannot reach Switchboard. Is it still running?', 'unreachable')
  }

  if (!res.ok) {
    const err = await httpError(res)
    if (err.status === 401) notifyUnauthorized()
    throw err
  }

  if (res.status === 204) return null as T
  const text = await res.text()
  if (!text.trim()) return null as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError(res.status, 'The server sent a response the dashboard could not read.', 'bad_response')
  }
}

/** Map a failed HTTP response ({"error":{"message","code"}} by contract) to an ApiError. */
export async function httpError(res: Response): Promise<ApiError> {
  let message = ''
  let code: string | undefined
  let text = ''
  try {
    text = await res.text()
  } catch {
    /* body unreadable */
  }
  if (text) {
    try {
      const body = JSON.parse(text) as { error?: unknown }
      if (body && typeof body.error === 'object' && body.error !== null) {
        const inner = body.error as { message?: unknown; code?: unknown }
        if (typeof inner.message === 'string') message = inner.message
        if (typeof inner.code === 'string') code = inner.code
      } else if (body && typeof body.error === 'string') {
        message = body.error
      }
    } catch {
      // not JSON: a short plain-text body is still the best message we have
      if (text.length <= 200 && !text.trimStart().startsWith('<')) message = text.trim()
    }
  }
  if (!message) message = res.statusText || `Request failed (HTTP ${res.status})`
  return new ApiError(res.status, message, code)
}

// ---------------------------------------------------------------------------
// live status

export type LiveState = 'connecting' | 'live' | 'down'

export interface SubscribeOptions {
  /** connection state of the live channel (HTTP only; Wails is always live) */
  onState?: (s: LiveState) => void
  /** HTTP: delay before re-opening a closed EventSource (ms) */
  retryMs?: number
}

function parseStatus(data: unknown): Status | null {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch {
      return null
    }
  }
  return data && typeof data === 'object' ? (data as Status) : null
}

/**
 * Receive every Status the backend pushes. Wails: the "status" runtime event.
 * HTTP: `event: status` messages of the EventSource at /api/events (re-opened if it closes).
 * Returns the unsubscribe function.
 */
export function subscribeStatus(cb: (s: Status) => void, opts: SubscribeOptions = {}): () => void {
  const rt = (window as unknown as WailsWindow).runtime
  if (wailsApp() && rt?.EventsOn) {
    const off = rt.EventsOn('status', (data: unknown) => {
      const s = parseStatus(data)
      if (s) cb(s)
    })
    opts.onState?.('live')
    return () => {
      if (typeof off === 'function') off()
      else rt.EventsOff?.('status')
    }
  }
  return subscribeHttp(cb, opts)
}

function subscribeHttp(cb: (s: Status) => void, opts: SubscribeOptions): () => void {
  if (typeof EventSource === 'undefined') {
    opts.onState?.('down')
    return () => {}
  }
  const retryMs = opts.retryMs ?? 3000
  let es: EventSource | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false

  const open = () => {
    if (closed) return
    opts.onState?.('connecting')
    const src = new EventSource('/api/events')
    es = src
    src.addEventListener('open', () => opts.onState?.('live'))
    src.addEventListener('status', (ev) => {
      const s = parseStatus((ev as MessageEvent).data)
      if (s) {
        opts.onState?.('live')
        cb(s)
      }
    })
    src.addEventListener('error', () => {
      if (closed) return
      opts.onState?.('down')
      // EventSource reconnects by itself unless the server refused it (e.g. 401):
      // then it is CLOSED and we try again later.
      if (src.readyState === 2 /* CLOSED */) {
        src.close()
        if (es === src) es = null
        timer = setTimeout(open, retryMs)
      }
    })
  }
  open()

  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    es?.close()
    es = null
  }
}
