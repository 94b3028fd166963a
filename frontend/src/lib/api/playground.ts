// The translator playground (Playground page): example requests, the
// translation of a request into the other dialects by the real codecs, and
// a send through the gateway with both answers captured frame by frame.
// Same transport as every other call: Wails bindings in the window, /api over HTTP.

import { call } from './transport'

export type Dialect = 'openai' | 'responses' | 'anthropic' | 'gemini'

/** the dialects in page order, with what they are called on the wire */
export const DIALECTS: { id: Dialect; label: string; wire: string }[] = [
  { id: 'openai', label: 'OpenAI Chat', wire: 'POST /v1/chat/completions' },
  { id: 'responses', label: 'OpenAI Responses', wire: 'POST /v1/responses' },
  { id: 'anthropic', label: 'Anthropic Messages', wire: 'POST /v1/messages' },
  { id: 'gemini', label: 'Gemini', wire: 'POST /v1beta/models/{model}:generateContent' },
]

export function dialectLabel(d: string): string {
  return DIALECTS.find((x) => x.id === d)?.label ?? d
}

export interface Example {
  id: string
  dialect: Dialect
  client: string
  title: string
  model: string
  body: string
}

export interface Target {
  dialect: Dialect
  endpoint: string
  body?: string
  error?: string
}

export interface Translation {
  from: Dialect
  /** what the source codec said about the body; no targets then */
  error?: string
  /** the hub request, indented JSON */
  ir?: string
  to: Target[]
}

export interface Frame {
  /** milliseconds since the send began */
  atMs: number
  event?: string
  data: string
}

export interface Capture {
  status: number
  contentType: string
  frames: Frame[]
  bytes: number
  truncated?: boolean
}

export interface Attempt {
  method: string
  url: string
  request: string
  answer: Capture
  error?: string
}

export interface SendResult {
  dialect: Dialect
  endpoint: string
  route?: string
  durationMs: number
  upstream: Attempt[]
  client: Capture
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : [])

function capture(c: Capture | null | undefined): Capture {
  return { status: c?.status ?? 0, contentType: c?.contentType ?? '', frames: list(c?.frames), bytes: c?.bytes ?? 0, truncated: !!c?.truncated }
}

export const playgroundApi = {
  examples: async () => list(await call<Example[] | null>({ bind: 'PlaygroundExamples', method: 'GET', path: '/api/playground/examples' })),

  /** Decode body as dialect and encode it into the other three (model: Gemini's, which travels in the URL). */
  translate: async (dialect: Dialect, body: string, model = '') => {
    const input = { dialect, body, model }
    const t = await call<Translation>({ bind: 'PlaygroundTranslate', args: [input], method: 'POST', path: '/api/playground/translate', body: input })
    return { ...t, to: list(t?.to) }
  },

  /** Send body through the gateway's routing to model; both answers come back frame by frame. */
  send: async (dialect: Dialect, body: string, model: string, stream: boolean) => {
    const input = { dialect, body, model, stream }
    const r = await call<SendResult>({ bind: 'PlaygroundSend', args: [input], method: 'POST', path: '/api/playground/send', body: input })
    return {
      ...r,
      upstream: list(r?.upstream).map((a) => ({ ...a, answer: capture(a.answer) })),
      client: capture(r?.client),
    } as SendResult
  },
}
