import { expect, test, type APIRequestContext, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { ACCESS_PREFIX, IDP_EMAIL, type IdpRecord } from '../fake-idp'
import { ANTHROPIC_OAUTH_BETA, FAKE_REPLY, type SeenRequest } from '../fake-upstream'
import { serverInfo, SIGNIN_PROVIDER } from '../server'
import { signedInContext } from '../session'

// Signing in with a Claude Pro/Max plan, end to end. Global setup points the
// `claude` catalog entry at a scripted identity server (fake-idp.ts: Anthropic's
// OAuth wire format, PKCE S256 checked) and at the scripted upstream (which
// answers /v1/messages the way Anthropic treats an OAuth access token).
//
// Connect in the dashboard → the identity server's page opens in a new tab →
// Approve → Switchboard's loopback callback exchanges the code → the account is
// listed with its email → a gateway request reaches the upstream with the
// access token the identity server issued. Then "Refresh now" rotates the
// tokens, and a sign-in without a browser on this machine finishes with the
// pasted code#state.

const MODEL = `${SIGNIN_PROVIDER.prefix}/${SIGNIN_PROVIDER.model}`
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

test.describe.serial('subscription sign-in (Claude)', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let idpURL: string
  let upstreamOrigin: string
  let gatewayKey: string
  /** the access token the identity server issued last */
  let accessToken = ''

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    if (info.signInUnsupported) {
      throw new Error(
        `the binary (${info.bin}) refused the config's sign_in key, so it predates sign-in accounts: ${info.signInUnsupported}`,
      )
    }
    expect(info.idpURL, 'global setup records the fake identity server').toBeTruthy()
    expect(info.upstreamURL, 'global setup records the fake upstream').toBeTruthy()
    base = info.baseURL
    idpURL = info.idpURL!
    upstreamOrigin = new URL(info.upstreamURL!).origin
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const card = () => page.locator(`[data-testid="signin-provider"][data-provider-id="${SIGNIN_PROVIDER.id}"]`)
  const rowsOf = (email: string) => card().locator('[data-testid="signin-account"]').filter({ hasText: email })
  const idp = async (): Promise<IdpRecord> => (await context.request.get(`${idpURL}/__idp`)).json()
  const messagesSeen = async (): Promise<SeenRequest[]> =>
    ((await (await context.request.get(`${upstreamOrigin}/__requests`)).json()) as SeenRequest[]).filter(
      (r) => r.path === '/v1/messages',
    )

  /** POST /v1/messages through the gateway; answers the upstream's view of it */
  async function ask(request: APIRequestContext): Promise<SeenRequest> {
    const before = (await messagesSeen()).length
    const res = await request.post(`${base}/v1/messages`, {
      headers: { Authorization: `Bearer ${gatewayKey}`, 'anthropic-version': '2023-06-01', 'X-Switchboard-No-Cache': 'true' },
      data: { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] },
    })
    const body = await res.text()
    expect(res.status(), body).toBe(200)
    expect(JSON.parse(body).content[0].text).toBe(FAKE_REPLY)
    const seen = await messagesSeen()
    expect(seen.length, 'the scripted upstream answered it').toBeGreaterThan(before)
    return seen.at(-1)!
  }

  test('Claude is offered under Subscriptions, with its risk note where one connects', async () => {
    await page.goto(`${base}/#/providers`)
    const subs = page.getByRole('region', { name: 'Subscriptions' })
    await expect(subs).toBeVisible()
    await expect(card()).toBeVisible()
    await expect(card().getByTestId('risk-note')).toContainText(/terms/i)
    await expect(card().getByRole('button', { name: /^Connect Claude/ })).toBeEnabled()
    await expect(card().getByLabel('Account name')).toHaveValue('') // empty: the account is named after the email
    await expect(page.getByRole('region', { name: 'Refresh log' })).toBeVisible()
  })

  test('Connect → Approve at the identity server → the account is listed with its email', async () => {
    await page.goto(`${base}/#/providers`)
    const opened = context.waitForEvent('page')
    await card().getByRole('button', { name: /^Connect Claude/ }).click()

    // the headless dashboard opens the sign-in page itself, in a new tab
    const idpPage = await opened
    await idpPage.waitForLoadState('domcontentloaded')
    expect(idpPage.url()).toMatch(new RegExp(`^${escape(idpURL)}/oauth/authorize\\?`))
    const flow = card().getByTestId('signin-flow')
    await expect(flow).toHaveAttribute('data-status', 'pending')
    await expect(flow.getByTestId('flow-status')).toContainText('Waiting for you to approve')
    const link = await flow.getByRole('link', { name: /Open the sign-in page/ }).getAttribute('href')
    expect(new URL(link!).searchParams.get('state')).toBe(new URL(idpPage.url()).searchParams.get('state'))

    // the authorization request Claude Code makes: PKCE S256, state, the inference scope, a loopback /callback
    const auth = (await idp()).authorizations.at(-1)!
    expect(auth.problem, JSON.stringify(auth.query)).toBe('')
    expect(auth.query).toMatchObject({ response_type: 'code', code_challenge_method: 'S256' })
    expect(auth.query.client_id).toBeTruthy()
    expect(auth.query.state).toBeTruthy()
    expect(auth.query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(auth.query.redirect_uri).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/callback$/)
    expect(auth.query.scope.split(' ')).toContain('user:inference')

    // Approve: the identity server redirects to Switchboard's loopback listener, which exchanges the code
    await idpPage.getByRole('button', { name: 'Approve' }).click()
    await expect(idpPage).toHaveURL(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/callback\?/)
    await expect(idpPage.getByRole('heading', { level: 1 })).toHaveText(/signed in/i)
    await idpPage.close()

    const rec = await idp()
    const exchange = rec.tokenCalls.filter((c) => c.grantType === 'authorization_code').at(-1)!
    expect(exchange, JSON.stringify(rec.tokenCalls)).toMatchObject({ status: 200, contentType: 'application/json', error: '' })
    expect(exchange.clientId).toBe(auth.query.client_id)
    const issued = rec.issued.at(-1)!
    expect(issued.grant).toBe('authorization_code')
    accessToken = issued.access_token
    expect(accessToken.startsWith(ACCESS_PREFIX)).toBe(true)

    // back on the dashboard (it polls the flow every second)
    await expect(flow).toHaveAttribute('data-status', 'done')
    await expect(flow.getByTestId('flow-status')).toContainText(`Signed in as ${IDP_EMAIL}`)
    const row = rowsOf(IDP_EMAIL).first()
    await expect(row).toBeVisible()
    await expect(row).toHaveAttribute('data-token-state', 'valid')
    await expect(row.getByTestId('signin-email')).toHaveText(IDP_EMAIL)
    await expect(row.getByTestId('token-expires')).toContainText(/expires in (7h 5\dm|8h 00m)/)
    await expect(page.locator('[data-testid="refresh-log-row"][data-provider="claude"][data-outcome="signed_in"]').first()).toBeVisible()
    // the token never reaches the page
    await expect(page.getByText(accessToken)).toHaveCount(0)
  })

  test(`a request for ${MODEL} reaches the upstream with the access token the identity server issued`, async ({ request }) => {
    expect(accessToken, 'the sign-in above worked').toBeTruthy()
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-signin' } })
    expect(created.status(), await created.text()).toBe(201)
    gatewayKey = ((await created.json()) as { secret: string }).secret

    const seen = await ask(request)
    expect(seen.authorization).toBe(`Bearer ${accessToken}`)
    expect(seen.model).toBe(SIGNIN_PROVIDER.model)
    expect(seen.anthropic?.beta.split(',').map((b) => b.trim())).toContain(ANTHROPIC_OAUTH_BETA)
    expect(seen.anthropic?.xApiKey, 'an OAuth token goes as Bearer only').toBe('')
  })

  test('"Refresh now" rotates the tokens, and the next request uses the new access token', async ({ request }) => {
    expect(gatewayKey, 'the request above worked').toBeTruthy()
    const before = await idp()
    const row = rowsOf(IDP_EMAIL).first()
    await row.getByRole('button', { name: /^Refresh now for / }).click()

    await expect
      .poll(async () => (await idp()).issued.length, { message: 'the identity server issues a new pair' })
      .toBe(before.issued.length + 1)
    const rec = await idp()
    const refresh = rec.tokenCalls.filter((c) => c.grantType === 'refresh_token').at(-1)!
    expect(refresh, JSON.stringify(rec.tokenCalls)).toMatchObject({ status: 200, contentType: 'application/json', error: '' })
    const issued = rec.issued.at(-1)!
    expect(issued.grant).toBe('refresh_token')
    expect(issued.access_token).not.toBe(accessToken)
    accessToken = issued.access_token

    await expect(page.locator('[data-testid="refresh-log-row"][data-provider="claude"][data-outcome="refreshed"]').first()).toBeVisible()
    await expect(row).toHaveAttribute('data-token-state', 'valid')
    await expect(row.getByRole('alert')).toHaveCount(0)

    const seen = await ask(request)
    expect(seen.authorization).toBe(`Bearer ${accessToken}`)
  })

  test('without a browser here: open the link elsewhere, approve, paste code#state', async () => {
    await page.goto(`${base}/#/providers`)
    const c: Locator = card()
    await c.getByLabel('Account name').fill('manual')
    await c.getByLabel('No browser on this machine').check()
    const pagesBefore = context.pages().length
    await c.getByRole('button', { name: /^Connect Claude/ }).click()

    const flow = c.getByTestId('signin-flow')
    await expect(flow).toHaveAttribute('data-status', 'pending')
    const manualUrl = (await flow.getByTestId('manual-url').getAttribute('href'))!
    expect(manualUrl).toMatch(new RegExp(`^${escape(idpURL)}/oauth/authorize\\?`))
    expect(new URL(manualUrl).searchParams.get('redirect_uri')).toBe(`${idpURL}/oauth/code/callback`)
    expect(context.pages().length, 'nothing opens on this machine').toBe(pagesBefore)

    // "another machine": approve there; the vendor's page shows code#state
    const elsewhere = await context.newPage()
    await elsewhere.goto(manualUrl)
    await elsewhere.getByRole('button', { name: 'Approve' }).click()
    const code = (await elsewhere.locator('#auth-code').textContent())!.trim()
    expect(code).toMatch(/^[\w-]+#[\w-]+$/)
    await elsewhere.close()

    await flow.getByLabel('Code or redirect URL').fill(code)
    await flow.getByRole('button', { name: 'Finish sign-in' }).click()
    await expect(flow).toHaveAttribute('data-status', 'done')
    await expect(flow.getByTestId('flow-status')).toContainText(`Signed in as ${IDP_EMAIL}`)

    const rec = await idp()
    const exchange = rec.tokenCalls.filter((t) => t.grantType === 'authorization_code').at(-1)!
    expect(exchange, JSON.stringify(rec.tokenCalls)).toMatchObject({ status: 200, error: '' })
    await expect(rowsOf(IDP_EMAIL).first()).toBeVisible()
  })
})
