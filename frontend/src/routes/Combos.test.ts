import { fireEvent, screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ComboInput, ComboView } from '../lib/api/types'
import {
  comboTarget,
  comboView,
  errorResponse,
  installWails,
  modelInfo,
  sampleStatus,
  stubBackend,
  type RecordedCall,
} from '../test/fakes'

// The stores are module singletons: each test renders from a fresh module graph.
let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Combos } = await import('./Combos.svelte')
  cleanup = tl.cleanup
  return tl.render(Combos)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

function todayAt(h: number, m: number, s: number): string {
  const d = new Date()
  d.setHours(h, m, s, 0)
  return d.toISOString()
}

const seeded: ComboView[] = [
  comboView('cfg-combo', [comboTarget('fakecfg/m1')], { source: 'config', strategy: 'fill-first' }),
  comboView(
    'smart',
    [
      comboTarget('fakecfg/m1'),
      comboTarget('fakecfg/limited', { state: 'cooling', until: todayAt(14, 3, 7), note: 'rate_limited' }),
      comboTarget('nope/x', { state: 'unroutable', note: 'model "nope/x" is not routable' }),
      comboTarget('fast', { state: 'breaker_open', until: todayAt(9, 0, 0), onlyWhenExhausted: true }),
    ],
    { budgetMs: 30_000 },
  ),
]

const models = [modelInfo('fakecfg/m1'), modelInfo('fake/m1'), modelInfo('fast', { Alias: true }), modelInfo('smart', { Combo: true })]

/** An in-memory backend for the Combos page over HTTP. */
function backend(initial: ComboView[] = seeded) {
  let combos = structuredClone(initial)
  const saved: ComboInput[] = []
  const stub = stubBackend((c: RecordedCall) => {
    if (c.method === 'GET' && c.url === '/api/combos') return combos
    if (c.method === 'GET' && c.url === '/api/models') return models
    if (c.method === 'POST' && c.url === '/api/combos') {
      const body = c.body as ComboInput
      if (body.name === 'fakecfg') return errorResponse(400, '"fakecfg" is a provider prefix; choose another combo name', 'invalid')
      saved.push(body)
      const view = comboView(
        body.name,
        body.targets.map((t) => comboTarget(t.model, { account: t.account || undefined, weight: t.weight || undefined })),
        { strategy: body.strategy, sticky: body.sticky, budgetMs: body.budgetMs },
      )
      combos = [...combos.filter((x) => x.name !== body.name), view].sort((a, b) => a.name.localeCompare(b.name))
      return undefined
    }
    const m = /^\/api\/combos\/(.+)$/.exec(c.url)
    if (c.method === 'DELETE' && m) {
      combos = combos.filter((x) => x.name !== decodeURIComponent(m[1]))
      return undefined
    }
    return errorResponse(404, `no route ${c.method} ${c.url}`)
  })
  return { ...stub, saved, set: (v: ComboView[]) => (combos = v) }
}

const card = (name: string) => document.querySelector(`[data-testid="combo-card"][data-combo-name="${name}"]`) as HTMLElement | null
const rows = () => screen.getAllByTestId('target-row')
const rowModels = () => rows().map((r) => (within(r).getByLabelText(/^Model of target/) as HTMLInputElement).value)

describe('Combos page', () => {
  it('lists combos with strategy, budget, source and a live state chip per target, in order', async () => {
    backend()
    await renderPage()
    await waitFor(() => expect(card('smart')).toBeTruthy())

    const smart = within(card('smart')!)
    expect(smart.getByTestId('combo-strategy').textContent).toMatch(/Priority/)
    expect(smart.getByTestId('combo-budget').textContent).toBe('30 s budget')
    expect(smart.getByTestId('combo-source').textContent?.trim()).toBe('Added here')
    const targets = smart.getAllByTestId('combo-target')
    expect(targets.map((t) => t.getAttribute('data-model'))).toEqual(['fakecfg/m1', 'fakecfg/limited', 'nope/x', 'fast'])
    const chips = smart.getAllByTestId('target-state').map((c) => c.textContent?.trim())
    expect(chips[0]).toBe('OK')
    expect(chips[1]).toBe('Cooling until 14:03:07')
    expect(chips[2]).toBe('Unroutable')
    expect(chips[3]).toBe('Breaker open until 09:00:00')
    expect(targets[1].textContent).toMatch(/Rate limited/)
    expect(targets[2].textContent).toMatch(/model "nope\/x" is not routable/)
    expect(targets[3].textContent).toMatch(/only when the ones before are out of quota/)
    expect(smart.getByRole('button', { name: 'Edit combo smart' })).toBeTruthy()

    // config-file combos are read-only: a note, no edit or delete
    const cfg = within(card('cfg-combo')!)
    expect(cfg.getByTestId('combo-source').textContent?.trim()).toBe('Config file')
    expect(cfg.getByTestId('config-note').textContent).toMatch(/config file/)
    expect(cfg.queryByRole('button')).toBeNull()
    expect(cfg.getByTestId('combo-strategy').textContent).toMatch(/Fill first/)
    expect(cfg.getByTestId('combo-budget').textContent).toBe('no time budget')
  })

  it('creates a combo: strategy help, sticky only for round-robin, targets reordered by buttons and by drag', async () => {
    const user = userEvent.setup()
    const be = backend([])
    await renderPage()
    expect((await screen.findByTestId('combos-empty')).textContent).toMatch(/No combos yet/)

    await user.click(screen.getByRole('button', { name: 'New combo' }))
    const editor = within(screen.getByTestId('combo-editor'))
    expect(editor.getByRole('heading', { name: 'New combo' })).toBeTruthy()
    await user.type(editor.getByLabelText('Name'), 'e2e-smart')

    // one line of explanation per strategy; sticky only for round-robin, weight only for weighted
    expect(editor.getByTestId('strategy-hint').textContent).toMatch(/in order/)
    expect(editor.queryByLabelText('Sticky requests')).toBeNull()
    await user.selectOptions(editor.getByLabelText('Strategy'), 'round-robin')
    expect(editor.getByTestId('strategy-hint').textContent).toMatch(/Takes turns/)
    await user.type(editor.getByLabelText('Sticky requests'), '2')
    expect(editor.queryByLabelText(/^Weight of target/)).toBeNull()
    await user.selectOptions(editor.getByLabelText('Strategy'), 'weighted')
    expect(editor.queryByLabelText('Sticky requests')).toBeNull()
    expect(editor.getByLabelText('Weight of target 1')).toBeTruthy()
    await user.selectOptions(editor.getByLabelText('Strategy'), 'priority')
    await user.type(editor.getByLabelText('Time budget (seconds)'), '20')

    // the model picker offers every routable model, aliases and combos included
    const options = [...screen.getByTestId('combo-models').querySelectorAll('option')].map((o) => o.value)
    expect(options).toEqual(['fake/m1', 'fakecfg/m1', 'fast', 'smart'])

    await user.type(editor.getByLabelText('Model of target 1'), 'fakecfg/m1')
    await user.click(editor.getByRole('button', { name: 'Add target' }))
    await waitFor(() => expect(document.activeElement).toBe(editor.getByLabelText('Model of target 2')))
    await user.keyboard('fakecfg/limited')
    await user.type(editor.getByLabelText('Account of target 2'), 'ops')
    await user.click(editor.getByLabelText(/Only when the ones before are out of quota \(target 2\)/))
    await user.click(editor.getByRole('button', { name: 'Add target' }))
    await user.keyboard('fast')
    expect(rowModels()).toEqual(['fakecfg/m1', 'fakecfg/limited', 'fast'])

    // keyboard-accessible buttons
    expect((editor.getByRole('button', { name: 'Move fakecfg/m1 up' }) as HTMLButtonElement).disabled).toBe(true)
    expect((editor.getByRole('button', { name: 'Move fast down' }) as HTMLButtonElement).disabled).toBe(true)
    await user.click(editor.getByRole('button', { name: 'Move fast up' }))
    expect(rowModels()).toEqual(['fakecfg/m1', 'fast', 'fakecfg/limited'])
    // the focus stays with the moved row
    expect(document.activeElement).toBe(editor.getByRole('button', { name: 'Move fast up' }))
    expect(screen.getByRole('status').textContent).toBe('Moved fast to position 2 of 3.')
    await user.click(editor.getByRole('button', { name: 'Move fakecfg/m1 down' }))
    expect(rowModels()).toEqual(['fast', 'fakecfg/m1', 'fakecfg/limited'])

    // drag a row by its handle onto another row
    const handle = within(rows()[2]).getByTestId('drag-handle')
    expect(handle.getAttribute('draggable')).toBe('true')
    await fireEvent.dragStart(handle)
    await fireEvent.dragOver(rows()[0])
    expect(rows()[0].classList.contains('drop-here')).toBe(true)
    await fireEvent.drop(rows()[0])
    await fireEvent.dragEnd(handle)
    expect(rowModels()).toEqual(['fakecfg/limited', 'fast', 'fakecfg/m1'])
    // the row kept its own inputs
    expect((within(rows()[0]).getByLabelText('Account of target 1') as HTMLInputElement).value).toBe('ops')

    // a drop without a drag from this list does nothing
    await fireEvent.drop(rows()[2])
    expect(rowModels()).toEqual(['fakecfg/limited', 'fast', 'fakecfg/m1'])

    await user.click(editor.getByRole('button', { name: 'Remove fast' }))
    expect(rowModels()).toEqual(['fakecfg/limited', 'fakecfg/m1'])

    await user.click(editor.getByRole('button', { name: 'Create combo' }))
    await waitFor(() => expect(card('e2e-smart')).toBeTruthy())
    expect(be.saved).toEqual([
      {
        name: 'e2e-smart',
        strategy: 'priority',
        sticky: 0,
        budgetMs: 20_000,
        targets: [
          { model: 'fakecfg/limited', account: 'ops', weight: 0, onlyWhenExhausted: true },
          { model: 'fakecfg/m1', account: '', weight: 0, onlyWhenExhausted: false },
        ],
      },
    ])
    expect(screen.queryByTestId('combo-editor')).toBeNull()
    const listed = within(card('e2e-smart')!).getAllByTestId('combo-target')
    expect(listed.map((t) => t.getAttribute('data-model'))).toEqual(['fakecfg/limited', 'fakecfg/m1'])
  })

  it('edits a stored combo (fixed name, weights for weighted) and shows the server’s 400 message', async () => {
    const user = userEvent.setup()
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('smart')).toBeTruthy())

    await user.click(screen.getByRole('button', { name: 'Edit combo smart' }))
    const editor = within(screen.getByTestId('combo-editor'))
    expect(editor.getByRole('heading', { name: 'Edit combo smart' })).toBeTruthy()
    expect((editor.getByLabelText('Name') as HTMLInputElement).readOnly).toBe(true)
    expect((editor.getByLabelText('Time budget (seconds)') as HTMLInputElement).value).toBe('30')
    expect(rowModels()).toEqual(['fakecfg/m1', 'fakecfg/limited', 'nope/x', 'fast'])
    // the combo cannot be its own target
    const options = [...screen.getByTestId('combo-models').querySelectorAll('option')].map((o) => o.value)
    expect(options).not.toContain('smart')

    await user.selectOptions(editor.getByLabelText('Strategy'), 'weighted')
    await user.type(editor.getByLabelText('Weight of target 1'), '3')
    await user.click(editor.getByRole('button', { name: 'Remove nope/x' }))
    await user.clear(editor.getByLabelText('Time budget (seconds)'))
    await user.click(editor.getByRole('button', { name: 'Save combo' }))
    await waitFor(() => expect(screen.queryByTestId('combo-editor')).toBeNull())
    expect(be.saved.at(-1)).toEqual({
      name: 'smart',
      strategy: 'weighted',
      sticky: 0,
      budgetMs: 0,
      targets: [
        { model: 'fakecfg/m1', account: '', weight: 3, onlyWhenExhausted: false },
        { model: 'fakecfg/limited', account: '', weight: 0, onlyWhenExhausted: false },
        { model: 'fast', account: '', weight: 0, onlyWhenExhausted: true },
      ],
    })

    // invalid on the server: the message is shown, the editor stays open
    await user.click(screen.getByRole('button', { name: 'New combo' }))
    const again = within(screen.getByTestId('combo-editor'))
    await user.type(again.getByLabelText('Name'), 'fakecfg')
    await user.type(again.getByLabelText('Model of target 1'), 'fakecfg/m1')
    await user.click(again.getByRole('button', { name: 'Create combo' }))
    expect((await again.findByRole('alert')).textContent).toBe('"fakecfg" is a provider prefix; choose another combo name')
    // and a local check before any request
    await user.clear(again.getByLabelText('Model of target 1'))
    const before = be.calls.length
    await user.click(again.getByRole('button', { name: 'Create combo' }))
    expect((await again.findByRole('alert')).textContent).toBe('Target 1 needs a model.')
    expect(be.calls.length).toBe(before)
    await user.click(again.getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByTestId('combo-editor')).toBeNull()
  })

  it('deletes a combo after confirming', async () => {
    const user = userEvent.setup()
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('smart')).toBeTruthy())
    await user.click(screen.getByRole('button', { name: 'Delete combo smart' }))
    expect(be.calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    await user.click(screen.getByRole('button', { name: 'Delete combo smart' }))
    await user.click(screen.getByRole('button', { name: 'Confirm delete combo smart' }))
    await waitFor(() => expect(card('smart')).toBeNull())
    expect(be.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/combos/smart'])
    expect(card('cfg-combo')).toBeTruthy()
  })

  it('refreshes the target states every 3 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const be = backend()
    await renderPage()
    await vi.waitFor(() => expect(card('smart')).toBeTruthy())
    const chip = () => within(card('smart')!).getAllByTestId('target-state')[0]
    expect(chip().textContent?.trim()).toBe('OK')

    be.set([
      comboView('smart', [comboTarget('fakecfg/m1', { state: 'cooling', until: todayAt(23, 59, 58), note: 'quota_exhausted' })]),
    ])
    await vi.advanceTimersByTimeAsync(3000)
    await vi.waitFor(() => expect(chip().textContent?.trim()).toBe('Cooling until 23:59:58'))
    expect(card('smart')!.textContent).toMatch(/Out of quota/)
    const listCalls = be.calls.filter((c) => c.url === '/api/combos').length
    expect(listCalls).toBeGreaterThanOrEqual(2)
    // the model list is not polled
    expect(be.calls.filter((c) => c.url === '/api/models')).toHaveLength(1)
  })

  it('refreshes at once when a live status event arrives', async () => {
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('smart')).toBeTruthy())
    const before = be.calls.filter((c) => c.url === '/api/combos').length
    be.set([comboView('smart', [comboTarget('fakecfg/m1', { state: 'disabled' })])])
    const { statusStore } = await import('../lib/stores/status.svelte')
    statusStore.set(sampleStatus)
    await waitFor(() => expect(within(card('smart')!).getByTestId('target-state').textContent?.trim()).toBe('Disabled'))
    expect(be.calls.filter((c) => c.url === '/api/combos').length).toBe(before + 1)
  })

  it('uses the bound methods inside the Wails window', async () => {
    const user = userEvent.setup()
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    let combos: ComboView[] = [comboView('smart', [comboTarget('a/b')])]
    const { App } = installWails({
      ListCombos: async () => combos,
      ListModels: async () => null,
      SaveCombo: async (c: ComboInput) => {
        combos = [comboView(c.name, c.targets.map((t) => comboTarget(t.model)))]
        return null
      },
      DeleteCombo: async () => {
        combos = []
        return null
      },
    })
    await renderPage()
    await waitFor(() => expect(card('smart')).toBeTruthy())
    await user.click(screen.getByRole('button', { name: 'Edit combo smart' }))
    await user.click(screen.getByRole('button', { name: 'Add target' }))
    await user.keyboard('c/d')
    await user.click(screen.getByRole('button', { name: 'Move c/d up' }))
    await user.click(screen.getByRole('button', { name: 'Save combo' }))
    await waitFor(() => expect(App.SaveCombo).toHaveBeenCalled())
    expect(App.SaveCombo.mock.calls[0][0]).toEqual({
      name: 'smart',
      strategy: 'priority',
      sticky: 0,
      budgetMs: 0,
      targets: [
        { model: 'c/d', account: '', weight: 0, onlyWhenExhausted: false },
        { model: 'a/b', account: '', weight: 0, onlyWhenExhausted: false },
      ],
    })
    await user.click(await screen.findByRole('button', { name: 'Delete combo smart' }))
    await user.click(screen.getByRole('button', { name: 'Confirm delete combo smart' }))
    expect(App.DeleteCombo).toHaveBeenCalledWith('smart')
    expect(await screen.findByTestId('combos-empty')).toBeTruthy()
    expect(fetchMock).not.toHaveBeenCalled()
  })
})

describe('Combos page: suggestion', () => {
  it('"Suggest one" fills a new combo with the suggested targets, subscriptions first, and saves it', async () => {
    const user = userEvent.setup()
    stubBackend((c: RecordedCall) => {
      if (c.method === 'GET' && c.url === '/api/combos/suggested')
        return { name: 'coding', strategy: 'priority', sticky: 0, budgetMs: 0, targets: [{ model: 'cc/claude-opus-4-5' }, { model: 'openai/gpt-5' }] }
      if (c.method === 'GET' && c.url === '/api/combos') return []
      if (c.method === 'GET' && c.url === '/api/models') return models
      if (c.method === 'POST' && c.url === '/api/combos') return undefined
      return errorResponse(404, `no route ${c.method} ${c.url}`)
    })
    await renderPage()
    await user.click(await screen.findByRole('button', { name: 'Suggest one' }))
    await waitFor(() => expect(rowModels()).toEqual(['cc/claude-opus-4-5', 'openai/gpt-5']))
    expect((screen.getByLabelText(/^Name/) as HTMLInputElement).value).toBe('coding')
  })

  it('says what to do when there is nothing to suggest', async () => {
    const user = userEvent.setup()
    stubBackend((c: RecordedCall) => {
      if (c.method === 'GET' && c.url === '/api/combos/suggested') return { name: 'coding', strategy: 'priority', sticky: 0, budgetMs: 0, targets: [] }
      if (c.method === 'GET' && c.url === '/api/combos') return []
      if (c.method === 'GET' && c.url === '/api/models') return []
      return errorResponse(404, `no route ${c.method} ${c.url}`)
    })
    await renderPage()
    await user.click(await screen.findByRole('button', { name: 'Suggest one' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/connect a subscription or add a provider/)
    expect(screen.queryAllByTestId('target-row')).toHaveLength(0)
  })
})
