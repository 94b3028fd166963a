import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { FAKE_REPLY } from '../fake-upstream'
import { CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// The translator playground against the real binary: every example dialect is
// translated by the real codecs into the other three (all twelve ordered
// pairs), an invalid body is explained in place, and a send goes through the
// gateway to the scripted upstream, whose raw frames and the client's are
// replayed step by step. Checked at 1280 and 800 px.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const DIALECTS = ['openai', 'responses', 'anthropic', 'gemini'] as const
/** a field only that dialect's request body has */
const MARK: Record<(typeof DIALECTS)[number], string> = {
  openai: '"messages"',
  responses: '"input"',
  anthropic: '"max_tokens"',
  gemini: '"contents"',
}
const MODEL = `${CONFIG_PROVIDER.prefix}/m1`

test.describe.serial('playground', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let upstreamOrigin: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    upstreamOrigin = new URL(info.upstreamURL!).origin
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const targets = (): Locator => page.getByTestId('pg-target')

  /** the ids of the examples of dialect d, as the picker lists them */
  async function examplesOf(d: string): Promise<string[]> {
    return page
      .getByTestId('pg-example')
      .locator('option')
      .evaluateAll((opts, d) => opts.map((o) => (o as HTMLOptionElement).value).filter((v) => v.startsWith(`${d}.`)), d)
  }

  test('every example translates into the three other dialects: all twelve pairs render', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.goto(`${base}/#/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).click()
    await expect(page).toHaveURL(/#\/playground$/)
    await expect(page.getByRole('heading', { name: 'Playground', level: 1 })).toBeVisible()

    const pairs = new Set<string>()
    for (const from of DIALECTS) {
      const ids = await examplesOf(from)
      expect(ids.length, `examples of ${from}`).toBeGreaterThanOrEqual(2)
      for (const id of ids) {
        await page.getByTestId('pg-example').selectOption(id)
        await expect(page.getByTestId('pg-targets')).toHaveAttribute('data-from', from)
        const others = DIALECTS.filter((d) => d !== from)
        await expect(targets()).toHaveCount(3)
        for (const to of others) {
          const panel = page.locator(`[data-testid="pg-target"][data-dialect="${to}"]`)
          await expect(panel, `${id} → ${to}`).toHaveAttribute('data-state', 'ok')
          await expect(panel.getByTestId('pg-target-body')).toContainText(MARK[to])
          pairs.add(`${from}>${to}`)
        }
        await expect(page.getByTestId('pg-decode-error')).toHaveCount(0)
      }
    }
    expect([...pairs].sort()).toHaveLength(12)

    // the hub form is there to read
    await page.getByText('Hub form (what every dialect decodes into)').click()
    await expect(page.getByTestId('pg-ir')).toContainText('"messages"')
    await page.screenshot({ path: '../build/playground-1280.png' })
  })

  test('an invalid body is explained in place; a translation can become the source', async () => {
    await page.getByTestId('pg-example').selectOption('openai.sdk')
    await expect(page.getByTestId('pg-targets')).toHaveAttribute('data-from', 'openai')
    await page.getByTestId('pg-body').fill('{"model": "x", "messages": [')
    await expect(page.getByTestId('pg-decode-error')).toContainText('OpenAI Chat codec refused this body')
    await expect(targets()).toHaveCount(0)

    await page.getByTestId('pg-example').selectOption('openai.sdk')
    const anthropic = page.locator('[data-testid="pg-target"][data-dialect="anthropic"]')
    await anthropic.getByRole('button', { name: 'Use as source' }).click()
    await expect(page.getByRole('radio', { name: 'Anthropic Messages' })).toBeChecked()
    await expect(page.getByTestId('pg-targets')).toHaveAttribute('data-from', 'anthropic')
    await expect(page.getByTestId('pg-body')).toHaveValue(/"max_tokens"/)
  })

  test('a streamed send reaches the scripted upstream; the replay steps through both sides', async () => {
    await page.getByTestId('pg-example').selectOption('anthropic.claude-code')
    await expect(page.getByTestId('pg-targets')).toHaveAttribute('data-from', 'anthropic')
    await page.getByTestId('pg-model').selectOption(MODEL)
    await expect(page.getByTestId('pg-stream')).toBeChecked()
    await page.getByTestId('pg-send').click()
    const result = page.getByTestId('pg-result')
    await expect(result).toBeVisible()
    await expect(page.getByTestId('pg-route')).toContainText(CONFIG_PROVIDER.id)
    await expect(page.getByTestId('pg-attempt')).toHaveCount(1)
    await expect(page.getByTestId('pg-attempt')).toContainText('/v1/chat/completions')

    const seen = (await (await context.request.get(`${upstreamOrigin}/__requests`)).json()) as { path: string; model?: string; stream?: boolean }[]
    expect(seen.at(-1)).toMatchObject({ path: '/v1/chat/completions', model: 'm1', stream: true })

    const up = page.locator('[data-testid="pg-track"][data-track="upstream"]')
    const client = page.locator('[data-testid="pg-track"][data-track="client"]')
    const position = page.getByTestId('pg-position')
    await expect(position).toContainText(/frame 0 of \d+/)
    const total = Number(/of (\d+)/.exec((await position.textContent()) ?? '')?.[1])
    expect(total).toBeGreaterThanOrEqual(6) // 3 upstream frames, the Anthropic events

    // step one frame at a time: each step reveals exactly one more
    for (let i = 1; i <= total; i++) {
      await page.getByTestId('pg-step').click()
      await expect(position).toContainText(`frame ${i} of ${total}`)
      const shown = (await up.getByTestId('pg-frame').count()) + (await client.getByTestId('pg-frame').count())
      expect(shown).toBe(i)
    }
    await expect(page.getByTestId('pg-step')).toBeDisabled()
    await expect(up.getByTestId('pg-frame')).toHaveCount(3)
    await expect(up.getByTestId('pg-frame').first()).toContainText(FAKE_REPLY)
    await expect(up.getByTestId('pg-frame').last()).toHaveAttribute('data-event', '[DONE]')
    await expect(client.getByTestId('pg-frame').first()).toHaveAttribute('data-event', 'message_start')
    await expect(client.getByTestId('pg-frame').last()).toHaveAttribute('data-event', 'message_stop')
    await expect(client).toContainText(FAKE_REPLY)

    // play from the start runs to the end by itself
    await page.getByRole('button', { name: 'Restart' }).click()
    await expect(position).toContainText(`frame 0 of ${total}`)
    await page.getByTestId('pg-play').click()
    await expect(position).toContainText(`frame ${total} of ${total}`)
  })

  test('a send without streaming: one JSON frame on each side', async () => {
    await page.getByTestId('pg-example').selectOption('gemini.sdk')
    await page.getByTestId('pg-model').selectOption(MODEL)
    await page.getByTestId('pg-stream').uncheck()
    await page.getByTestId('pg-send').click()
    const client = page.locator('[data-testid="pg-track"][data-track="client"]')
    await expect(page.getByTestId('pg-result')).toContainText('/v1beta/models/')
    await page.getByRole('button', { name: 'Show all' }).click()
    await expect(client.getByTestId('pg-frame')).toHaveCount(1)
    await expect(client.getByTestId('pg-frame')).toContainText('"candidates"')
    await expect(client.getByTestId('pg-frame')).toContainText(FAKE_REPLY)
    await expect(page.locator('[data-testid="pg-track"][data-track="upstream"]').getByTestId('pg-frame')).toContainText('chat.completion')
  })

  test('at 800 px nothing is cut off', async () => {
    await page.setViewportSize({ width: 800, height: 900 })
    await page.getByTestId('pg-example').selectOption('responses.codex')
    await expect(page.getByTestId('pg-targets')).toHaveAttribute('data-from', 'responses')
    await page.getByTestId('pg-send').click()
    await expect(page.getByTestId('pg-result')).toBeVisible()
    await page.getByRole('button', { name: 'Show all' }).click()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0)
    for (const el of [page.getByTestId('pg-send'), page.getByTestId('pg-step'), ...(await targets().all())]) {
      const box = await el.boundingBox()
      expect(box, 'visible').toBeTruthy()
      expect(box!.x + box!.width).toBeLessThanOrEqual(800)
    }
    await page.screenshot({ path: '../build/playground-800.png' })
    await page.getByTestId('pg-replay').scrollIntoViewIfNeeded()
    await page.screenshot({ path: '../build/playground-800-replay.png' })
  })
})
