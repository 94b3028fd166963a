import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { SignInFlow } from '../api/types'
import { refreshLogEntry, signInAccount, signInFlow, signInProvider } from '../../test/fakes'
import { POLL_MS, SignInStore, tokenState, type SignInApi } from './signin.svelte'

/** a hand-driven clock: timers run only when the test says so */
function clock() {
  const timers = new Map<number, { fn: () => void; ms: number }>()
  let n = 0
  return {
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++n, { fn, ms })
      return n
    },
    clearTimeout: (t: unknown) => void timers.delete(t as number),
    /** delays of the timers waiting now */
    pending: () => [...timers.values()].map((t) => t.ms),
    /** run the timers waiting now, then let their promises settle */
    async fire() {
      const due = [...timers.entries()]
      timers.clear()
      for (const [, t] of due) t.fn()
      for (let i = 0; i < 5; i++) await Promise.resolve()
    },
  }
}

function client(over: Partial<SignInApi> = {}): SignInApi {
  return {
    listSignIns: vi.fn(async () => [signInProvider('claude', { importFrom: 'Claude Code' })]),
    startSignIn: vi.fn(async (p: string, account: string) => signInFlow('f_1', p, { account })),
    getSignInFlow: vi.fn(async (id: string) => signInFlow(id, 'claude')),
    completeSignIn: vi.fn(async (id: string) => signInFlow(id, 'claude', { status: 'done', email: 'me@x.y' })),
    cancelSignIn: vi.fn(async () => {}),
    importSignIn: vi.fn(async (_p: string, a: string) => signInAccount('a_i', a, { email: 'cli@x.y' })),
    refreshAccount: vi.fn(async (id: string) => signInAccount(id, 'default')),
    getRefreshLog: vi.fn(async () => [refreshLogEntry('signed_in')]),
    ...over,
  }
}

function setup(over: Partial<SignInApi> = {}) {
  const c = client(over)
  const t = clock()
  const open = vi.fn()
  const store = new SignInStore({ client: c, open, setTimeout: t.setTimeout, clearTimeout: t.clearTimeout })
  const onchange = vi.fn()
  store.onchange = onchange
  return { c, t, open, store, onchange }
}

describe('SignInStore', () => {
  it('loads the providers and the log; an old server without the API hides the section', async () => {
    const { store, c } = setup()
    await store.load()
    expect(store.providers.map((p) => p.id)).toEqual(['claude'])
    expect(store.log).toHaveLength(1)
    expect(c.getRefreshLog).toHaveBeenCalled()

    const old = setup({ listSignIns: vi.fn(async () => Promise.reject(new ApiError(404, 'not found'))) })
    await old.store.load()
    expect(old.store.unsupported).toBe(true)
    expect(old.store.error).toBe('')
    expect(old.c.getRefreshLog).not.toHaveBeenCalled()
  })

  it('starts a flow, opens the page when the server did not, and polls every second until done', async () => {
    let status: SignInFlow['status'] = 'pending'
    const { store, c, t, open, onchange } = setup({
      getSignInFlow: vi.fn(async (id: string) => signInFlow(id, 'claude', { status, email: status === 'done' ? 'me@x.y' : undefined })),
    })
    await store.start('claude', '  ', false)
    expect(c.startSignIn).toHaveBeenCalledWith('claude', '', false)
    expect(open).toHaveBeenCalledWith('https://idp.example/claude/authorize?state=f_1')
    expect(t.pending()).toEqual([POLL_MS])
    expect(store.pending('claude')).toBe(true)

    await t.fire()
    expect(c.getSignInFlow).toHaveBeenCalledTimes(1)
    expect(t.pending()).toEqual([1000])
    expect(onchange).not.toHaveBeenCalled()

    status = 'done'
    await t.fire()
    expect(store.flows.claude).toMatchObject({ status: 'done', email: 'me@x.y' })
    expect(t.pending()).toEqual([])
    expect(onchange).toHaveBeenCalledTimes(1)
    expect(c.getRefreshLog).toHaveBeenCalled()
  })

  it('opens nothing when the desktop app opened the browser, or in manual mode', async () => {
    const a = setup({ startSignIn: vi.fn(async (p: string) => signInFlow('f', p, { opened: true })) })
    await a.store.start('claude', 'w', false)
    expect(a.open).not.toHaveBeenCalled()

    const b = setup()
    await b.store.start('claude', 'w', true)
    expect(b.open).not.toHaveBeenCalled()
    expect(b.store.flows.claude.manual).toBe(true)
    expect(b.t.pending()).toEqual([1000])
  })

  it('finishes a manual flow with the pasted code; a failed exchange ends it with the error', async () => {
    const { store, c, t, onchange } = setup()
    await store.start('claude', 'w', true)
    expect(await store.complete('claude', '  ')).toBe(false)
    expect(store.errors.claude).toMatch(/Paste the code/)
    expect(await store.complete('claude', ' abc#st ')).toBe(true)
    expect(c.completeSignIn).toHaveBeenCalledWith('f_1', 'abc#st')
    expect(store.flows.claude.status).toBe('done')
    expect(store.errors.claude).toBeUndefined()
    expect(t.pending()).toEqual([])
    expect(onchange).toHaveBeenCalled()

    const bad = setup({
      completeSignIn: vi.fn(async (id: string) => signInFlow(id, 'claude', { status: 'failed', error: 'invalid_grant: code expired' })),
    })
    await bad.store.start('claude', 'w', true)
    expect(await bad.store.complete('claude', 'old#code')).toBe(false)
    expect(bad.store.flows.claude).toMatchObject({ status: 'failed', error: 'invalid_grant: code expired' })
    expect(bad.onchange).not.toHaveBeenCalled()
  })

  it('a code the server refuses (400) leaves the flow pending for another paste', async () => {
    const { store } = setup({ completeSignIn: vi.fn(async () => Promise.reject(new ApiError(400, 'that is not a code'))) })
    await store.start('claude', 'w', true)
    expect(await store.complete('claude', 'junk')).toBe(false)
    expect(store.errors.claude).toBe('that is not a code')
    expect(store.pending('claude')).toBe(true)
  })

  it('cancels: stops polling, and a late poll answer does not bring the flow back', async () => {
    let release!: (f: SignInFlow) => void
    const { store, c, t } = setup({ getSignInFlow: vi.fn(() => new Promise<SignInFlow>((r) => (release = r))) })
    await store.start('claude', 'w', false)
    await t.fire() // a poll is now in flight
    await store.cancel('claude')
    expect(c.cancelSignIn).toHaveBeenCalledWith('f_1')
    expect(store.flows.claude.status).toBe('canceled')
    release(signInFlow('f_1', 'claude'))
    await Promise.resolve()
    await Promise.resolve()
    expect(store.flows.claude.status).toBe('canceled')
    expect(t.pending()).toEqual([])
    store.dismiss('claude')
    expect(store.flows.claude).toBeUndefined()
  })

  it('a flow the server forgot (404) fails with a clear message; other poll errors are retried', async () => {
    let fail: ApiError = new ApiError(500, 'busy')
    const { store, t } = setup({ getSignInFlow: vi.fn(async () => Promise.reject(fail)) })
    await store.start('claude', 'w', false)
    await t.fire()
    expect(store.pending('claude')).toBe(true)
    expect(t.pending()).toEqual([1000])
    fail = new ApiError(404, 'no such flow')
    await t.fire()
    expect(store.flows.claude.status).toBe('failed')
    expect(store.flows.claude.error).toMatch(/no longer knows this sign-in/)
  })

  it('shows why a start failed (e.g. the redirect port is taken)', async () => {
    const { store } = setup({ startSignIn: vi.fn(async () => Promise.reject(new ApiError(409, 'port 1455 is taken'))) })
    expect(await store.start('codex', 'w', false)).toBeNull()
    expect(store.errors.codex).toBe('port 1455 is taken')
    expect(store.busy.codex).toBeUndefined()
  })

  it('imports a CLI login and says so', async () => {
    const { store, c, onchange } = setup()
    await store.load()
    await store.importFrom('claude', '')
    expect(c.importSignIn).toHaveBeenCalledWith('claude', '')
    expect(store.notices.claude).toBe('Imported cli@x.y from Claude Code.')
    expect(onchange).toHaveBeenCalled()
  })

  it('refreshes an account now, keeping the error of a failed refresh per account', async () => {
    const { store, c, onchange } = setup({
      refreshAccount: vi.fn(async (id: string) =>
        id === 'bad' ? Promise.reject(new ApiError(502, 'invalid_grant: refresh token revoked')) : signInAccount(id, 'x'),
      ),
    })
    expect(await store.refreshAccount('ok')).toBe(true)
    expect(await store.refreshAccount('bad')).toBe(false)
    expect(store.refreshErrors).toEqual({ bad: 'invalid_grant: refresh token revoked' })
    expect(store.refreshing).toBeNull()
    expect(onchange).toHaveBeenCalledTimes(2)
    expect(c.getRefreshLog).toHaveBeenCalledTimes(2)
  })

  it('stop() halts polling and resume() picks the pending flows up again', async () => {
    const { store, t } = setup()
    await store.start('claude', 'w', false)
    store.stop()
    expect(t.pending()).toEqual([])
    store.resume()
    expect(t.pending()).toEqual([1000])
  })

  it('reads the token state from older servers too', () => {
    expect(tokenState(signInAccount('a', 'b', { tokenState: 'expiring' }))).toBe('expiring')
    expect(tokenState(signInAccount('a', 'b', { tokenState: undefined, state: 'needs_sign_in' }))).toBe('needs_sign_in')
    expect(tokenState(signInAccount('a', 'b', { tokenState: undefined }))).toBeUndefined()
  })
})
