import { describe, expect, it, vi } from 'vitest'
import { api } from '../api/client'
import { ApiError } from '../api/transport'
import { errorResponse, jsonResponse, sampleStatus } from '../../test/fakes'
import { SessionStore } from './session.svelte'
import { StatusStore } from './status.svelte'

describe('SessionStore', () => {
  it('is ready when the probe succeeds', async () => {
    const s = new SessionStore()
    expect(await s.check(async () => sampleStatus)).toBe('ready')
  })

  it('is signed-out when the probe answers 401', async () => {
    const s = new SessionStore()
    expect(await s.check(() => Promise.reject(new ApiError(401, 'login required')))).toBe('signed-out')
  })

  it('shows an error for other failures', async () => {
    const s = new SessionStore()
    expect(await s.check(() => Promise.reject(new ApiError(0, 'Cannot reach Switchboard')))).toBe('error')
    expect(s.message).toBe('Cannot reach Switchboard')
  })

  it('flips to signed-out when any API call later answers 401', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(sampleStatus)))
    const s = new SessionStore()
    const detach = s.attach()
    await s.check(() => api.getStatus())
    expect(s.state).toBe('ready')
    vi.stubGlobal('fetch', vi.fn(async () => errorResponse(401, 'session expired')))
    await api.listKeys().catch(() => {})
    expect(s.state).toBe('signed-out')
    detach()
  })
})

describe('StatusStore', () => {
  it('applies pushed statuses and extrapolates uptime', async () => {
    let push: (s: typeof sampleStatus) => void = () => {}
    let now = 1_000_000
    const store = new StatusStore({
      getStatus: async () => sampleStatus,
      subscribe: (cb) => {
        push = cb
        return () => {}
      },
      now: () => now,
      pollMs: 60_000,
    })
    await store.refresh()
    expect(store.receivedAt).toBe(now)
    const stop = store.start()
    now += 1000
    push({ ...sampleStatus, requests: 42, uptimeSec: 100 })
    expect(store.status?.requests).toBe(42)
    expect(store.status?.uptimeSec).toBe(100)
    expect(store.receivedAt).toBe(now)
    stop()
  })

  it('re-checks with GetStatus when the live channel goes down', async () => {
    let setState: (s: 'connecting' | 'live' | 'down') => void = () => {}
    const getStatus = vi.fn(async () => sampleStatus)
    const store = new StatusStore({
      getStatus,
      subscribe: (_cb, opts) => {
        setState = opts.onState!
        return () => {}
      },
      pollMs: 60_000,
    })
    const stop = store.start()
    setState('live')
    expect(store.live).toBe('live')
    setState('down')
    expect(store.live).toBe('down')
    expect(getStatus).toHaveBeenCalledTimes(1)
    stop()
  })
})
