import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { ComboInput, ComboView } from '../api/types'
import { comboTarget, comboView, fakePoller, modelInfo } from '../../test/fakes'
import {
  COMBO_REFRESH_MS,
  comboInput,
  CombosStore,
  draftFromCombo,
  emptyComboDraft,
  emptyTarget,
  moveItem,
  STRATEGIES,
  strategyInfo,
  type ComboDraft,
  type CombosApi,
} from './combos.svelte'

function fakeApi(items: ComboView[] = [comboView('smart', [comboTarget('fakecfg/m1')])]) {
  return {
    listCombos: vi.fn(async () => items),
    listModels: vi.fn(async () => [modelInfo('fakecfg/m1'), modelInfo('fast', { Alias: true }), modelInfo('smart', { Combo: true })]),
    saveCombo: vi.fn(async (_c: ComboInput) => {}),
    deleteCombo: vi.fn(async (_n: string) => {}),
    suggestCombo: vi.fn(async (): Promise<ComboInput> => ({ name: 'coding', strategy: 'priority', sticky: 0, budgetMs: 0, targets: [] })),
  } satisfies CombosApi
}


function draft(extra: Partial<ComboDraft> = {}): ComboDraft {
  return {
    name: 'smart',
    strategy: 'priority',
    sticky: '',
    budgetSec: '',
    targets: [
      { ...emptyTarget('fakecfg/m1') },
      { ...emptyTarget('fake/m1'), account: ' dummy ', onlyWhenExhausted: true },
    ],
    ...extra,
  }
}

describe('strategies', () => {
  it('lists every backend strategy with a one-line explanation, priority first', () => {
    expect(STRATEGIES.map((s) => s.id)).toEqual([
      'priority',
      'fill-first',
      'round-robin',
      'weighted',
      'p2c',
      'random',
      'least-used',
      'cost-optimized',
      'quota-aware',
    ])
    for (const s of STRATEGIES) {
      expect(s.hint.length).toBeGreaterThan(10)
      expect(s.hint).not.toMatch(/\n/)
    }
    expect(strategyInfo('weighted').label).toBe('Weighted')
    expect(strategyInfo('future').label).toBe('future')
  })
})

describe('comboInput', () => {
  it('builds the request body: trimmed, in order, sticky/weight only where they apply', () => {
    expect(comboInput(draft({ sticky: '3', budgetSec: ' 2.5 ' }))).toEqual({
      input: {
        name: 'smart',
        strategy: 'priority',
        sticky: 0, // only round-robin takes it
        budgetMs: 2500,
        targets: [
          { model: 'fakecfg/m1', account: '', weight: 0, onlyWhenExhausted: false },
          { model: 'fake/m1', account: 'dummy', weight: 0, onlyWhenExhausted: true },
        ],
      },
    })
    const rr = comboInput(draft({ strategy: 'round-robin', sticky: '3' }))
    expect('input' in rr && rr.input.sticky).toBe(3)
    const d = draft({ strategy: 'weighted' })
    d.targets[0].weight = '5'
    const w = comboInput(d)
    expect('input' in w && w.input.targets.map((t) => t.weight)).toEqual([5, 0])
  })

  it('explains what is wrong', () => {
    const err = (d: ComboDraft) => {
      const v = comboInput(d)
      return 'error' in v ? v.error : null
    }
    expect(err(draft({ name: ' ' }))).toMatch(/name/)
    expect(err(draft({ name: 'a b' }))).toMatch(/spaces/)
    expect(err(draft({ name: 'a/b' }))).toMatch(/"\/"/)
    expect(err(draft({ targets: [] }))).toMatch(/at least one target/)
    expect(err(draft({ targets: [emptyTarget('x/y'), emptyTarget(' ')] }))).toBe('Target 2 needs a model.')
    expect(err(draft({ targets: [emptyTarget('smart')] }))).toMatch(/itself/)
    expect(err(draft({ budgetSec: 'soon' }))).toMatch(/seconds/)
    expect(err(draft({ budgetSec: '-3' }))).toMatch(/seconds/)
    expect(err(draft({ strategy: 'round-robin', sticky: '1.5' }))).toMatch(/Sticky/)
    const w = draft({ strategy: 'weighted' })
    w.targets[1].weight = '-1'
    expect(err(w)).toMatch(/weight of target 2/)
    expect(err(draft())).toBeNull()
  })

  it('round-trips a listed combo through the editor draft', () => {
    const c = comboView('smart', [comboTarget('a/b', { account: 'work', weight: 3, onlyWhenExhausted: true }), comboTarget('c/d')], {
      strategy: 'weighted',
      budgetMs: 45_000,
    })
    const d = draftFromCombo(c)
    expect(d.budgetSec).toBe('45')
    expect(d.targets.map((t) => [t.model, t.account, t.weight, t.onlyWhenExhausted])).toEqual([
      ['a/b', 'work', '3', true],
      ['c/d', '', '', false],
    ])
    expect(new Set(d.targets.map((t) => t.key)).size).toBe(2)
    expect(comboInput(d)).toEqual({
      input: {
        name: 'smart',
        strategy: 'weighted',
        sticky: 0,
        budgetMs: 45_000,
        targets: [
          { model: 'a/b', account: 'work', weight: 3, onlyWhenExhausted: true },
          { model: 'c/d', account: '', weight: 0, onlyWhenExhausted: false },
        ],
      },
    })
    expect(draftFromCombo({ ...c, strategy: 'unknown' }).strategy).toBe('priority')
    expect(emptyComboDraft()).toMatchObject({ name: '', strategy: 'priority', targets: [{ model: '' }] })
  })

  it('moveItem moves one item and clamps', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(moveItem(['a', 'b', 'c'], 0, 9)).toEqual(['b', 'c', 'a'])
    expect(moveItem(['a', 'b'], 5, 0)).toEqual(['a', 'b'])
    const same = ['a']
    expect(moveItem(same, 0, 0)).not.toBe(same)
  })
})

describe('CombosStore', () => {
  it('loads combos and the models for the picker (the edited combo excluded)', async () => {
    const client = fakeApi()
    const store = new CombosStore(client)
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.items.map((c) => c.name)).toEqual(['smart'])
    expect(store.targetIds()).toEqual(['fakecfg/m1', 'fast', 'smart'])
    expect(store.targetIds('smart')).toEqual(['fakecfg/m1', 'fast'])
  })

  it('saves a valid draft, then reloads; refuses invalid ones without calling the server', async () => {
    const client = fakeApi()
    const store = new CombosStore(client)
    await store.load()
    expect(await store.save(draft({ name: '' }))).toBe(false)
    expect(store.saveError).toMatch(/name/)
    expect(client.saveCombo).not.toHaveBeenCalled()

    expect(await store.save(draft({ name: 'other' }), true)).toBe(true)
    expect(client.saveCombo).toHaveBeenCalledWith(expect.objectContaining({ name: 'other', strategy: 'priority' }))
    expect(client.listCombos).toHaveBeenCalledTimes(2)
    expect(store.saveError).toBe('')
  })

  it('does not silently replace a combo when creating one with the same name', async () => {
    const client = fakeApi()
    const store = new CombosStore(client)
    await store.load()
    expect(await store.save(draft({ name: 'smart' }), true)).toBe(false)
    expect(store.saveError).toMatch(/already is a combo named "smart"/)
    expect(await store.save(draft({ name: 'smart' }), false)).toBe(true)
  })

  it('never writes a config-file combo', async () => {
    const client = fakeApi([comboView('cfg', [comboTarget('a/b')], { source: 'config' })])
    const store = new CombosStore(client)
    await store.load()
    expect(await store.save(draft({ name: 'cfg' }))).toBe(false)
    expect(store.saveError).toMatch(/config file/)
    expect(client.saveCombo).not.toHaveBeenCalled()
  })

  it('shows the server’s 400 message', async () => {
    const client = fakeApi()
    client.saveCombo.mockRejectedValueOnce(new ApiError(400, '"fakecfg" is a provider prefix; choose another combo name'))
    const store = new CombosStore(client)
    expect(await store.save(draft({ name: 'fakecfg' }))).toBe(false)
    expect(store.saveError).toBe('"fakecfg" is a provider prefix; choose another combo name')
    expect(store.saving).toBe(false)
  })

  it('deletes', async () => {
    const client = fakeApi()
    const store = new CombosStore(client)
    await store.load()
    client.listCombos.mockResolvedValueOnce([])
    expect(await store.remove('smart')).toBe(true)
    expect(client.deleteCombo).toHaveBeenCalledWith('smart')
    expect(store.items).toEqual([])

    client.deleteCombo.mockRejectedValueOnce(new ApiError(404, 'accounts: not found'))
    expect(await store.remove('gone')).toBe(false)
    expect(store.removeError).toBe('accounts: not found')
    expect(store.removing).toBeNull()
  })

  it('refreshes the states every 3 s while visible, keeping the list when a refresh fails', async () => {
    const client = fakeApi()
    const p = fakePoller()
    const store = new CombosStore(client, { poller: p.deps })
    await store.load()
    const stop = store.startPolling()
    expect(p.deps.setInterval).toHaveBeenCalledWith(expect.any(Function), COMBO_REFRESH_MS)
    expect(COMBO_REFRESH_MS).toBe(3000)

    p.tick()
    await vi.waitFor(() => expect(client.listCombos).toHaveBeenCalledTimes(2))
    expect(client.listModels).toHaveBeenCalledTimes(1) // the picker is not re-read

    p.setVisible(false)
    p.tick()
    expect(client.listCombos).toHaveBeenCalledTimes(2)
    p.setVisible(true) // visible again: refresh at once
    await vi.waitFor(() => expect(client.listCombos).toHaveBeenCalledTimes(3))

    client.listCombos.mockRejectedValueOnce(new ApiError(0, 'Cannot reach Switchboard.'))
    p.tick()
    await vi.waitFor(() => expect(store.error).toBe('Cannot reach Switchboard.'))
    expect(store.items).toHaveLength(1)

    stop()
    expect(p.timers.size).toBe(0)
  })
})
