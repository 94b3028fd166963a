import { beforeEach, describe, expect, it, vi } from 'vitest'
import { api } from './client'
import { ApiError, call, onUnauthorized, subscribeStatus, transportKind, transportReady, wailsError } from './transport'
import { errorResponse, FakeEventSource, installWails, jsonResponse, sampleStatus } from '../../test/fakes'

function stubFetch(impl: (url: string, init: RequestInit) => Promise<Response> | Response) {
  const fetchMock = vi.fn(async (url: string, init: RequestInit) => impl(url, init))
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

describe('transport selection', () => {
  it('uses HTTP when there is no Wails binding', async () => {
    const fetchMock = stubFetch(() => jsonResponse(sampleStatus))
    expect(transportKind()).toBe('http')
    const s = await api.getStatus()
    expect(s.endpoint).toBe('http://127.0.0.1:20128')
    expect(fetchMock).toHaveBeenCalledTimes(1)
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/status')
    expect(init.method).toBe('GET')
    expect(init.credentials).toBe('same-origin')
  })

  it('calls the bound Go methods inside a Wails window and never fetches', async () => {
    const fetchMock = stubFetch(() => {
      throw new Error('fetch must not be used in Wails mode')
    })
    const { App } = installWails({
      GetStatus: async () => ({ ...sampleStatus, mode: 'desktop' }),
      CreateKey: async (name: string) => ({ key: { id: 'k_1', name }, secret: 'sk-sb-x' }),
      RevokeKey: async () => null,
      SaveSettings: async (s: unknown) => s,
    })
    expect(transportKind()).toBe('wails')

    expect((await api.getStatus()).mode).toBe('desktop')
    const created = await api.createKey('laptop')
    expect(App.CreateKey).toHaveBeenCalledWith('laptop')
    expect(created.secret).toBe('sk-sb-x')
    await api.revokeKey('k_1')
    expect(App.RevokeKey).toHaveBeenCalledWith('k_1')
    const saved = await api.saveSettings({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })
    expect(App.SaveSettings).toHaveBeenCalledWith({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })
    expect(saved).toEqual({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('decides per call, so a binding that appears later is used', async () => {
    stubFetch(() => jsonResponse(sampleStatus))
    expect((await api.getStatus()).mode).toBe('headless')
    installWails({ GetStatus: async () => ({ ...sampleStatus, mode: 'desktop' }) })
    expect((await api.getStatus()).mode).toBe('desktop')
  })

  it('waits briefly for late Wails bindings inside a Wails window', async () => {
    const w = window as unknown as Record<string, unknown>
    w.wails = {}
    setTimeout(() => installWails({ GetStatus: async () => sampleStatus }), 30)
    try {
      expect(transportKind()).toBe('http')
      await expect(transportReady(1000, 5)).resolves.toBe('wails')
    } finally {
      delete w.wails
    }
  })

  it('does not wait in a normal browser', async () => {
    const t0 = Date.now()
    await expect(transportReady(1000, 5)).resolves.toBe('http')
    expect(Date.now() - t0).toBeLessThan(100)
  })

  it('maps HTTP operations to the contract routes', async () => {
    const fetchMock = stubFetch((url, init) => {
      if (init.method === 'DELETE') return new Response(null, { status: 204 })
      if (url === '/api/keys' && init.method === 'GET') return jsonResponse([])
      return jsonResponse(JSON.parse(String(init.body ?? 'null')))
    })
    await api.listKeys()
    await api.createKey('ci')
    await api.revokeKey('k_a/b')
    await api.getSettings()
    await api.saveSettings({ logRequestBodies: false, responseCache: false, theme: 'light', quotaReservePercent: 0 })
    const calls = fetchMock.mock.calls.map(([u, i]) => [i.method, u, i.body ?? null])
    expect(calls).toEqual([
      ['GET', '/api/keys', null],
      ['POST', '/api/keys', JSON.stringify({ name: 'ci' })],
      ['DELETE', '/api/keys/k_a%2Fb', null],
      ['GET', '/api/settings', null],
      ['PUT', '/api/settings', JSON.stringify({ logRequestBodies: false, responseCache: false, theme: 'light', quotaReservePercent: 0 })],
    ])
    const post = fetchMock.mock.calls[1][1]
    expect((post.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it('returns null for 204 and for an empty body', async () => {
    stubFetch(() => new Response(null, { status: 204 }))
    await expect(call({ bind: 'X', method: 'DELETE', path: '/api/x' })).resolves.toBeNull()
    stubFetch(() => new Response('', { status: 200 }))
    await expect(call({ bind: 'X', method: 'GET', path: '/api/x' })).resolves.toBeNull()
  })

  it('treats a null ListKeys answer as an empty list', async () => {
    installWails({ ListKeys: async () => null })
    await expect(api.listKeys()).resolves.toEqual([])
  })
})

describe('ApiError mapping', () => {
  it('maps the {"error":{message,code}} body of an HTTP error', async () => {
    stubFetch(() => errorResponse(400, 'name is required', 'invalid_name'))
    const err = await api.createKey('').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('name is required')
    expect(err.code).toBe('invalid_name')
  })

  it('falls back to plain text or the status text', async () => {
    stubFetch(() => new Response('boom', { status: 500, statusText: 'Internal Server Error' }))
    let err = await api.getStatus().catch((e) => e)
    expect(err).toMatchObject({ status: 500, message: 'boom' })

    stubFetch(() => new Response('<html>oops</html>', { status: 502, statusText: 'Bad Gateway' }))
    err = await api.getStatus().catch((e) => e)
    expect(err).toMatchObject({ status: 502, message: 'Bad Gateway' })

    stubFetch(() => new Response(null, { status: 503 }))
    err = await api.getStatus().catch((e) => e)
    expect(err).toMatchObject({ status: 503, message: 'Request failed (HTTP 503)' })
  })

  it('reports an unreachable server as status 0', async () => {
    stubFetch(() => {
      throw new TypeError('Failed to fetch')
    })
    const err = await api.getStatus().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(0)
    expect(err.code).toBe('unreachable')
  })

  it('turns a Wails rejection (Go error text) into an ApiError', async () => {
    installWails({ CreateKey: async () => Promise.reject('key name already exists') })
    const err = await api.createKey('dup').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toBe('key name already exists')
    expect(err.status).toBe(500)
  })

  it('understands JSON-shaped Wails errors', () => {
    expect(wailsError('{"error":{"message":"nope","code":"bad"}}')).toMatchObject({ message: 'nope', code: 'bad' })
    expect(wailsError({ status: 404, message: 'no such key', code: 'not_found' })).toMatchObject({
      status: 404,
      message: 'no such key',
      code: 'not_found',
    })
    expect(wailsError(new Error('plain'))).toMatchObject({ status: 500, message: 'plain' })
  })

  it('reports a missing bound method instead of crashing', async () => {
    installWails({})
    const err = await api.getSettings().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(501)
  })

  it('rejects a non-JSON success body with an ApiError', async () => {
    stubFetch(() => new Response('<html></html>', { status: 200 }))
    const err = await api.getStatus().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
  })
})

describe('401 handling', () => {
  it('throws ApiError 401 and notifies the unauthorized listeners', async () => {
    stubFetch(() => errorResponse(401, 'login required', 'unauthorized'))
    const seen = vi.fn()
    const off = onUnauthorized(seen)
    const err = await api.listKeys().catch((e) => e)
    off()
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(401)
    expect(err.unauthorized).toBe(true)
    expect(seen).toHaveBeenCalledTimes(1)
  })

  it('does not notify for other errors, nor after unsubscribing', async () => {
    const seen = vi.fn()
    const off = onUnauthorized(seen)
    stubFetch(() => errorResponse(403, 'forbidden'))
    await api.listKeys().catch(() => {})
    stubFetch(() => errorResponse(500, 'broken'))
    await api.listKeys().catch(() => {})
    expect(seen).not.toHaveBeenCalled()
    off()
    stubFetch(() => errorResponse(401, 'login required'))
    await api.listKeys().catch(() => {})
    expect(seen).not.toHaveBeenCalled()
  })
})

describe('subscribeStatus', () => {
  beforeEach(() => FakeEventSource.reset())

  it('HTTP: listens to "status" events of /api/events and closes on unsubscribe', () => {
    vi.stubGlobal('EventSource', FakeEventSource)
    const got = vi.fn()
    const states: string[] = []
    const off = subscribeStatus(got, { onState: (s) => states.push(s) })
    const es = FakeEventSource.instances[0]
    expect(es.url).toBe('/api/events')
    es.dispatch('open')
    es.dispatch('status', { data: JSON.stringify({ ...sampleStatus, requests: 7 }) })
    es.dispatch('status', { data: 'not json' })
    expect(got).toHaveBeenCalledTimes(1)
    expect(got.mock.calls[0][0].requests).toBe(7)
    expect(states).toEqual(['connecting', 'live', 'live'])
    off()
    expect(es.closed).toBe(true)
  })

  it('HTTP: re-opens the stream after the server closed it', () => {
    vi.useFakeTimers()
    vi.stubGlobal('EventSource', FakeEventSource)
    const states: string[] = []
    const off = subscribeStatus(() => {}, { onState: (s) => states.push(s), retryMs: 1000 })
    const first = FakeEventSource.instances[0]
    first.readyState = 2
    first.dispatch('error')
    expect(states.at(-1)).toBe('down')
    vi.advanceTimersByTime(1000)
    expect(FakeEventSource.instances).toHaveLength(2)
    off()
    expect(FakeEventSource.instances[1].closed).toBe(true)
    vi.advanceTimersByTime(5000)
    expect(FakeEventSource.instances).toHaveLength(2)
  })

  it('Wails: uses runtime.EventsOn("status") and its cancel function', () => {
    const es = vi.fn()
    vi.stubGlobal('EventSource', es)
    const { runtime } = installWails({ GetStatus: async () => sampleStatus })
    const got = vi.fn()
    const off = subscribeStatus(got)
    expect(runtime.EventsOn).toHaveBeenCalledWith('status', expect.any(Function))
    runtime.emit('status', { ...sampleStatus, requests: 9 })
    runtime.emit('status', JSON.stringify({ ...sampleStatus, requests: 10 }))
    expect(got.mock.calls.map((c) => c[0].requests)).toEqual([9, 10])
    off()
    expect(runtime.listenerCount('status')).toBe(0)
    expect(es).not.toHaveBeenCalled()
  })
})
