import { fireEvent, screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Example, SendResult, Translation } from '../lib/api/playground'
import { delayBefore, revealed, timeline } from '../lib/components/playground/replay'
import { errorResponse, modelInfo, stubBackend, type RecordedCall } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Playground } = await import('./Playground.svelte')
  cleanup = tl.cleanup
  return tl.render(Playground)
}

beforeEach(() => vi.resetModules())
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const EXAMPLES: Example[] = [
  { id: 'openai.sdk', dialect: 'openai', client: 'OpenAI SDK', title: 'Plain', model: 'gpt-x', body: '{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}' },
  { id: 'anthropic.claude-code', dialect: 'anthropic', client: 'Claude Code', title: 'Agent turn', model: 'claude-x', body: '{"model":"claude-x","stream":true,"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' },
  { id: 'gemini.sdk', dialect: 'gemini', client: 'Gen AI SDK', title: 'Prompt', model: 'gemini-x', body: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}' },
]

const OTHERS = { openai: ['responses', 'anthropic', 'gemini'], anthropic: ['openai', 'responses', 'gemini'], gemini: ['openai', 'responses', 'anthropic'], responses: ['openai', 'anthropic', 'gemini'] } as const

/** what the server's codecs answer, faked: every other dialect, its body naming where it came from */
function translation(body: { dialect: keyof typeof OTHERS; body: string }): Translation {
  if (body.body.includes('BROKEN')) return { from: body.dialect, error: 'messages: expected an array', to: [] }
  return {
    from: body.dialect,
    ir: '{"model":"m"}',
    to: OTHERS[body.dialect].map((d) => ({ dialect: d, endpoint: `POST /${d}`, body: `{"translated_for":"${d}","from":"${body.dialect}"}` })),
  }
}

const RESULT: SendResult = {
  dialect: 'anthropic',
  endpoint: 'POST /v1/messages',
  route: 'up/m1',
  durationMs: 64,
  upstream: [
    {
      method: 'POST',
      url: 'http://127.0.0.1:9/v1/chat/completions',
      request: '{"model":"m1"}',
      answer: {
        status: 200,
        contentType: 'text/event-stream',
        bytes: 80,
        frames: [
          { atMs: 10, event: 'chat.completion.chunk', data: 'data: {"choices":[{"delta":{"content":"pong"}}]}' },
          { atMs: 30, event: '[DONE]', data: 'data: [DONE]' },
        ],
      },
    },
  ],
  client: {
    status: 200,
    contentType: 'text/event-stream',
    bytes: 120,
    frames: [
      { atMs: 11, event: 'message_start', data: 'event: message_start\ndata: {"type":"message_start"}' },
      { atMs: 12, event: 'content_block_delta', data: 'event: content_block_delta\ndata: {"type":"content_block_delta"}' },
      { atMs: 31, event: 'message_stop', data: 'event: message_stop\ndata: {"type":"message_stop"}' },
    ],
  },
}

function backend(extra: (c: RecordedCall) => unknown = () => undefined) {
  return stubBackend((c) => {
    const out = extra(c)
    if (out !== undefined) return out
    if (c.url.endsWith('/api/playground/examples')) return EXAMPLES
    if (c.url.endsWith('/api/playground/translate')) return translation(c.body as never)
    if (c.url.endsWith('/api/models')) return [modelInfo('emb/e1', { Embedding: true }), modelInfo('up/m1'), modelInfo('up/m2')]
    if (c.url.endsWith('/api/playground/send')) return RESULT
    return errorResponse(404, 'unexpected ' + c.url)
  })
}

const targets = () => screen.getAllByTestId('pg-target').map((t) => t.getAttribute('data-dialect'))

describe('Playground', () => {
  it('translates the picked example into the three other dialects, and each example of each dialect', async () => {
    const { calls } = backend()
    await renderPage()
    // starts on the first Anthropic example
    await waitFor(() => expect(targets()).toEqual(['openai', 'responses', 'gemini']))
    expect(calls.find((c) => c.url.endsWith('/translate'))?.body).toEqual({ dialect: 'anthropic', body: EXAMPLES[1].body, model: 'claude-x' })
    expect(screen.getAllByTestId('pg-target-body')[0].textContent).toContain('"from":"anthropic"')

    await userEvent.selectOptions(screen.getByTestId('pg-example'), 'gemini.sdk')
    await waitFor(() => expect(targets()).toEqual(['openai', 'responses', 'anthropic']))
    // Gemini's model travels in the URL: the page shows it and sends it
    expect((screen.getByTestId('pg-gemini-model') as HTMLInputElement).value).toBe('gemini-x')
    expect(calls.filter((c) => c.url.endsWith('/translate')).at(-1)?.body).toMatchObject({ dialect: 'gemini', model: 'gemini-x' })

    // a translation becomes the source
    const openaiPanel = screen.getAllByTestId('pg-target')[0]
    await userEvent.click(within(openaiPanel).getByRole('button', { name: 'Use as source' }))
    await waitFor(() => expect(targets()).toEqual(['responses', 'anthropic', 'gemini']))
    expect((screen.getByTestId('pg-body') as HTMLTextAreaElement).value).toBe('{"translated_for":"openai","from":"gemini"}')
    expect((screen.getByRole('radio', { name: 'OpenAI Chat' }) as HTMLInputElement).checked).toBe(true)
  })

  it('shows what the codec says about an invalid body in place, and recovers', async () => {
    backend()
    await renderPage()
    await waitFor(() => expect(targets()).toHaveLength(3))
    const box = screen.getByTestId('pg-body') as HTMLTextAreaElement
    fireEvent.input(box, { target: { value: '{"BROKEN": 1}' } })
    expect((await screen.findByTestId('pg-decode-error')).textContent).toContain('messages: expected an array')
    expect(screen.queryAllByTestId('pg-target')).toHaveLength(0)
    fireEvent.input(box, { target: { value: '{"model":"m","messages":[]}' } })
    await waitFor(() => expect(targets()).toHaveLength(3))
    expect(screen.queryByTestId('pg-decode-error')).toBeNull()
  })

  it('says why a translation could not be asked for (a 400 from the server)', async () => {
    backend((c) => (c.url.endsWith('/translate') ? errorResponse(400, 'the request body is larger than 256 KiB', 'invalid') : undefined))
    await renderPage()
    expect((await screen.findByTestId('pg-failure')).textContent).toContain('larger than 256 KiB')
  })

  it('sends to a picked model and replays both sides frame by frame', async () => {
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(targets()).toHaveLength(3))
    const picker = screen.getByTestId('pg-model') as HTMLSelectElement
    await waitFor(() => expect([...picker.options].map((o) => o.value)).toEqual(['up/m1', 'up/m2'])) // no embedding models
    await userEvent.selectOptions(picker, 'up/m2')
    // the example streams: the toggle starts on
    expect((screen.getByTestId('pg-stream') as HTMLInputElement).checked).toBe(true)
    await userEvent.click(screen.getByTestId('pg-send'))
    await screen.findByTestId('pg-result')
    expect(calls.find((c) => c.url.endsWith('/send'))?.body).toEqual({ dialect: 'anthropic', body: EXAMPLES[1].body, model: 'up/m2', stream: true })
    expect(screen.getByTestId('pg-route').textContent).toBe('up/m1')
    const frames = () => screen.queryAllByTestId('pg-frame').map((f) => f.getAttribute('data-event'))
    expect(frames()).toEqual([])
    expect(screen.getByTestId('pg-position').textContent).toContain('frame 0 of 5')
    const step = screen.getByTestId('pg-step')
    await userEvent.click(step)
    expect(frames()).toEqual(['chat.completion.chunk']) // the upstream's first frame came first
    await userEvent.click(step)
    await userEvent.click(step)
    const [up, client] = screen.getAllByTestId('pg-track')
    expect(within(up).getAllByTestId('pg-frame')).toHaveLength(1)
    expect(within(client).getAllByTestId('pg-frame').map((f) => f.getAttribute('data-event'))).toEqual(['message_start', 'content_block_delta'])
    expect(screen.getByTestId('pg-position').textContent).toMatch(/frame 3 of 5\s·\s\+12\.0 ms/)
    await userEvent.click(screen.getByRole('button', { name: 'Previous frame' }))
    expect(frames()).toHaveLength(2)

    // play runs to the end with the recorded timing
    await userEvent.click(screen.getByRole('button', { name: 'Restart' }))
    await userEvent.click(screen.getByTestId('pg-play'))
    await waitFor(() => expect(frames()).toHaveLength(5), { timeout: 2000 })
    expect(screen.getByTestId('pg-position').textContent).toContain('frame 5 of 5')
    expect(screen.getByTestId('pg-play').textContent).toContain('Play')
  })

  it('the replay speaks the active language: its controls, frame counts and times', async () => {
    backend()
    await renderPage()
    const { applyLanguage } = await import('../lib/i18n')
    try {
      applyLanguage('fi')
      await waitFor(() => expect(targets()).toHaveLength(3))
      expect(screen.getByRole('heading', { name: 'Käännökset' })).toBeTruthy()
      await waitFor(() => expect((screen.getByTestId('pg-send') as HTMLButtonElement).disabled).toBe(false))
      expect(screen.getByTestId('pg-send').textContent).toContain('Lähetä yhdyskäytävän kautta')
      await userEvent.click(screen.getByTestId('pg-send'))
      await screen.findByTestId('pg-result')
      expect(screen.getByTestId('pg-position').textContent).toContain('kehys 0/5')
      for (let i = 0; i < 3; i++) await userEvent.click(screen.getByRole('button', { name: 'Seuraava kehys' }))
      // the offset with the Finnish decimal comma
      expect(screen.getByTestId('pg-position').textContent).toMatch(/kehys 3\/5\s·\s\+12,0 ms/)
      const [up] = screen.getAllByTestId('pg-track')
      expect(up.querySelector('header')!.textContent).toMatch(/· (1 kehys|\d+ kehystä)/)
    } finally {
      applyLanguage('en')
    }
  })

  it('shows a send that the server refused', async () => {
    backend((c) => (c.url.endsWith('/send') ? errorResponse(503, 'the gateway is not running: nothing can be sent', 'not_running') : undefined))
    await renderPage()
    await waitFor(() => expect(targets()).toHaveLength(3))
    await waitFor(() => expect((screen.getByTestId('pg-send') as HTMLButtonElement).disabled).toBe(false))
    await userEvent.click(screen.getByTestId('pg-send'))
    expect((await screen.findByTestId('pg-send-error')).textContent).toContain('not running')
  })
})

describe('replay timeline', () => {
  const cap = (...at: number[]) => ({ status: 200, contentType: '', bytes: 0, frames: at.map((atMs) => ({ atMs, data: '' })) })
  it('orders frames of all tracks by time, the upstream first on a tie', () => {
    const steps = timeline([
      { id: 'u', label: 'u', capture: cap(5, 20) },
      { id: 'c', label: 'c', capture: cap(5, 6, 40) },
    ])
    expect(steps.map((s) => `${s.track}:${s.frame}`)).toEqual(['0:0', '1:0', '1:1', '0:1', '1:2'])
    expect(revealed(steps, 3, 1)).toBe(2)
    expect(revealed(steps, 3, 0)).toBe(1)
    expect(delayBefore(steps, 3)).toBe(14)
    expect(delayBefore(steps, 3, 2)).toBe(7)
    expect(delayBefore(timeline([{ id: 'u', label: 'u', capture: cap(0, 60_000) }]), 1)).toBe(2000)
  })
})
