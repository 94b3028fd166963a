// Subscription sign-in operations over both transports, and how their answers are normalised.

import { describe, expect, it, vi } from 'vitest'
import { accountView, api, signInFlow } from './client'
import { ApiError } from './transport'
import {
  account,
  errorResponse,
  GO_ZERO_TIME,
  installWails,
  jsonResponse,
  providerView,
  refreshLogEntry,
  signInAccount,
  signInFlow as flowFake,
  signInProvider,
  stubBackend,
} from '../../test/fakes'

describe('sign-in operations over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/signin') return [signInProvider('claude', { importFrom: 'Claude Code' })]
      if (c.method === 'POST' && c.url === '/api/signin/claude') return jsonResponse(flowFake('f_1', 'claude'), 201)
      if (c.method === 'GET' && c.url === '/api/signin/flows/f%2F1') return flowFake('f/1', 'claude', { status: 'done', email: 'a@b.c' })
      if (c.method === 'POST' && c.url === '/api/signin/flows/f_1/code') return flowFake('f_1', 'claude', { status: 'done' })
      if (c.method === 'DELETE') return undefined
      if (c.method === 'POST' && c.url === '/api/signin/codex/import') return jsonResponse(signInAccount('a_imp', 'cli'), 201)
      if (c.method === 'POST' && c.url === '/api/accounts/a_1/refresh') return signInAccount('a_1', 'default')
      if (c.method === 'GET' && c.url === '/api/signin/log') return [refreshLogEntry('refreshed')]
      return errorResponse(404, `no route ${c.method} ${c.url}`)
    })

    const [p] = await api.listSignIns()
    expect(p).toMatchObject({ id: 'claude', importFrom: 'Claude Code', models: ['claude-sonnet-4-5'] })
    expect((await api.startSignIn('claude', 'work', true)).url).toMatch(/^https:\/\/idp\.example\//)
    expect((await api.getSignInFlow('f/1')).email).toBe('a@b.c')
    expect((await api.completeSignIn('f_1', 'abc#state')).status).toBe('done')
    await api.cancelSignIn('f_1')
    expect((await api.importSignIn('codex', 'cli')).kind).toBe('signin')
    expect((await api.refreshAccount('a_1')).tokenState).toBe('valid')
    expect(await api.getRefreshLog()).toEqual([refreshLogEntry('refreshed')])

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/signin', undefined],
      ['POST', '/api/signin/claude', { account: 'work' }],
      ['GET', '/api/signin/flows/f%2F1', undefined],
      ['POST', '/api/signin/flows/f_1/code', { code: 'abc#state' }],
      ['DELETE', '/api/signin/flows/f_1', undefined],
      ['POST', '/api/signin/codex/import', { account: 'cli' }],
      ['POST', '/api/accounts/a_1/refresh', undefined],
      ['GET', '/api/signin/log', undefined],
    ])
  })

  it('turns Go nulls and zero times into empty lists and absent fields', async () => {
    stubBackend((c) => {
      if (c.url === '/api/signin') return [{ ...signInProvider('codex'), models: null, importFrom: null }]
      if (c.url === '/api/signin/log') return null
      if (c.url === '/api/providers')
        return [
          providerView('claude', [
            signInAccount('a_1', 'default', { expiresAt: GO_ZERO_TIME, refreshedAt: '', tokenState: 'needs_sign_in' }),
            { ...account('a_2', 'key'), kind: undefined },
          ]),
        ]
      return null
    })
    const [p] = await api.listSignIns()
    expect(p.models).toEqual([])
    expect(p.importFrom).toBe('')
    expect(await api.getRefreshLog()).toEqual([])
    const [signin, key] = (await api.listProviders())[0].accounts
    expect(signin.kind).toBe('signin')
    expect(signin.tokenState).toBe('needs_sign_in')
    expect('expiresAt' in signin).toBe(false)
    expect('refreshedAt' in signin).toBe(false)
    expect(key.kind).toBe('key')
  })

  it('rejects with the server message (e.g. a taken redirect port)', async () => {
    stubBackend(() => errorResponse(409, 'oauth: codex: cannot listen on 127.0.0.1:1455 for the sign-in redirect', 'conflict'))
    const err = await api.startSignIn('codex', 'default', false).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(409)
    expect(err.message).toMatch(/cannot listen on 127\.0\.0\.1:1455/)
  })
})

describe('sign-in operations over Wails bindings', () => {
  it('call the bound methods with the contract argument orders and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      ListSignIns: async () => null,
      StartSignIn: async (p: string, a: string) => flowFake('f_w', p, { account: a, opened: true }),
      GetSignInFlow: async (id: string) => flowFake(id, 'claude', { status: 'failed', error: 'invalid_grant' }),
      CompleteSignIn: async (id: string) => flowFake(id, 'claude', { status: 'done', accountId: 'a_9', email: 'x@y.z' }),
      CancelSignIn: async () => null,
      ImportSignIn: async (_p: string, a: string) => signInAccount('a_i', a),
      RefreshAccount: async (id: string) => signInAccount(id, 'default'),
      GetRefreshLog: async () => [refreshLogEntry('failed', { detail: 'invalid_grant' })],
    })

    expect(await api.listSignIns()).toEqual([])
    expect(await api.startSignIn('claude', 'work', false)).toMatchObject({ id: 'f_w', account: 'work', opened: true })
    expect(await api.getSignInFlow('f_w')).toMatchObject({ status: 'failed', error: 'invalid_grant' })
    expect(await api.completeSignIn('f_w', 'https://localhost:1/callback?code=c&state=s')).toMatchObject({
      status: 'done',
      accountId: 'a_9',
      email: 'x@y.z',
    })
    await api.cancelSignIn('f_w')
    expect((await api.importSignIn('claude', 'cli')).name).toBe('cli')
    expect((await api.refreshAccount('a_r')).id).toBe('a_r')
    expect((await api.getRefreshLog())[0].detail).toBe('invalid_grant')

    expect(App.StartSignIn).toHaveBeenCalledWith('claude', 'work', false)
    expect(App.GetSignInFlow).toHaveBeenCalledWith('f_w')
    expect(App.CompleteSignIn).toHaveBeenCalledWith('f_w', 'https://localhost:1/callback?code=c&state=s')
    expect(App.CancelSignIn).toHaveBeenCalledWith('f_w')
    expect(App.ImportSignIn).toHaveBeenCalledWith('claude', 'cli')
    expect(App.RefreshAccount).toHaveBeenCalledWith('a_r')
    expect(App.GetRefreshLog).toHaveBeenCalledWith()
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('say "not provided" when the app predates sign-in', async () => {
    installWails({})
    const err = await api.listSignIns().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(501)
  })
})

describe('normalisers', () => {
  it('signInFlow fills the required fields and keeps only meaningful optional ones', () => {
    expect(signInFlow(null)).toEqual({ id: '', provider: '', account: '', url: '', manualUrl: '', status: 'pending', opened: false, device: false })
    const f = signInFlow({ ...flowFake('f', 'claude'), error: '', email: 'e@x.y', opened: 'yes' as unknown as boolean })
    expect('error' in f).toBe(false)
    expect(f.email).toBe('e@x.y')
    expect(f.opened).toBe(false)
  })

  it('accountView marks key accounts and drops Go zero times', () => {
    expect(accountView(account('a', 'k')).kind).toBe('key')
    const v = accountView(signInAccount('s', 'x', { expiresAt: GO_ZERO_TIME }))
    expect(v.kind).toBe('signin')
    expect(v.expiresAt).toBeUndefined()
    expect(v.refreshedAt).toMatch(/^\d{4}-/)
  })
})
