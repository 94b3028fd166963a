// A scripted identity server for the e2e run that follows Anthropic's OAuth
// wire format as Claude Code uses it (authorization code + PKCE S256):
//
//   GET  /oauth/authorize      the consent page: an "Approve" (and a "Deny") button; it
//                              checks and records the query (client_id, redirect_uri,
//                              response_type=code, code_challenge, code_challenge_method=S256,
//                              state, scope)
//   POST /oauth/decide         Approve: 302 to redirect_uri?code=…&state=…
//                              Deny: 302 to redirect_uri?error=access_denied&state=…
//   GET  /oauth/code/callback  the "manual" page (Anthropic's console.anthropic.com/oauth/code/callback):
//                              shows `code#state` for the user to paste into the app
//   POST /v1/oauth/token       JSON bodies only (as Anthropic's endpoint):
//                              {grant_type:"authorization_code", code, state, client_id, redirect_uri, code_verifier}
//                              checks base64url(sha256(code_verifier)) == code_challenge and that
//                              client_id, redirect_uri and state match the authorization (400
//                              {"error":"invalid_grant"} otherwise); codes work once;
//                              {grant_type:"refresh_token", refresh_token, client_id} rotates: the
//                              refresh token used is spent and a new pair is issued.
//                              Answers {token_type:"Bearer", access_token, refresh_token,
//                              expires_in:28800, scope, account:{uuid, email_address}, organization:{uuid, name}}.
//   GET  /__idp                what it saw and issued (for the tests: they run in other processes)

import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export const IDP_EMAIL = 'e2e-user@example.com'
export const IDP_ACCOUNT_UUID = '6f1b7c1e-2b4d-4c8a-9e0f-e2e000000001'
export const IDP_ORG_UUID = '0c3d5e7f-1a2b-4c6d-8e9f-e2e000000002'
/** prefixes of what it issues (shaped like Anthropic's OAuth tokens) */
export const ACCESS_PREFIX = 'sk-ant-oat01-e2e-'
export const REFRESH_PREFIX = 'sk-ant-ort01-e2e-'
export const EXPIRES_IN = 28800
const DEFAULT_SCOPE = 'user:inference user:profile'
const CODE_TTL_MS = 10 * 60_000

/** one GET /oauth/authorize, as it came */
export interface AuthorizeRecord {
  at: string
  query: Record<string, string>
  /** why it was refused ("" = the consent page was shown) */
  problem: string
}

/** one POST /v1/oauth/token */
export interface TokenRecord {
  at: string
  contentType: string
  grantType: string
  clientId: string
  status: number
  /** the OAuth error answered ("" on success) */
  error: string
  errorDescription: string
}

/** a token pair it issued */
export interface IssuedRecord {
  at: string
  grant: 'authorization_code' | 'refresh_token'
  access_token: string
  refresh_token: string
  expires_in: number
}

export interface IdpRecord {
  authorizations: AuthorizeRecord[]
  tokenCalls: TokenRecord[]
  issued: IssuedRecord[]
}

export interface FakeIdp {
  server: http.Server
  /** e.g. http://127.0.0.1:41236 */
  baseURL: string
  authorizeURL: string
  tokenURL: string
  /** the page a manual (no browser here) sign-in ends on: it shows code#state */
  manualRedirectURL: string
  record: IdpRecord
  close(): Promise<void>
}

interface Pending {
  query: Record<string, string>
}

interface CodeGrant {
  clientId: string
  redirectUri: string
  state: string
  challenge: string
  scope: string
  expires: number
  used: boolean
}

const token = (prefix: string) => prefix + randomBytes(24).toString('base64url')
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function page(res: http.ServerResponse, status: number, title: string, body: string) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36em;margin:3em auto"><h1>${esc(title)}</h1>${body}</body></html>`
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(html)
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' })
  res.end(text)
}

/** what is wrong with an authorization request ("" = nothing) */
function authorizeProblem(q: Record<string, string>): string {
  if (q.response_type !== 'code') return `response_type must be "code" (got "${q.response_type ?? ''}")`
  if (!q.client_id) return 'client_id is missing'
  try {
    const u = new URL(q.redirect_uri ?? '')
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'redirect_uri must be http(s)'
  } catch {
    return 'redirect_uri is missing or not an absolute URL'
  }
  if (q.code_challenge_method !== 'S256') return `code_challenge_method must be "S256" (got "${q.code_challenge_method ?? ''}")`
  if (!/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '')) return 'code_challenge must be base64url(sha256(verifier)) (43 characters)'
  if (!q.state) return 'state is missing'
  return ''
}

export async function startFakeIdp(host = '127.0.0.1'): Promise<FakeIdp> {
  const record: IdpRecord = { authorizations: [], tokenCalls: [], issued: [] }
  const pending = new Map<string, Pending>()
  const codes = new Map<string, CodeGrant>()
  /** refresh token → still usable (false once rotated away) */
  const refreshTokens = new Map<string, { live: boolean; clientId: string; scope: string }>()
  let origin = ''

  const issue = (grant: IssuedRecord['grant'], clientId: string, scope: string) => {
    const pair = { access_token: token(ACCESS_PREFIX), refresh_token: token(REFRESH_PREFIX) }
    refreshTokens.set(pair.refresh_token, { live: true, clientId, scope })
    record.issued.push({ at: new Date().toISOString(), grant, ...pair, expires_in: EXPIRES_IN })
    return {
      token_type: 'Bearer',
      ...pair,
      expires_in: EXPIRES_IN,
      scope,
      account: { uuid: IDP_ACCOUNT_UUID, email_address: IDP_EMAIL },
      organization: { uuid: IDP_ORG_UUID, name: "e2e-user@example.com's Organization" },
    }
  }

  const authorize = (url: URL, res: http.ServerResponse) => {
    const q = Object.fromEntries(url.searchParams)
    const problem = authorizeProblem(q)
    record.authorizations.push({ at: new Date().toISOString(), query: q, problem })
    if (problem) return page(res, 400, 'Invalid authorization request', `<p id="problem">${esc(problem)}</p>`)
    const txn = randomBytes(12).toString('base64url')
    pending.set(txn, { query: q })
    const scopes = (q.scope || DEFAULT_SCOPE).split(/\s+/).map((s) => `<li><code>${esc(s)}</code></li>`).join('')
    page(
      res,
      200,
      'Authorize access to your Claude account',
      `<p>Signed in as <strong>${esc(IDP_EMAIL)}</strong>. An application (client <code>${esc(q.client_id)}</code>) asks for:</p>
<ul>${scopes}</ul>
<form method="post" action="/oauth/decide">
  <input type="hidden" name="txn" value="${esc(txn)}">
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`,
    )
  }

  const decide = (body: string, res: http.ServerResponse) => {
    const form = new URLSearchParams(body)
    const p = pending.get(form.get('txn') ?? '')
    if (!p) return page(res, 400, 'This authorization expired', '<p>Start the sign-in again.</p>')
    pending.delete(form.get('txn')!)
    const back = new URL(p.query.redirect_uri)
    if (form.get('decision') === 'approve') {
      const code = randomBytes(24).toString('base64url')
      codes.set(code, {
        clientId: p.query.client_id,
        redirectUri: p.query.redirect_uri,
        state: p.query.state,
        challenge: p.query.code_challenge,
        scope: p.query.scope || DEFAULT_SCOPE,
        expires: Date.now() + CODE_TTL_MS,
        used: false,
      })
      back.searchParams.set('code', code)
    } else {
      back.searchParams.set('error', 'access_denied')
      back.searchParams.set('error_description', 'The user denied access')
    }
    back.searchParams.set('state', p.query.state)
    res.writeHead(302, { Location: back.toString(), 'Cache-Control': 'no-store' })
    res.end()
  }

  const manualPage = (url: URL, res: http.ServerResponse) => {
    const code = url.searchParams.get('code') ?? ''
    const state = url.searchParams.get('state') ?? ''
    if (!code) return page(res, 400, 'Authorization failed', `<p>${esc(url.searchParams.get('error') ?? 'no code')}</p>`)
    page(
      res,
      200,
      'Authentication code',
      `<p>Paste this code into the application:</p><p><code id="auth-code">${esc(`${code}#${state}`)}</code></p>`,
    )
  }

  const tokenEndpoint = (req: http.IncomingMessage, raw: string, res: http.ServerResponse) => {
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim()
    const rec: TokenRecord = {
      at: new Date().toISOString(),
      contentType,
      grantType: '',
      clientId: '',
      status: 200,
      error: '',
      errorDescription: '',
    }
    record.tokenCalls.push(rec)
    const fail = (status: number, error: string, description: string) => {
      Object.assign(rec, { status, error, errorDescription: description })
      json(res, status, { error, error_description: description })
    }
    if (contentType !== 'application/json') return fail(400, 'invalid_request', 'the token endpoint takes a JSON body')
    let b: Record<string, unknown>
    try {
      b = JSON.parse(raw)
    } catch {
      return fail(400, 'invalid_request', 'the body is not JSON')
    }
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '')
    rec.grantType = str('grant_type')
    rec.clientId = str('client_id')

    if (rec.grantType === 'authorization_code') {
      const g = codes.get(str('code'))
      if (!g || g.used || g.expires < Date.now()) return fail(400, 'invalid_grant', 'Invalid or expired authorization code')
      g.used = true // a code works once, even when the exchange below fails
      if (str('client_id') !== g.clientId) return fail(400, 'invalid_grant', 'client_id does not match the authorization')
      if (str('redirect_uri') !== g.redirectUri) return fail(400, 'invalid_grant', 'redirect_uri does not match the authorization')
      if (str('state') !== g.state) return fail(400, 'invalid_grant', 'state does not match the authorization')
      if (!str('code_verifier') || s256(str('code_verifier')) !== g.challenge) return fail(400, 'invalid_grant', 'Invalid code verifier')
      return json(res, 200, issue('authorization_code', g.clientId, g.scope))
    }
    if (rec.grantType === 'refresh_token') {
      const rt = refreshTokens.get(str('refresh_token'))
      if (!rt || !rt.live) return fail(400, 'invalid_grant', 'Refresh token not found or invalid')
      if (str('client_id') !== rt.clientId) return fail(400, 'invalid_grant', 'client_id does not match the refresh token')
      rt.live = false // rotation: the old refresh token is spent
      return json(res, 200, issue('refresh_token', rt.clientId, rt.scope))
    }
    fail(400, 'unsupported_grant_type', `grant_type "${rec.grantType}" is not supported`)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin || 'http://127.0.0.1')
      const raw = Buffer.concat(chunks).toString('utf8')
      const route = `${req.method} ${url.pathname}`
      switch (route) {
        case 'GET /oauth/authorize':
          return authorize(url, res)
        case 'POST /oauth/decide':
          return decide(raw, res)
        case 'GET /oauth/code/callback':
          return manualPage(url, res)
        case 'POST /v1/oauth/token':
          return tokenEndpoint(req, raw, res)
        case 'GET /__idp':
          return json(res, 200, record)
      }
      json(res, 404, { error: 'not_found', error_description: `fake idp: no route for ${route}` })
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  server.unref()
  origin = `http://${host}:${(server.address() as AddressInfo).port}`

  return {
    server,
    baseURL: origin,
    authorizeURL: `${origin}/oauth/authorize`,
    tokenURL: `${origin}/v1/oauth/token`,
    manualRedirectURL: `${origin}/oauth/code/callback`,
    record,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
