// The page registry: the navigation and the router are built from this list.
// Adding a page = one file in src/routes/ + one entry here (only pages that work
// are listed).

import type { Component } from 'svelte'
import type { IconName } from '../lib/components/Icon.svelte'
import Overview from './Overview.svelte'

export interface RouteDef {
  /** hash path, e.g. "/settings" */
  path: string
  /** navigation label and page title */
  label: string
  icon: IconName
  /**
   * The page's component. Pages other than the Overview load on first visit
   * (their own chunk): the window starts with less script to parse and keep.
   */
  load: () => Promise<{ default: Component }>
}

export const routes: RouteDef[] = [
  { path: '/', label: 'Overview', icon: 'overview', load: async () => ({ default: Overview }) },
  { path: '/providers', label: 'Providers', icon: 'providers', load: () => import('./Providers.svelte') },
  { path: '/limits', label: 'Limits', icon: 'limits', load: () => import('./Limits.svelte') },
  { path: '/combos', label: 'Combos', icon: 'combos', load: () => import('./Combos.svelte') },
  { path: '/tools', label: 'CLI Tools', icon: 'terminal', load: () => import('./CliTools.svelte') },
  { path: '/keys', label: 'API keys', icon: 'key', load: () => import('./Keys.svelte') },
  { path: '/health', label: 'Health', icon: 'health', load: () => import('./Health.svelte') },
  { path: '/analytics', label: 'Analytics', icon: 'analytics', load: () => import('./Analytics.svelte') },
  { path: '/logs', label: 'Logs', icon: 'logs', load: () => import('./Logs.svelte') },
  { path: '/playground', label: 'Playground', icon: 'playground', load: () => import('./Playground.svelte') },
  { path: '/setup', label: 'Setup', icon: 'play', load: () => import('./Setup.svelte') },
  { path: '/settings', label: 'Settings', icon: 'settings', load: () => import('./Settings.svelte') },
]

export function findRoute(path: string): RouteDef | undefined {
  return routes.find((r) => r.path === path)
}
