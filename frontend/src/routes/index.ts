// The page registry: the navigation and the router are built from this list.
// Adding a page = one file in src/routes/ + one entry here (only pages that work
// are listed).

import type { Component } from 'svelte'
import type { IconName } from '../lib/components/Icon.svelte'
import Analytics from './Analytics.svelte'
import CliTools from './CliTools.svelte'
import Combos from './Combos.svelte'
import Health from './Health.svelte'
import Limits from './Limits.svelte'
import Logs from './Logs.svelte'
import Overview from './Overview.svelte'
import Providers from './Providers.svelte'
import Settings from './Settings.svelte'

export interface RouteDef {
  /** hash path, e.g. "/settings" */
  path: string
  /** navigation label and page title */
  label: string
  icon: IconName
  component: Component
}

export const routes: RouteDef[] = [
  { path: '/', label: 'Overview', icon: 'overview', component: Overview },
  { path: '/providers', label: 'Providers', icon: 'providers', component: Providers },
  { path: '/limits', label: 'Limits', icon: 'limits', component: Limits },
  { path: '/combos', label: 'Combos', icon: 'combos', component: Combos },
  { path: '/tools', label: 'CLI Tools', icon: 'terminal', component: CliTools },
  { path: '/health', label: 'Health', icon: 'health', component: Health },
  { path: '/analytics', label: 'Analytics', icon: 'analytics', component: Analytics },
  { path: '/logs', label: 'Logs', icon: 'logs', component: Logs },
  { path: '/settings', label: 'Settings', icon: 'settings', component: Settings },
]

export function findRoute(path: string): RouteDef | undefined {
  return routes.find((r) => r.path === path)
}
