// A tiny scripted upstream for the e2e run: Switchboard is pointed at it as a
// custom provider. It answers every chat completion with "pong" (JSON, or SSE
// when asked to stream), except for the model RATE_LIMITED_MODEL, which always
// answers 429 with `Retry-After: 60` (so the account rests on that model for a
// minute); answers for METERED_MODEL carry OpenAI's x-ratelimit-* headers (the
// account's quota windows); it lists one model, and keeps a short record of
// what it was asked (GET /__requests) for the tests to check.
//
// It also answers Anthropic Messages (POST /v1/messages, JSON or SSE, "pong")
// for the Claude sign-in provider, the way api.anthropic.com treats an OAuth
// access token (sk-ant-oat…): it must come as `Authorization: Bearer` with
// `oauth-2025-04-20` in `anthropic-beta`, else 401 "OAuth authentication is
// currently not supported.".

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export const FAKE_MODELS = ['m1']
export const FAKE_REPLY = 'pong'
/** chat completions for this model are always rate limited (429, Retry-After: 60) */
export const RATE_LIMITED_MODEL = 'limited'
export const RATE_LIMIT_RETRY_AFTER_S = 60

/**
 * chat completions for this model answer "pong" with OpenAI's rate-limit headers: 280 of 1000
 * requests left (72 % used) for 1h12m, 90,000 of 100,000 tokens (10 %) for 30 minutes
 */
export const METERED_MODEL = 'metered'
export const METERED_HEADERS: Record<string, string> = {
  'x-ratelimit-limit-requests': '1000',
  'x-ratelimit-remaining-requests': '280',
  'x-ratelimit-reset-requests': '1h12m0s',
  'x-ratelimit-limit-tokens': '100000',
  'x-ratelimit-remaining-tokens': '90000',
  'x-ratelimit-reset-tokens': '30m0s',
}

/** the beta an Anthropic OAuth access token needs */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20'

export interface SeenRequest {
  method: string
  path: string
  authorization: string
  model?: string
  stream?: boolean
  /** /v1/messages only: the Anthropic headers it came with ("" when absent) */
  anthropic?: { beta: string; version: string; xApiKey: string; userAgent: string }
}

export interface FakeUpstream {
  server: http.Server
  port: number
  /** base URL for an openai-compatible provider, e.g. http://127.0.0.1:41234/v1 */
  baseURL: string
  /** base URL for an Anthropic-dialect provider (the root: it adds /v1/messages), e.g. http://127.0.0.1:41234 */
  rootURL: string
  seen: SeenRequest[]
  close(): Promise<void>
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function anthropicError(res: http.ServerResponse, status: number, type: string, message: string) {
  send(res, status, { type: 'error', error: { type, message } })
}

/** POST /v1/messages in Anthropic's format: "pong", as JSON or as its SSE events. */
function anthropicMessages(req: http.IncomingMessage, raw: string, rec: SeenRequest, res: http.ServerResponse) {
  const h = (k: string) => String(req.headers[k] ?? '')
  rec.anthropic = { beta: h('anthropic-beta'), version: h('anthropic-version'), xApiKey: h('x-api-key'), userAgent: h('user-agent') }
  const bearer = /^Bearer (.+)$/.exec(rec.authorization)?.[1] ?? ''
  if (!bearer && !rec.anthropic.xApiKey) return anthropicError(res, 401, 'authentication_error', 'x-api-key header is required')
  if (bearer.startsWith('sk-ant-oat') && !rec.anthropic.beta.split(',').map((b) => b.trim()).includes(ANTHROPIC_OAUTH_BETA)) {
    return anthropicError(res, 401, 'authentication_error', 'OAuth authentication is currently not supported.')
  }
  let body: { model?: string; stream?: boolean; max_tokens?: number } = {}
  try {
    body = JSON.parse(raw || '{}')
  } catch {
    return anthropicError(res, 400, 'invalid_request_error', 'body is not JSON')
  }
  rec.model = body.model
  rec.stream = !!body.stream
  if (!body.model) return anthropicError(res, 400, 'invalid_request_error', 'model: Field required')
  const id = 'msg_e2e_fake'
  const usage = { input_tokens: 3, output_tokens: 1 }
  if (!body.stream) {
    return send(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: FAKE_REPLY }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage,
    })
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
  event('message_start', {
    message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } },
  })
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: FAKE_REPLY } })
  event('content_block_stop', { index: 0 })
  event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } })
  event('message_stop', {})
  res.end()
}

export async function startFakeUpstream(host = '127.0.0.1'): Promise<FakeUpstream> {
  const seen: SeenRequest[] = []

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]
      const rec: SeenRequest = { method: req.method ?? '', path, authorization: String(req.headers.authorization ?? '') }
      if (path !== '/__requests') seen.push(rec)
      if (seen.length > 200) seen.shift()

      if (req.method === 'GET' && path === '/__requests') return send(res, 200, seen)

      if (req.method === 'POST' && path === '/v1/messages') {
        return anthropicMessages(req, Buffer.concat(chunks).toString('utf8'), rec, res)
      }

      if (req.method === 'GET' && path === '/v1/models') {
        return send(res, 200, {
          object: 'list',
          data: FAKE_MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })),
        })
      }

      if (req.method === 'POST' && path === '/v1/chat/completions') {
        let body: { model?: string; stream?: boolean } = {}
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
        } catch {
          return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } })
        }
        rec.model = body.model
        rec.stream = !!body.stream
        const model = body.model ?? FAKE_MODELS[0]
        if (model === RATE_LIMITED_MODEL) {
          const text = JSON.stringify({
            error: {
              message: `Rate limit reached for ${model}: please try again in ${RATE_LIMIT_RETRY_AFTER_S}s.`,
              type: 'requests',
              code: 'rate_limit_exceeded',
            },
          })
          res.writeHead(429, {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(text),
            'Retry-After': String(RATE_LIMIT_RETRY_AFTER_S),
          })
          res.end(text)
          return
        }
        const created = Math.floor(Date.now() / 1000)
        const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
        if (model === METERED_MODEL) for (const [k, v] of Object.entries(METERED_HEADERS)) res.setHeader(k, v)
        if (body.stream) {
          res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
          const chunk = (delta: object, finish: string | null, extra: object = {}) =>
            `data: ${JSON.stringify({
              id: 'chatcmpl-fake',
              object: 'chat.completion.chunk',
              created,
              model,
              choices: [{ index: 0, delta, finish_reason: finish }],
              ...extra,
            })}\n\n`
          res.write(chunk({ role: 'assistant', content: FAKE_REPLY }, null))
          res.write(chunk({}, 'stop', { usage }))
          res.end('data: [DONE]\n\n')
          return
        }
        return send(res, 200, {
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: FAKE_REPLY }, finish_reason: 'stop' }],
          usage,
        })
      }

      send(res, 404, { error: { message: `fake upstream: no route for ${req.method} ${path}`, type: 'not_found' } })
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  // never keep the test runner alive on its own
  server.unref()
  const port = (server.address() as AddressInfo).port

  return {
    server,
    port,
    baseURL: `http://${host}:${port}/v1`,
    rootURL: `http://${host}:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
