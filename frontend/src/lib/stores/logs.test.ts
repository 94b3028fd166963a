import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { LogFilter, LogRow } from '../api/types'
import { logRow } from '../../test/fakes'
import { AUTO_REFRESH_MS, DEFAULT_LIMIT, LogsStore, parseRoute, splitTarget, statusTone, type LogsApi } from './logs.svelte'

function fakeApi(rows: LogRow[] = [logRow('req_1')]) {
  return { listLogs: vi.fn(async (_f?: Partial<LogFilter>) => rows) } satisfies LogsApi
}

function fakeTimers() {
  const timers = new Map<number, () => void>()
  let n = 0
  return {
    timers,
    deps: {
      setInterval: vi.fn((fn: () => void, _ms: number) => {
        timers.set(++n, fn)
        return n
      }),
      clearInterval: vi.fn((t: unknown) => void timers.delete(t as number)),
    },
    tick: () => [...timers.values()].forEach((fn) => fn()),
  }
}

describe('parseRoute', () => {
  it('reads the routing decisions of a row', () => {
    const raw = JSON.stringify([
      { target: 'openai/work/gpt-4o', result: 'rate_limit', status: 429, error: 'slow down' },
      { target: 'openai/home/gpt-4o', result: 'skipped: target failed' },
      { target: 'groq/-/llama', result: 'ok' },
    ])
    expect(parseRoute(raw)).toEqual([
      { target: 'openai/work/gpt-4o', result: 'rate_limit', status: 429, error: 'slow down' },
      { target: 'openai/home/gpt-4o', result: 'skipped: target failed', status: undefined, error: undefined },
      { target: 'groq/-/llama', result: 'ok', status: undefined, error: undefined },
    ])
  })

  it('is empty without a route and null for unreadable text', () => {
    expect(parseRoute('')).toEqual([])
    expect(parseRoute(undefined)).toEqual([])
    expect(parseRoute('null')).toEqual([])
    expect(parseRoute('{not json')).toBeNull()
    expect(parseRoute('{"target":"x"}')).toBeNull()
  })

  it('splits targets into provider, account and model', () => {
    expect(splitTarget('openai/work/gpt-4o')).toEqual({ provider: 'openai', account: 'work', model: 'gpt-4o' })
    expect(splitTarget('ollama/-/llama3')).toEqual({ provider: 'ollama', account: '', model: 'llama3' })
    expect(splitTarget('or/acct/meta-llama/llama-3')).toEqual({ provider: 'or', account: 'acct', model: 'meta-llama/llama-3' })
    expect(splitTarget('a/b')).toEqual({ provider: 'a', account: '', model: 'b' })
  })

  it('colours statuses', () => {
    expect(statusTone(200)).toBe('ok')
    expect(statusTone(429)).toBe('warn')
    expect(statusTone(401)).toBe('warn')
    expect(statusTone(502)).toBe('error')
    expect(statusTone(0)).toBe('none')
  })
})

describe('LogsStore', () => {
  it('loads with the default limit, then with an applied filter', async () => {
    const client = fakeApi()
    const store = new LogsStore(client, fakeTimers().deps)
    await store.load()
    expect(client.listLogs).toHaveBeenLastCalledWith({ provider: '', model: '', keyName: '', status: '', errorKind: '', limit: DEFAULT_LIMIT })
    expect(store.rows).toHaveLength(1)
    expect(store.loaded).toBe(true)

    await store.apply({ provider: ' fake ', status: 'error', keyName: 'ci' })
    expect(client.listLogs).toHaveBeenLastCalledWith({
      provider: 'fake',
      model: '',
      keyName: 'ci',
      status: 'error',
      errorKind: '',
      limit: DEFAULT_LIMIT,
    })
    await store.clearFilter()
    expect(client.listLogs).toHaveBeenLastCalledWith({ provider: '', model: '', keyName: '', status: '', errorKind: '', limit: DEFAULT_LIMIT })
  })

  it('drops the answer to an older query', async () => {
    let release: (rows: LogRow[]) => void = () => {}
    const client = {
      listLogs: vi
        .fn()
        .mockImplementationOnce(() => new Promise<LogRow[]>((r) => (release = r)))
        .mockImplementationOnce(async () => [logRow('new')]),
    }
    const store = new LogsStore(client as LogsApi, fakeTimers().deps)
    const first = store.load()
    await store.apply({ provider: 'x' })
    release([logRow('old')])
    await first
    expect(store.rows.map((r) => r.reqId)).toEqual(['new'])
    expect(store.loading).toBe(false)
  })

  it('keeps the rows when a refresh fails', async () => {
    const client = fakeApi()
    const store = new LogsStore(client, fakeTimers().deps)
    await store.load()
    client.listLogs.mockRejectedValueOnce(new ApiError(500, 'internal error'))
    await store.load()
    expect(store.error).toBe('internal error')
    expect(store.rows).toHaveLength(1)
  })

  it('auto-refreshes every 3 s while on, and stops', async () => {
    const client = fakeApi()
    const t = fakeTimers()
    const store = new LogsStore(client, t.deps)
    store.setAutoRefresh(true)
    expect(t.deps.setInterval).toHaveBeenCalledWith(expect.any(Function), AUTO_REFRESH_MS)
    expect(AUTO_REFRESH_MS).toBe(3000)
    t.tick()
    expect(client.listLogs).toHaveBeenCalledTimes(1)
    t.tick() // still loading: no second query piles up
    expect(client.listLogs).toHaveBeenCalledTimes(1)
    await vi.waitFor(() => expect(store.loading).toBe(false))
    t.tick()
    expect(client.listLogs).toHaveBeenCalledTimes(2)

    store.stop() // page closed: timer gone, toggle remembered
    expect(t.timers.size).toBe(0)
    expect(store.autoRefresh).toBe(true)
    store.resume()
    expect(t.timers.size).toBe(1)

    store.setAutoRefresh(false)
    expect(t.timers.size).toBe(0)
    store.resume()
    expect(t.timers.size).toBe(0)
  })

  it('expands and collapses rows', () => {
    const store = new LogsStore(fakeApi(), fakeTimers().deps)
    store.toggle('a')
    store.toggle('b')
    expect(store.isExpanded('a')).toBe(true)
    store.toggle('a')
    expect(store.isExpanded('a')).toBe(false)
    expect(store.expanded).toEqual(['b'])
  })
})
