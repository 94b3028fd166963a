import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { LogFilter, LogRow } from '../api/types'
import { fullLogFilter } from '../api/client'
import { logRow } from '../../test/fakes'
import {
  AUTO_REFRESH_MS,
  DEFAULT_LIMIT,
  LogsStore,
  cancelStory,
  parseHeaders,
  parseRoute,
  splitTarget,
  statusTone,
  stepTiming,
  type LogsApi,
} from './logs.svelte'

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
    expect(client.listLogs).toHaveBeenLastCalledWith(fullLogFilter({ limit: DEFAULT_LIMIT }))
    expect(store.rows).toHaveLength(1)
    expect(store.loaded).toBe(true)

    await store.apply({ provider: ' fake ', status: 'error', keyName: 'ci', stream: 'yes', q: ' boom ' })
    expect(client.listLogs).toHaveBeenLastCalledWith(
      fullLogFilter({ provider: 'fake', keyName: 'ci', status: 'error', stream: 'yes', q: 'boom', limit: DEFAULT_LIMIT }),
    )
    await store.clearFilter()
    expect(client.listLogs).toHaveBeenLastCalledWith(fullLogFilter({ limit: DEFAULT_LIMIT }))
  })

  it('pages on with the last row as keyset cursor, without repeats', async () => {
    const page1 = [logRow('a', { id: 9, ts: 3000 }), logRow('b', { id: 8, ts: 2000 })]
    const page2 = [logRow('b', { id: 8, ts: 2000 }), logRow('c', { id: 7, ts: 2000 })]
    const client = { listLogs: vi.fn().mockResolvedValueOnce(page1).mockResolvedValueOnce(page2).mockResolvedValueOnce([]) }
    const store = new LogsStore(client as LogsApi, fakeTimers().deps)
    await store.apply({ limit: 2 })
    expect(store.hasMore).toBe(true)
    await store.loadMore()
    expect(client.listLogs).toHaveBeenLastCalledWith(fullLogFilter({ limit: 2, cursorTs: 2000, cursorId: 8 }))
    expect(store.rows.map((r) => r.reqId)).toEqual(['a', 'b', 'c'])
    await store.loadMore()
    expect(store.hasMore).toBe(false)
  })

  it('keeps its filter in a URL query, time ranges as presets', async () => {
    const client = fakeApi()
    const store = new LogsStore(client, fakeTimers().deps)
    store.fromUrlQuery('?provider=groq&key=ci+bot&stream=no&range=24h&q=x%25')
    expect(store.filter).toMatchObject({ provider: 'groq', keyName: 'ci bot', stream: 'no', q: 'x%', limit: DEFAULT_LIMIT })
    expect(store.range).toBe('24h')
    const before = Date.now()
    await store.load()
    const since = (client.listLogs.mock.calls[0][0] as LogFilter).since
    expect(since).toBeGreaterThanOrEqual(before - 24 * 3600_000)
    expect(since).toBeLessThanOrEqual(Date.now() - 24 * 3600_000)
    expect(store.urlQuery()).toBe('?q=x%25&provider=groq&key=ci+bot&stream=no&range=24h')
    store.fromUrlQuery('?since=1000&before=2000')
    expect(store.range).toBe('custom')
    expect(store.urlQuery()).toBe('?since=1000&before=2000&range=custom')
  })

  it('fetches the bodies of a row when it opens, once', async () => {
    const detail = logRow('a', { id: 5, hasBody: true, requestBody: '{}' })
    const client = { ...fakeApi([logRow('a', { id: 5, hasBody: true })]), getLogDetail: vi.fn(async () => detail) }
    const store = new LogsStore(client, fakeTimers().deps)
    await store.load()
    store.toggle('a')
    await vi.waitFor(() => expect(store.details[5]).toEqual(detail))
    store.toggle('a')
    store.toggle('a')
    expect(client.getLogDetail).toHaveBeenCalledTimes(1)
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

describe('log detail helpers', () => {
  it('tell what happened to a request the client left', () => {
    const r = logRow('x', { status: 499, errorKind: 'canceled', latencyMs: 2500, ttftMs: 400, stream: true, tokensOut: 0, provider: 'ant', upstreamModel: 'm' })
    expect(cancelStory(r)).toBe(
      'The client closed the connection 2.50 s after the request arrived, 2.10 s after the first token (at 400 ms), while the answer was streaming. The call to ant/m was cancelled with it. The upstream had not reported token counts yet.',
    )
    expect(cancelStory(logRow('y', { status: 499, ttftMs: 0, provider: '', latencyMs: 90, tokensOut: 0 }))).toBe(
      'The client closed the connection 90 ms after the request arrived, before any answer had started.',
    )
    expect(cancelStory(logRow('z'))).toBeNull()
  })

  it('format step timing and headers', () => {
    expect(stepTiming({ target: 'a/b', result: 'ok', atMs: 120, ms: 2300 })).toBe('at +120 ms · took 2.30 s')
    expect(stepTiming({ target: 'a/b', result: 'ok' })).toBe('')
    expect(parseHeaders('{"request":{"User-Agent":"x","Authorization":"[REDACTED]"},"response":{}}')).toEqual({
      request: [
        ['Authorization', '[REDACTED]'],
        ['User-Agent', 'x'],
      ],
      response: [],
    })
    expect(parseHeaders('nope')).toBeNull()
  })
})
