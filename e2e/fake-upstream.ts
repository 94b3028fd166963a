// A tiny scripted OpenAI-compatible upstream for the e2e run: Switchboard is
// pointed at it as a custom provider. It answers every chat completion with
// "pong" (JSON, or SSE when asked to stream), except for the model
// RATE_LIMITED_MODEL, which always answers 429 with `Retry-After: 60` (so the
// account rests on that model for a minute); it lists one model, and keeps a
// short record of what it was asked (GET /__requests) for the tests to check.

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export const FAKE_MODELS = ['m1']
export const FAKE_REPLY = 'pong'
/** chat completions for this model are always rate limited (429, Retry-After: 60) */
export const RATE_LIMITED_MODEL = 'limited'
export const RATE_LIMIT_RETRY_AFTER_S = 60

export interface SeenRequest {
  method: string
  path: string
  authorization: string
  model?: string
  stream?: boolean
}

export interface FakeUpstream {
  server: http.Server
  port: number
  /** base URL for an openai-compatible provider, e.g. http://127.0.0.1:41234/v1 */
  baseURL: string
  seen: SeenRequest[]
  close(): Promise<void>
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
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
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
