// Launch at login: whether the login session starts Switchboard (minimised to the tray).

import { api, type Api } from '../api/client'
import type { LaunchAtLogin } from '../api/types'
import { m } from '../i18n'

export type AutostartApi = Pick<Api, 'getLaunchAtLogin' | 'setLaunchAtLogin'>

function message(e: unknown): string {
  // the HTTP 500 reads "launch at login could not be changed: <reason>", with an
  // empty reason when the server had none: drop the dangling ": "
  return (e instanceof Error ? e.message : String(e)).replace(/[\s:]+$/, '')
}

/** Why the switch cannot be used, or "" when it can. */
export function unavailableReason(s: LaunchAtLogin | null): string {
  if (!s) return ''
  if (s.error) return s.error
  if (!s.supported) return m.settings_autostart_unsupported()
  return ''
}

export class AutostartStore {
  /** the state the server last reported */
  value = $state<LaunchAtLogin | null>(null)
  loading = $state(false)
  /** a change is being applied */
  busy = $state(false)
  /** failure to load */
  loadError = $state('')
  /** the last change failed: the server's message */
  setError = $state('')

  private client: AutostartApi

  constructor(client: AutostartApi = api) {
    this.client = client
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      this.value = await this.client.getLaunchAtLogin()
      this.loadError = ''
    } catch (e) {
      this.loadError = message(e)
    } finally {
      this.loading = false
    }
  }

  /** Turn launch at login on or off; on failure the state is re-read so the switch shows the truth. */
  async set(on: boolean): Promise<boolean> {
    this.busy = true
    this.setError = ''
    try {
      this.value = await this.client.setLaunchAtLogin(on)
      return true
    } catch (e) {
      this.setError = message(e)
      await this.load()
      return false
    } finally {
      this.busy = false
    }
  }
}

export const autostartStore = new AutostartStore()
