// The page registry: the navigation and the router are built from this list.
// Adding a page = one file in src/routes/ + one entry here (only pages that work
// are listed).

import type { Component } from 'svelte'
import type { IconName } from '../lib/components/Icon.svelte'
import { m } from '../lib/i18n'
import Overview from './Overview.svelte'

type NavKey =
  | 'nav_overview'
  | 'nav_providers'
  | 'nav_limits'
  | 'nav_combos'
  | 'nav_tools'
  | 'nav_keys'
  | 'nav_health'
  | 'nav_analytics'
  | 'nav_logs'
  | 'nav_playground'
  | 'nav_setup'
  | 'nav_settings'

export interface RouteDef {
  /** hash path, e.g. "/settings" */
  path: string
  /** the message naming the page (src/lib/i18n) */
  labelKey: NavKey
  /** navigation label and page title, in the active language */
  readonly label: string
  icon: IconName
  /**
   * The page's component. Pages other than the Overview load on first visit
   * (their own chunk): the window starts with less script to parse and keep.
   */
  load: () => Promise<{ default: Component }>
}

// Each label by name (never m[key]): a computed member would make the bundler
// keep every message of every page, in every language, in the first chunk.
const labels: Record<NavKey, () => string> = {
  nav_overview: m.nav_overview,
  nav_providers: m.nav_providers,
  nav_limits: m.nav_limits,
  nav_combos: m.nav_combos,
  nav_tools: m.nav_tools,
  nav_keys: m.nav_keys,
  nav_health: m.nav_health,
  nav_analytics: m.nav_analytics,
  nav_logs: m.nav_logs,
  nav_playground: m.nav_playground,
  nav_setup: m.nav_setup,
  nav_settings: m.nav_settings,
}

function page(path: string, labelKey: NavKey, icon: IconName, load: RouteDef['load']): RouteDef {
  return {
    path,
    labelKey,
    icon,
    load,
    get label() {
      return labels[labelKey]()
    },
  }
}

export const routes: RouteDef[] = [
  page('/', 'nav_overview', 'overview', async () => ({ default: Overview })),
  page('/providers', 'nav_providers', 'providers', () => import('./Providers.svelte')),
  page('/limits', 'nav_limits', 'limits', () => import('./Limits.svelte')),
  page('/combos', 'nav_combos', 'combos', () => import('./Combos.svelte')),
  page('/tools', 'nav_tools', 'terminal', () => import('./CliTools.svelte')),
  page('/keys', 'nav_keys', 'key', () => import('./Keys.svelte')),
  page('/health', 'nav_health', 'health', () => import('./Health.svelte')),
  page('/analytics', 'nav_analytics', 'analytics', () => import('./Analytics.svelte')),
  page('/logs', 'nav_logs', 'logs', () => import('./Logs.svelte')),
  page('/playground', 'nav_playground', 'playground', () => import('./Playground.svelte')),
  page('/setup', 'nav_setup', 'play', () => import('./Setup.svelte')),
  page('/settings', 'nav_settings', 'settings', () => import('./Settings.svelte')),
]

export function findRoute(path: string): RouteDef | undefined {
  return routes.find((r) => r.path === path)
}
