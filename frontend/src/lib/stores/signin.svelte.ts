// Subscription sign-in (Claude Pro/Max, ChatGPT/Codex): the providers one can
// sign in to, the flow in progress per provider (polled every second until it
// is done, failed or canceled), importing a CLI's login, refreshing a token
// now, and the log of sign-ins and refreshes.

import { api, type Api } from '../api/client'
import { ApiError } from '../api/transport'
import type { AccountView, RefreshLogEntry, SignInFlow, SignInProvider, TokenState } from '../api/types'
import { m } from '../i18n'

export type SignInApi = Pick<
  Api,
  | 'listSignIns'
  | 'startSignIn'
  | 'getSignInFlow'
  | 'completeSignIn'
  | 'cancelSignIn'
  | 'importSignIn'
  | 'refreshAccount'
  | 'getRefreshLog'
>

export interface SignInDeps {
  client: SignInApi
  /** open the sign-in page in a new tab (headless dashboard: the server opened nothing) */
  open: (url: string) => void
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (t: unknown) => void
}

const browserDeps: SignInDeps = {
  client: api,
  // noopener: the vendor's page gets no handle on the dashboard
  open: (url) => {
    window.open(url, '_blank', 'noopener,noreferrer')
  },
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
}

/** how often a pending flow is asked for its status */
export const POLL_MS = 1000
/** polls in a row that may fail (server busy, network blip) before the flow is given up */
const MAX_POLL_FAILURES = 5

type Tone = 'ok' | 'warn' | 'bad'
/** a labelled state; label reads the active language */
const labelled = (label: () => string, tone: Tone) => ({
  get label() {
    return label()
  },
  tone,
})

export const TOKEN_STATES: Record<TokenState, { readonly label: string; tone: Tone }> = {
  valid: labelled(m.ts_valid, 'ok'),
  expiring: labelled(m.ts_expiring, 'warn'),
  expired: labelled(m.ts_expired, 'warn'),
  refresh_failing: labelled(m.ts_refresh_failing, 'bad'),
  needs_sign_in: labelled(m.ts_needs_sign_in, 'bad'),
}

/** the token state of a sign-in account (older servers only set state) */
export function tokenState(a: AccountView): TokenState | undefined {
  if (a.tokenState) return a.tokenState
  return a.state === 'needs_sign_in' ? 'needs_sign_in' : undefined
}

export const OUTCOMES: Record<string, { readonly label: string; tone: Tone }> = {
  signed_in: labelled(m.so_signed_in, 'ok'),
  imported: labelled(m.so_imported, 'ok'),
  refreshed: labelled(m.so_refreshed, 'ok'),
  failed: labelled(m.so_failed, 'bad'),
  needs_sign_in: labelled(m.ts_needs_sign_in, 'warn'),
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** the server (or the app) has no sign-in API: the section stays hidden */
function unsupported(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 501)
}

/** what a started flow remembers besides the server's view */
export interface FlowState extends SignInFlow {
  /** the user chose "no browser on this machine" */
  manual: boolean
}

export type BusyKind = 'start' | 'code' | 'cancel' | 'import'

export class SignInStore {
  providers = $state<SignInProvider[]>([])
  loaded = $state(false)
  /** failure to load the providers */
  error = $state('')
  /** this server has no sign-in API (older version): nothing to show */
  unsupported = $state(false)

  /** provider id → its flow in progress, or the last one until dismissed */
  flows = $state<Record<string, FlowState>>({})
  /** provider id → the request in flight */
  busy = $state<Record<string, BusyKind>>({})
  /** provider id → what went wrong starting, finishing, cancelling or importing */
  errors = $state<Record<string, string>>({})
  /** provider id → a note after an import ("Imported …") */
  notices = $state<Record<string, string>>({})

  /** account id whose token is being refreshed */
  refreshing = $state<string | null>(null)
  /** account id → why its refresh failed */
  refreshErrors = $state<Record<string, string>>({})

  log = $state<RefreshLogEntry[]>([])
  logLoaded = $state(false)
  logError = $state('')

  /** ms between polls of a pending flow */
  pollMs = POLL_MS
  /** called when an account was created or its token changed (the page re-reads the providers) */
  onchange: (() => void | Promise<void>) | undefined

  private deps: SignInDeps
  private timers = new Map<string, unknown>()
  private pollFailures = new Map<string, number>()

  constructor(deps: Partial<SignInDeps> = {}) {
    this.deps = { ...browserDeps, ...deps }
  }

  get ids(): Set<string> {
    return new Set(this.providers.map((p) => p.id))
  }

  async load(): Promise<void> {
    try {
      this.providers = await this.deps.client.listSignIns()
      this.error = ''
      this.unsupported = false
      this.loaded = true
    } catch (e) {
      if (unsupported(e)) {
        this.unsupported = true
        this.providers = []
      } else this.error = message(e)
      return
    }
    await this.loadLog()
  }

  async loadLog(): Promise<void> {
    if (this.unsupported) return
    try {
      this.log = await this.deps.client.getRefreshLog()
      this.logError = ''
      this.logLoaded = true
    } catch (e) {
      this.logError = message(e)
    }
  }

  /** set (or, with "" / undefined, clear) one entry of a keyed map */
  private put(map: 'busy' | 'errors' | 'notices' | 'refreshErrors', key: string, v: string | undefined): void {
    const next: Record<string, string> = { ...this[map] }
    if (v) next[key] = v
    else delete next[key]
    ;(this as Record<typeof map, Record<string, string>>)[map] = next
  }

  private setFlow(providerId: string, flow: FlowState | undefined): void {
    const next = { ...this.flows }
    if (flow) next[providerId] = flow
    else delete next[providerId]
    this.flows = next
  }

  /** Is a flow of this provider waiting for the user? */
  pending(providerId: string): boolean {
    return this.flows[providerId]?.status === 'pending'
  }

  /**
   * Begin signing `account` in to a provider. The server opens the system
   * browser in the desktop app (`opened`); otherwise the page opens it here,
   * unless the user has no browser on this machine (manual).
   */
  async start(providerId: string, account: string, manual: boolean): Promise<FlowState | null> {
    const name = account.trim() // empty: the server names it after the email
    this.stopPolling(providerId)
    this.put('busy', providerId, 'start')
    this.put('errors', providerId, '')
    this.put('notices', providerId, '')
    try {
      const flow: FlowState = { ...(await this.deps.client.startSignIn(providerId, name, manual)), manual }
      this.setFlow(providerId, flow)
      if (flow.status === 'pending') {
        if (!manual && !flow.opened && flow.url) this.deps.open(flow.url) // device flows too: the page to enter the code
        this.schedule(providerId)
      } else await this.settled(providerId, flow)
      return flow
    } catch (e) {
      this.put('errors', providerId, message(e))
      return null
    } finally {
      this.put('busy', providerId, undefined)
    }
  }

  private schedule(providerId: string): void {
    this.stopPolling(providerId)
    const id = this.flows[providerId]?.id
    if (!id) return
    this.timers.set(
      providerId,
      this.deps.setTimeout(() => {
        this.timers.delete(providerId)
        void this.poll(providerId, id)
      }, this.pollMs),
    )
  }

  private stopPolling(providerId: string): void {
    const t = this.timers.get(providerId)
    if (t !== undefined) this.deps.clearTimeout(t)
    this.timers.delete(providerId)
  }

  /** the flow still shown for this provider, if it is `id` and waiting */
  private current(providerId: string, id: string): FlowState | undefined {
    const f = this.flows[providerId]
    return f && f.id === id && f.status === 'pending' ? f : undefined
  }

  private async poll(providerId: string, id: string): Promise<void> {
    if (!this.current(providerId, id)) return
    let next: SignInFlow
    try {
      next = await this.deps.client.getSignInFlow(id)
      this.pollFailures.delete(id)
    } catch (e) {
      const was = this.current(providerId, id)
      if (!was) return
      const n = (this.pollFailures.get(id) ?? 0) + 1
      this.pollFailures.set(id, n)
      if (e instanceof ApiError && e.status === 404) {
        await this.settled(providerId, {
          ...was,
          status: 'failed',
          error: m.si_err_unknown_flow(),
        })
      } else if (n >= MAX_POLL_FAILURES) {
        await this.settled(providerId, { ...was, status: 'failed', error: message(e) })
      } else this.schedule(providerId)
      return
    }
    const was = this.current(providerId, id)
    if (!was) return // canceled or replaced meanwhile
    const flow: FlowState = { ...next, manual: was.manual }
    if (flow.status === 'pending') {
      this.setFlow(providerId, flow)
      this.schedule(providerId)
    } else await this.settled(providerId, flow)
  }

  /** A flow ended: show it, and on success re-read the accounts and the log. */
  private async settled(providerId: string, flow: FlowState): Promise<void> {
    this.stopPolling(providerId)
    this.pollFailures.delete(flow.id)
    this.setFlow(providerId, flow)
    if (flow.status === 'done') {
      await this.onchange?.()
      await this.loadLog()
    } else if (flow.status === 'failed') {
      await this.loadLog()
    }
  }

  /** Finish a manual flow with what the user pasted (the code, or the whole redirect URL). */
  async complete(providerId: string, code: string): Promise<boolean> {
    const flow = this.flows[providerId]
    const pasted = code.trim()
    if (!flow || flow.status !== 'pending') return false
    if (!pasted) {
      this.put('errors', providerId, m.si_err_paste())
      return false
    }
    this.put('busy', providerId, 'code')
    this.put('errors', providerId, '')
    try {
      const next = await this.deps.client.completeSignIn(flow.id, pasted)
      if (!this.current(providerId, flow.id)) return false
      await this.settled(providerId, { ...next, manual: flow.manual })
      return next.status === 'done'
    } catch (e) {
      // the flow is still pending (e.g. a 400 for a code that does not parse): let the user paste again
      this.put('errors', providerId, message(e))
      return false
    } finally {
      this.put('busy', providerId, undefined)
    }
  }

  /** Give up the flow in progress (closes its loopback listener on the server). */
  async cancel(providerId: string): Promise<void> {
    const flow = this.flows[providerId]
    if (!flow || flow.status !== 'pending') return
    this.stopPolling(providerId)
    this.put('busy', providerId, 'cancel')
    this.put('errors', providerId, '')
    try {
      await this.deps.client.cancelSignIn(flow.id)
      if (this.current(providerId, flow.id)) this.setFlow(providerId, { ...flow, status: 'canceled' })
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.setFlow(providerId, { ...flow, status: 'canceled' })
      } else {
        this.put('errors', providerId, message(e))
        if (this.current(providerId, flow.id)) this.schedule(providerId)
      }
    } finally {
      this.put('busy', providerId, undefined)
    }
  }

  /** Forget a finished flow (its message goes away). */
  dismiss(providerId: string): void {
    if (this.pending(providerId)) return
    this.setFlow(providerId, undefined)
  }

  /** Copy the vendor CLI's login (shares its refresh token: the page asks first). */
  async importFrom(providerId: string, account: string): Promise<AccountView | null> {
    const name = account.trim() // empty: the server names it after the email
    this.put('busy', providerId, 'import')
    this.put('errors', providerId, '')
    this.put('notices', providerId, '')
    try {
      const a = await this.deps.client.importSignIn(providerId, name)
      const from = this.providers.find((p) => p.id === providerId)?.importFrom || 'the CLI'
      this.put('notices', providerId, m.si_imported_notice({ who: a.email || a.name || name, from }))
      await this.onchange?.()
      await this.loadLog()
      return a
    } catch (e) {
      this.put('errors', providerId, message(e))
      return null
    } finally {
      this.put('busy', providerId, undefined)
    }
  }

  /** Refresh a sign-in account's token now. */
  async refreshAccount(accountId: string): Promise<boolean> {
    this.refreshing = accountId
    this.put('refreshErrors', accountId, '')
    try {
      await this.deps.client.refreshAccount(accountId)
      return true
    } catch (e) {
      this.put('refreshErrors', accountId, message(e))
      return false
    } finally {
      this.refreshing = null
      // a failed refresh changes the account's state too
      await this.onchange?.()
      await this.loadLog()
    }
  }

  /** The page is shown again: keep polling the flows still waiting. */
  resume(): void {
    for (const [pid, f] of Object.entries(this.flows)) if (f.status === 'pending' && !this.timers.has(pid)) this.schedule(pid)
  }

  /** The page is gone: stop polling (the flows go on in the server). */
  stop(): void {
    for (const pid of [...this.timers.keys()]) this.stopPolling(pid)
  }
}

export const signInStore = new SignInStore()
