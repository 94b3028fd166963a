// Backups, the encrypted setup export/import, the config-file export and the
// import from other gateways (Settings → Backup & transfer). Same transport
// as every other call: Wails bindings in the window, /api over HTTP.

import { call } from './transport'

export interface BackupInfo {
  name: string
  reason: string // daily | manual | pre-migration | pre-import | pre-restore
  createdAt: string
  size: number
}

export interface BackupSettings {
  keep: number
  keepFromConfig: boolean
  folder: string
}

export interface BackupList {
  backups: BackupInfo[]
  settings: BackupSettings
}

export interface RestoreResult {
  restored: string
  safety: BackupInfo
}

export type ReportAction = 'create' | 'update' | 'unchanged' | 'skip'

export interface ReportItem {
  kind: string
  name: string
  action: ReportAction
  changes?: string[]
  why?: string
}

export interface ImportReport {
  source: string
  path?: string
  found?: string
  dryRun: boolean
  replace?: boolean
  items: ReportItem[]
  notes?: string[]
  created: number
  updated: number
  unchanged: number
  skipped: number
  backup?: string
}

export interface SetupFile {
  name: string
  data: string // base64
}

export interface EnvVar {
  name: string
  for: string
}

export interface ConfigExport {
  yaml: string
  env: EnvVar[]
  notCarried: ReportItem[]
}

export interface PeerSource {
  id: string
  name: string
  defaultPath: string
  found: boolean
  reads: string
}

const list = <T>(v: T[] | null | undefined): T[] => v ?? []

/** a report with its lists always lists */
export function importReport(r: ImportReport | null): ImportReport {
  const v = (r ?? {}) as ImportReport
  return {
    ...v,
    items: list(v.items).map((it) => ({ ...it, changes: list(it.changes) })),
    notes: list(v.notes),
    created: v.created ?? 0,
    updated: v.updated ?? 0,
    unchanged: v.unchanged ?? 0,
    skipped: v.skipped ?? 0,
  }
}

function backupList(v: BackupList | null): BackupList {
  return { backups: list(v?.backups), settings: v?.settings ?? { keep: 7, keepFromConfig: false, folder: '' } }
}

/** base64 (what both transports carry files as) to bytes, and back */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

const seg = (s: string) => encodeURIComponent(s)

export const portableApi = {
  listBackups: async () => backupList(await call<BackupList | null>({ bind: 'ListBackups', method: 'GET', path: '/api/backups' })),

  createBackup: () => call<BackupInfo>({ bind: 'CreateBackup', method: 'POST', path: '/api/backups' }),

  /** Replace the database with a backup; the current one is backed up first. */
  restoreBackup: (name: string) =>
    call<RestoreResult>({ bind: 'RestoreBackup', args: [name], method: 'POST', path: `/api/backups/${seg(name)}/restore` }),

  saveBackupSettings: (keep: number) =>
    call<BackupSettings>({ bind: 'SaveBackupSettings', args: [keep], method: 'PUT', path: '/api/backups/settings', body: { keep } }),

  /** The whole setup encrypted with the passphrase (age), as a file to save. */
  exportSetup: (passphrase: string) =>
    call<SetupFile>({ bind: 'ExportSetup', args: [passphrase], method: 'POST', path: '/api/setup/export', body: { passphrase } }),

  /** Preview (dryRun) or apply an export; data is the file in base64. */
  importSetup: async (data: string, passphrase: string, replace: boolean, dryRun: boolean) => {
    const body = { data, passphrase, replace, dryRun }
    return importReport(await call<ImportReport>({ bind: 'ImportSetup', args: [body], method: 'POST', path: '/api/setup/import', body }))
  },

  exportConfig: async () => {
    const c = await call<ConfigExport | null>({ bind: 'ExportConfig', method: 'GET', path: '/api/setup/config' })
    return { yaml: c?.yaml ?? '', env: list(c?.env), notCarried: list(c?.notCarried) }
  },

  listImportSources: async () =>
    list(await call<PeerSource[] | null>({ bind: 'ListImportSources', method: 'GET', path: '/api/import/sources' })),

  /** Preview (dryRun) or apply another gateway's setup ("" path: its default place). */
  importPeer: async (peer: string, path: string, dryRun: boolean) => {
    const body = { peer, path, dryRun }
    return importReport(await call<ImportReport>({ bind: 'ImportPeer', args: [body], method: 'POST', path: '/api/import', body }))
  },
}

/** Said on window when an import wrote a backup (the Backups panel lists it). */
export const BACKUPS_CHANGED = 'switchboard:backups-changed'

export function backupsChanged(): void {
  if (typeof window !== 'undefined') window.dispatchEvent(new Event(BACKUPS_CHANGED))
}
