// The first-run setup: its state, what the machine already has, and the
// steps that are not already calls of their own (env keys, local servers,
// the test request). Same transport as every other call: Wails bindings in
// the window, /api over HTTP.

import type { AccountView, ProviderView } from './types'
import { call } from './transport'

export type OnboardingStatus = '' | 'complete' | 'skipped'
export const ONBOARDING_STEPS = ['detect', 'subscriptions', 'keys', 'combo', 'tools', 'test'] as const
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number]

export interface OnboardingState {
  /** "" until the setup is finished or skipped */
  status: OnboardingStatus
  step?: OnboardingStep
  /** the combo the setup created or picked */
  combo?: string
  updatedAt?: number
}

export interface DetectedTool {
  id: string
  name: string
  binaryPath: string
  state: string
  model?: string
  managed: boolean
}

export interface DetectedSignIn {
  provider: string
  name: string
  source: string
  connected?: boolean
}

export interface DetectedKey {
  var: string
  provider: string
  /** masked, e.g. "sk-…1234": the value never reaches the dashboard */
  hint: string
  shadowed?: boolean
  added?: boolean
}

export interface LocalServer {
  id: string
  name: string
  url: string
  reachable: boolean
  models: string[]
  error?: string
  added?: boolean
}

export interface PeerSource {
  id: string
  name: string
  defaultPath: string
  found: boolean
  reads: string
}

export interface SetupReport {
  tools: DetectedTool[]
  signIns: DetectedSignIn[]
  keys: DetectedKey[]
  local: LocalServer[]
  peers: PeerSource[]
}

export interface SetupTest {
  ok: boolean
  status: number
  model: string
  route?: string
  answer?: string
  error?: string
  latencyMs: number
  inputTokens: number
  outputTokens: number
  keyName: string
  prompt: string
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : [])

function report(r: Partial<SetupReport> | null): SetupReport {
  return {
    tools: list(r?.tools),
    signIns: list(r?.signIns),
    keys: list(r?.keys),
    local: list(r?.local).map((l) => ({ ...l, models: list(l.models) })),
    peers: list(r?.peers),
  }
}

export const onboardingApi = {
  getState: async (): Promise<OnboardingState> => {
    const s = await call<OnboardingState | null>({ bind: 'GetOnboarding', method: 'GET', path: '/api/onboarding' })
    return { ...s, status: s?.status ?? '' }
  },

  saveState: (st: OnboardingState) =>
    call<OnboardingState>({ bind: 'SaveOnboarding', args: [st], method: 'PUT', path: '/api/onboarding', body: st }),

  /** CLIs on PATH, their sign-ins, env keys (masked), local servers, other gateways' setups. */
  detect: async () => report(await call<SetupReport | null>({ bind: 'DetectSetup', method: 'GET', path: '/api/onboarding/detect' })),

  /** Store the key an environment variable holds as an account of its provider. */
  addEnvKey: (name: string) =>
    call<AccountView>({ bind: 'AddEnvKey', args: [name], method: 'POST', path: `/api/onboarding/env-keys/${encodeURIComponent(name)}` }),

  /** Configure a reachable Ollama / LM Studio with a keyless account. */
  addLocal: (id: string) =>
    call<ProviderView>({ bind: 'AddLocalServer', args: [id], method: 'POST', path: `/api/onboarding/local/${encodeURIComponent(id)}` }),

  /** One chat request through the gateway; answers what came back. */
  sendTest: (model: string) =>
    call<SetupTest>({ bind: 'SendSetupTest', args: [model], method: 'POST', path: '/api/onboarding/test', body: { model } }),
}
