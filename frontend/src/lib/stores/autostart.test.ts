import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { LaunchAtLogin } from '../api/types'
import { AutostartStore, unavailableReason } from './autostart.svelte'

const CMD = '/usr/bin/switchboard --minimized'

function fakeApi(initial: LaunchAtLogin = { enabled: false, supported: true, command: CMD }) {
  let state = { ...initial }
  let refuse = ''
  return {
    refuse: (msg: string) => (refuse = msg),
    client: {
      getLaunchAtLogin: vi.fn(async () => ({ ...state })),
      setLaunchAtLogin: vi.fn(async (on: boolean) => {
        if (refuse) throw new ApiError(500, refuse, 'autostart_failed')
        state = { ...state, enabled: on }
        return { ...state }
      }),
    },
  }
}

describe('unavailableReason', () => {
  it('explains why the switch is off limits', () => {
    expect(unavailableReason(null)).toBe('')
    expect(unavailableReason({ enabled: false, supported: true, command: CMD })).toBe('')
    expect(unavailableReason({ enabled: false, supported: false, command: '' })).toMatch(/does not support/)
    expect(unavailableReason({ enabled: false, supported: false, command: '', error: 'autostart: no executable' })).toBe(
      'autostart: no executable',
    )
    expect(unavailableReason({ enabled: true, supported: true, command: CMD, error: 'boom' })).toBe('boom')
  })
})

describe('AutostartStore', () => {
  it('loads the state and turns launch at login on and off', async () => {
    const { client } = fakeApi()
    const store = new AutostartStore(client)
    await store.load()
    expect(store.value).toEqual({ enabled: false, supported: true, command: CMD })
    expect(await store.set(true)).toBe(true)
    expect(store.value?.enabled).toBe(true)
    expect(await store.set(false)).toBe(true)
    expect(store.value?.enabled).toBe(false)
    expect(client.setLaunchAtLogin.mock.calls).toEqual([[true], [false]])
    expect(store.busy).toBe(false)
  })

  it('a refused change shows the reason (without a dangling colon) and re-reads the state', async () => {
    const fake = fakeApi()
    const store = new AutostartStore(fake.client)
    await store.load()
    fake.refuse('launch at login could not be changed: ')
    expect(await store.set(true)).toBe(false)
    expect(store.setError).toBe('launch at login could not be changed')
    expect(store.value?.enabled).toBe(false)
    expect(fake.client.getLaunchAtLogin).toHaveBeenCalledTimes(2)
    fake.refuse('')
    expect(await store.set(true)).toBe(true)
    expect(store.setError).toBe('')
  })

  it('reports a failed load', async () => {
    const store = new AutostartStore({
      getLaunchAtLogin: async () => {
        throw new ApiError(500, 'internal error')
      },
      setLaunchAtLogin: async () => ({ enabled: false, supported: true, command: '' }),
    })
    await store.load()
    expect(store.value).toBeNull()
    expect(store.loadError).toBe('internal error')
  })
})
