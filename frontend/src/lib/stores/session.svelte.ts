// Session: can this dashboard talk to the backend, and is it signed in?
// Headless mode guards /api with a session cookie handed out by a one-time
// login link (printed in the app's log); any 401 flips this store to "signed-out".

import { ApiError, onUnauthorized } from '../api/transport'

export type SessionState = 'checking' | 'ready' | 'signed-out' | 'error'

export class SessionStore {
  state = $state<SessionState>('checking')
  /** message shown when state is "error" */
  message = $state('')

  /** Start listening for 401s from any API call. Returns the unsubscribe function. */
  attach(): () => void {
    return onUnauthorized(() => this.signOut())
  }

  signOut(): void {
    this.state = 'signed-out'
    this.message = ''
  }

  /** Probe the backend (normally GetStatus) and settle the state from the outcome. */
  async check(probe: () => Promise<unknown>): Promise<SessionState> {
    if (this.state !== 'ready') this.state = 'checking'
    try {
      await probe()
      this.state = 'ready'
      this.message = ''
    } catch (e) {
      this.fail(e)
    }
    return this.state
  }

  /** Settle the state from a failed call. */
  fail(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) {
      this.signOut()
      return
    }
    this.state = 'error'
    this.message = e instanceof Error ? e.message : String(e)
  }
}

export const session = new SessionStore()
