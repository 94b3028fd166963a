// The setup steps in other languages: counted words take the language's
// plural forms, and sentences with a link or code inside keep the elements
// where that language's word order puts them, with no stray spaces.
import { screen } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { cleanup, render } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SetupReport, SetupTest } from '../../api/onboarding'
import { applyLanguage } from '../../i18n'
import { errorResponse, stubBackend } from '../../../test/fakes'
import DetectStep from './DetectStep.svelte'
import TestStep from './TestStep.svelte'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  applyLanguage('en')
})

const flat = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim()

const report: SetupReport = {
  tools: [{ id: 'claude-code', name: 'Claude Code', binaryPath: '/h/bin/claude', state: 'untouched', managed: false }],
  signIns: [],
  keys: [
    { var: 'OPENAI_API_KEY', provider: 'openai', hint: 'sk-…1234' },
    { var: 'GROQ_API_KEY', provider: 'groq', hint: 'gsk_…9999' },
  ],
  local: [{ id: 'ollama', name: 'Ollama', url: 'http://127.0.0.1:11434', reachable: true, models: ['llama3.2:latest'] }],
  peers: [],
}

describe('DetectStep summary', () => {
  it('counts in English as before', () => {
    render(DetectStep, { report, busy: false, onrescan: () => {} })
    const summary = flat(document.querySelector('.summary'))
    expect(summary).toBe('Found 1 tool, 0 sign-ins, 2 keys and 1 local server. Look again')
    expect(flat(screen.getByTestId('found-local'))).toBe('Ollama running at http://127.0.0.1:11434 (1 model)')
  })

  it('takes the Finnish singular and partitive forms', () => {
    applyLanguage('fi')
    render(DetectStep, { report, busy: false, onrescan: () => {} })
    expect(flat(document.querySelector('.summary'))).toBe(
      'Löytyi 1 työkalu, 0 kirjautumista, 2 avainta ja 1 paikallinen palvelin. Tutki uudelleen',
    )
    expect(screen.getByTestId('found-local').querySelector('code')?.textContent).toBe('http://127.0.0.1:11434')
  })
})

describe('TestStep answer', () => {
  const answer: SetupTest = {
    ok: true, status: 200, model: 'coding', route: 'claude/claude-sonnet-4-5', answer: 'I hear you.', latencyMs: 420,
    inputTokens: 1200, outputTokens: 5, keyName: 'setup-test', prompt: 'Reply…',
  }

  async function send() {
    stubBackend((c) => (c.url === '/api/onboarding/test' ? answer : errorResponse(404, 'no route')))
    render(TestStep, { combo: 'coding', onfinish: () => {} })
    await userEvent.setup().click(screen.getByTestId('send-test'))
    return screen.findByTestId('test-answer')
  }

  it('says where the usage shows, the links and the key inside the sentence (English)', async () => {
    const section = await send()
    expect(flat(section.querySelector('.where'))).toBe(
      'Its usage is in the request log (key setup-test), in Analytics and in today’s totals on the Overview.',
    )
    expect([...section.querySelectorAll('dd')].map(flat)).toEqual(['claude/claude-sonnet-4-5', '420 ms', '1,200 in · 5 out'])
  })

  it('keeps Chinese word order and punctuation, with no spaces around the elements', async () => {
    applyLanguage('zh-CN')
    const section = await send()
    const where = section.querySelector('.where')!
    expect(where.textContent?.trim()).toBe('其用量可在请求日志（密钥 setup-test）、分析以及概览的今日合计中查看。')
    expect(where.querySelector('[data-testid="link-logs"]')?.textContent).toBe('请求日志')
    expect(where.querySelector('code')?.textContent).toBe('setup-test')
    expect(where.querySelector('[data-testid="link-analytics"]')?.getAttribute('href')).toBe('#/analytics')
  })
})
