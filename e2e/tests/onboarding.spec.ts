import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { FAKE_REPLY, startFakeUpstream, type FakeUpstream } from '../fake-upstream'
import { launch } from '../global-setup'
import { claudeSettingsPath, E2E_DIR, RUN_DIR, TOOL_ENV_VARS } from '../server'

// The first-run setup on a fresh data dir, with a server of its own: its
// HOME holds Claude Code and the Codex CLI (fixture binaries, the only
// things on its PATH) and Claude Code's sign-in; its environment holds an
// OpenAI key; OLLAMA_HOST points at a scripted Ollama. The config file only
// points Claude's and OpenAI's catalog entries at the scripted upstream (no
// accounts). The walk goes through every step and ends in a test request
// routed through the combo it created, answered by the scripted upstream.
// Each step is saved as a screenshot at 1280 and 800 px under
// build/screenshots/onboarding/.

const SHOTS = path.resolve(E2E_DIR, '..', 'build', 'screenshots', 'onboarding')
const OPENAI_KEY = 'sk-proj-e2eOnboardingSecretValue7731'
const CLAUDE_TOKEN = 'sk-ant-oat01-e2e-onboarding-imported'

interface Rig {
  pid: number
  baseURL: string
  loginURL: string
  home: string
  dataDir: string
  upstream: FakeUpstream
  ollama: http.Server
}

/** Ollama's model list (/api/tags) and its OpenAI-compatible one. */
async function startFakeOllama(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json')
    if (req.url === '/api/tags') return res.end(JSON.stringify({ models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest' }] }))
    if (req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'llama3.2:latest', object: 'model' }] }))
    res.statusCode = 404
    res.end('{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

function writeFile(p: string, text: string, mode = 0o600) {
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.writeFileSync(p, text, { mode })
}

async function startRig(): Promise<Rig> {
  const bin = path.resolve(E2E_DIR, process.env.SWITCHBOARD_BIN || '../build/bin/switchboard')
  const upstream = await startFakeUpstream()
  const ollama = await startFakeOllama()
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-onboard-home-'))
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-onboard-data-'))
  const pathDir = path.join(home, 'bin')
  for (const name of ['claude', 'codex']) writeFile(path.join(pathDir, name), '#!/bin/sh\necho "fixture $0"\n', 0o755)
  writeFile(
    path.join(home, '.claude', '.credentials.json'),
    JSON.stringify({
      claudeAiOauth: {
        accessToken: CLAUDE_TOKEN,
        refreshToken: 'sk-ant-ort01-e2e-onboarding',
        expiresAt: Date.now() + 24 * 3600_000, // beyond the refresh lead: no refresh against the real vendor
        scopes: ['user:inference'],
        subscriptionType: 'max',
      },
    }),
  )
  writeFile(path.join(home, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: 'dev@example.com' } }))
  const configFile = path.join(dataDir, 'onboarding-config.yaml')
  writeFile(
    configFile,
    [
      'providers:',
      '  - id: claude',
      `    base_url: ${upstream.rootURL}`,
      '    allow_local: true',
      '  - id: openai',
      `    base_url: ${upstream.baseURL}`,
      '    allow_local: true',
      '',
    ].join('\n'),
  )
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const k of TOOL_ENV_VARS) delete env[k]
  for (const k of Object.keys(env)) if (/_API_KEY$/.test(k)) delete env[k]
  Object.assign(env, {
    HOME: home,
    PATH: pathDir,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    OPENAI_API_KEY: OPENAI_KEY,
    OLLAMA_HOST: `127.0.0.1:${(ollama.address() as AddressInfo).port}`,
  })
  fs.mkdirSync(RUN_DIR, { recursive: true })
  const log = fs.createWriteStream(path.join(RUN_DIR, 'onboarding-server.log'))
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', configFile, '--log-format', 'text']
  const l = await launch(bin, args, env, log)
  return { pid: l.pid, baseURL: l.baseURL, loginURL: l.loginURL, home, dataDir, upstream, ollama }
}

async function stopRig(r: Rig) {
  try {
    process.kill(r.pid, 'SIGTERM')
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(r.pid, 0)
    } catch {
      break
    }
    await new Promise((res) => setTimeout(res, 100))
  }
  await r.upstream.close()
  await new Promise((res) => r.ollama.close(res))
  if (!process.env.SWITCHBOARD_KEEP_DATA) {
    fs.rmSync(r.home, { recursive: true, force: true })
    fs.rmSync(r.dataDir, { recursive: true, force: true })
  }
}

let shot = 0
/** Save the page at 1280 and 800 px wide (the whole page), then go back to 1280. */
async function screenshots(page: Page, name: string) {
  shot++
  fs.mkdirSync(SHOTS, { recursive: true })
  for (const width of [1280, 800]) {
    await page.setViewportSize({ width, height: 900 })
    await page.waitForTimeout(100) // the layout settles
    await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}-${width}.png`), fullPage: true })
  }
  await page.setViewportSize({ width: 1280, height: 900 })
}

async function signIn(browser: Browser, r: Rig): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  await page.goto(r.loginURL)
  return { context, page }
}

test.describe.configure({ mode: 'serial' })

test('first run: detect, import, keys, combo, tools, a routed test request', async ({ browser }) => {
  test.setTimeout(120_000)
  const r = await startRig()
  try {
    const { context, page } = await signIn(browser, r)
    const errors: string[] = []
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))

    // a fresh install lands on the setup, not an empty Overview
    await expect(page).toHaveURL(/#\/setup$/)
    const step = page.getByTestId('setup-step')
    await expect(step).toHaveAttribute('data-step', 'detect')
    await expect(page.locator('[data-testid="found-tool"][data-id="claude-code"]')).toContainText(path.join(r.home, 'bin', 'claude'))
    await expect(page.locator('[data-testid="found-tool"][data-id="codex"]')).toBeVisible()
    await expect(page.getByTestId('found-tool')).toHaveCount(2)
    await expect(page.locator('[data-testid="found-signin"][data-id="claude"]')).toContainText('.credentials.json')
    await expect(page.locator('[data-testid="found-key"][data-id="OPENAI_API_KEY"]')).toContainText('sk-…7731')
    await expect(page.locator('[data-testid="found-local"][data-id="ollama"]')).toHaveAttribute('data-reachable', 'true')
    await expect(page.locator('[data-testid="found-local"][data-id="lmstudio"]')).toHaveAttribute('data-reachable', 'false')
    // the key's value never reaches the browser
    const detect = await page.request.get(`${r.baseURL}/api/onboarding/detect`)
    expect(await detect.text()).not.toContain(OPENAI_KEY)
    expect(await page.content()).not.toContain(OPENAI_KEY)
    await screenshots(page, 'detect')

    // subscriptions: import Claude Code's sign-in
    await page.getByTestId('setup-next').click()
    await expect(step).toHaveAttribute('data-step', 'subscriptions')
    const claude = page.locator('[data-testid="signin-row"][data-id="claude"]')
    await expect(page.getByTestId('will-write')).toContainText('Claude')
    await expect(page.getByTestId('will-write')).toContainText('only read')
    await screenshots(page, 'subscriptions')
    await claude.getByTestId('import-signin').click()
    await expect(claude.getByTestId('signin-connected')).toBeVisible()
    await expect(page.getByTestId('step-subscriptions')).toContainText('✓')

    // keys: the OpenAI key from the environment, and the running Ollama
    await page.getByTestId('setup-next').click()
    await expect(step).toHaveAttribute('data-step', 'keys')
    await expect(page.getByTestId('will-write')).toContainText('account named OPENAI_API_KEY')
    await expect(page.getByTestId('will-write')).toContainText('provider Ollama at http://127.0.0.1:')
    await screenshots(page, 'keys')
    const openai = page.locator('[data-testid="env-key-row"][data-id="OPENAI_API_KEY"]')
    await openai.getByTestId('add-env-key').click()
    await expect(openai.getByTestId('env-key-added')).toBeVisible()
    const ollama = page.locator('[data-testid="local-row"][data-id="ollama"]')
    await ollama.getByTestId('add-local').click()
    await expect(ollama.getByTestId('local-added')).toBeVisible()
    await expect(page.getByTestId('will-write')).toHaveCount(0) // nothing left to write
    await screenshots(page, 'keys-added')

    // combo: subscription → API key → local
    await page.getByTestId('setup-next').click()
    await expect(step).toHaveAttribute('data-step', 'combo')
    const targets = page.getByTestId('combo-target')
    await expect(targets).toHaveCount(3)
    await expect(targets.nth(0)).toContainText('cc/')
    await expect(targets.nth(1)).toContainText('openai/')
    await expect(targets.nth(2)).toContainText('ollama/llama3.2:latest')
    await expect(page.getByTestId('will-write')).toContainText('one combo named coding with 3 targets')
    await screenshots(page, 'combo')
    await page.getByTestId('create-combo').click()
    await expect(page.getByTestId('combo-ready')).toContainText('coding')

    // tools: preview Claude Code's change, then apply it
    await page.getByTestId('setup-next').click()
    await expect(step).toHaveAttribute('data-step', 'tools')
    await expect(page.getByTestId('setup-tool')).toHaveCount(2)
    const tool = page.locator('[data-testid="setup-tool"][data-id="claude-code"]')
    await tool.getByTestId('preview-tool').click()
    await expect(tool.getByTestId('tool-diff').first()).toContainText('ANTHROPIC_BASE_URL')
    await expect(tool.getByTestId('will-write')).toContainText(claudeSettingsPath(r.home))
    await expect(tool.getByTestId('will-write')).toContainText('local API key named claude-code')
    expect(fs.existsSync(claudeSettingsPath(r.home))).toBe(false) // a preview writes nothing
    await screenshots(page, 'tools-preview')
    await tool.getByTestId('apply-tool').click()
    await expect(tool.getByTestId('tool-applied')).toContainText('created')
    const settings = fs.readFileSync(claudeSettingsPath(r.home), 'utf8')
    expect(settings).toContain(r.baseURL)
    expect(settings).toContain('coding')
    await screenshots(page, 'tools-applied')

    // test request: through the gateway, the combo's first target answers
    await page.getByTestId('setup-next').click()
    await expect(step).toHaveAttribute('data-step', 'test')
    await expect(page.getByTestId('test-model')).toHaveValue('coding')
    await expect(page.getByTestId('finish-setup')).toBeDisabled()
    await page.getByTestId('send-test').click()
    await expect(page.getByTestId('test-answer-text')).toHaveText(FAKE_REPLY)
    await expect(page.getByTestId('test-route')).toContainText('claude/')
    await expect(page.getByTestId('link-logs')).toHaveAttribute('href', '#/logs')
    const seen = r.upstream.seen.filter((s) => s.path === '/v1/messages')
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${CLAUDE_TOKEN}`)
    await screenshots(page, 'test')

    // the request is in the log under the test key
    await page.getByTestId('link-logs').click()
    await expect(page.getByTestId('log-row')).toHaveCount(1)
    await expect(page.getByTestId('log-row').first()).toContainText('setup-test')
    await expect(page.getByTestId('log-status').first()).toHaveText('200')
    await page.goBack()
    await expect(step).toHaveAttribute('data-step', 'test')

    // finish: the Overview shows today's usage instead of the checklist
    await page.getByTestId('send-test').click()
    await expect(page.getByTestId('test-answer-text')).toHaveText(FAKE_REPLY)
    await page.getByTestId('finish-setup').click()
    await expect(page).toHaveURL(/#\/$/)
    await expect(page.getByTestId('today-card')).toBeVisible()
    await expect(page.getByTestId('setup-checklist')).toHaveCount(0)
    await expect(page.getByTestId('today-requests')).toHaveText('2')
    await screenshots(page, 'overview-done')
    expect((await (await page.request.get(`${r.baseURL}/api/onboarding`)).json()).status).toBe('complete')
    expect(errors).toEqual([])
    await context.close()
  } finally {
    await stopRig(r)
  }
})

test('skipped: the Overview keeps a way back; the checklist reads what is configured', async ({ browser }) => {
  const r = await startRig()
  try {
    const { context, page } = await signIn(browser, r)
    await expect(page).toHaveURL(/#\/setup$/)
    await page.getByTestId('skip-setup').click()
    await expect(page).toHaveURL(/#\/$/)
    await expect(page.getByTestId('setup-skipped')).toBeVisible()
    await expect(page.getByTestId('today-card')).toBeVisible()
    await screenshots(page, 'overview-skipped')
    // a reload does not bring the setup back by itself
    await page.reload()
    await expect(page.getByTestId('setup-skipped')).toBeVisible()
    await expect(page).toHaveURL(/#\/$/)
    // reopen it, step back to pending: the checklist shows what is left
    await page.getByTestId('open-setup').click()
    await expect(page.getByTestId('setup-step')).toHaveAttribute('data-step', 'detect')
    await page.request.put(`${r.baseURL}/api/onboarding`, { data: { status: '', step: 'keys' } })
    await page.goto(`${r.baseURL}/#/`)
    const items = page.getByTestId('checklist-item')
    await expect(items).toHaveCount(4)
    await expect(items.first()).toHaveAttribute('data-done', 'false')
    await expect(page.getByTestId('open-setup')).toHaveText('Continue setup')
    await screenshots(page, 'overview-checklist')
    await page.getByTestId('open-setup').click()
    await expect(page.getByTestId('setup-step')).toHaveAttribute('data-step', 'keys')
    await context.close()
  } finally {
    await stopRig(r)
  }
})
