// Backups and transfer over both transports.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from './transport'
import { fromBase64, importReport, portableApi, toBase64, type ImportReport } from './portable'
import { errorResponse, installWails, stubBackend } from '../../test/fakes'

const backup = { name: 'switchboard-20260101T030000.000Z-daily.db', reason: 'daily', createdAt: '2026-01-01T03:00:00Z', size: 151552 }
const report: ImportReport = {
  source: '9router',
  dryRun: true,
  items: [{ kind: 'account', name: 'openai/work', action: 'create' }],
  created: 1,
  updated: 0,
  unchanged: 0,
  skipped: 0,
}

afterEach(() => {
  delete (window as unknown as Record<string, unknown>).go
  vi.unstubAllGlobals()
})

describe('backups and transfer over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/backups') return { backups: [backup], settings: { keep: 7, keepFromConfig: false, folder: '/d/backups' } }
      if (c.method === 'POST' && c.url === '/api/backups') return backup
      if (c.method === 'POST' && c.url === `/api/backups/${backup.name}/restore`) return { restored: backup.name, safety: backup }
      if (c.method === 'PUT' && c.url === '/api/backups/settings') return { keep: 3, keepFromConfig: false, folder: '/d/backups' }
      if (c.method === 'POST' && c.url === '/api/setup/export') return { name: 'switchboard-setup-20260101.age', data: toBase64(new TextEncoder().encode('AGE')) }
      if (c.method === 'POST' && c.url === '/api/setup/import') return report
      if (c.method === 'GET' && c.url === '/api/setup/config') return { yaml: 'providers: []\n', env: null, notCarried: null }
      if (c.method === 'GET' && c.url === '/api/import/sources') return [{ id: '9router', name: '9router', defaultPath: '/h/.9router', found: true, reads: 'db.json' }]
      if (c.method === 'POST' && c.url === '/api/import') return { ...report, items: null, notes: null }
      return errorResponse(404, 'no route')
    })
    expect((await portableApi.listBackups()).backups[0].reason).toBe('daily')
    await portableApi.createBackup()
    expect((await portableApi.restoreBackup(backup.name)).safety.name).toBe(backup.name)
    expect((await portableApi.saveBackupSettings(3)).keep).toBe(3)
    const f = await portableApi.exportSetup('a long passphrase')
    expect(new TextDecoder().decode(fromBase64(f.data))).toBe('AGE')
    expect((await portableApi.importSetup('QUdF', 'a long passphrase', true, true)).created).toBe(1)
    expect(await portableApi.exportConfig()).toEqual({ yaml: 'providers: []\n', env: [], notCarried: [] })
    expect((await portableApi.listImportSources())[0].found).toBe(true)
    const r = await portableApi.importPeer('9router', '', false)
    expect(r.items).toEqual([])
    expect(r.notes).toEqual([])
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/backups', undefined],
      ['POST', '/api/backups', undefined],
      ['POST', `/api/backups/${backup.name}/restore`, undefined],
      ['PUT', '/api/backups/settings', { keep: 3 }],
      ['POST', '/api/setup/export', { passphrase: 'a long passphrase' }],
      ['POST', '/api/setup/import', { data: 'QUdF', passphrase: 'a long passphrase', replace: true, dryRun: true }],
      ['GET', '/api/setup/config', undefined],
      ['GET', '/api/import/sources', undefined],
      ['POST', '/api/import', { peer: '9router', path: '', dryRun: false }],
    ])
  })

  it('surface a refused import as ApiError with the server message', async () => {
    stubBackend(() => errorResponse(400, 'wrong passphrase', 'invalid'))
    await expect(portableApi.importSetup('QUdF', 'nope', false, true)).rejects.toMatchObject({ status: 400, message: 'wrong passphrase' })
    await expect(portableApi.importSetup('QUdF', 'nope', false, true)).rejects.toBeInstanceOf(ApiError)
  })
})

describe('backups and transfer through the Wails bindings', () => {
  it('call the bound methods with the same arguments', async () => {
    const { App } = installWails({
      ListBackups: async () => ({ backups: null, settings: { keep: 7, keepFromConfig: true, folder: '/d' } }),
      RestoreBackup: async () => ({ restored: backup.name, safety: backup }),
      ImportPeer: async () => report,
      ImportSetup: async () => report,
    })
    expect((await portableApi.listBackups()).backups).toEqual([])
    await portableApi.restoreBackup(backup.name)
    await portableApi.importPeer('omniroute', '/x', true)
    await portableApi.importSetup('QUdF', 'p', false, false)
    expect(App.RestoreBackup).toHaveBeenCalledWith(backup.name)
    expect(App.ImportPeer).toHaveBeenCalledWith({ peer: 'omniroute', path: '/x', dryRun: true })
    expect(App.ImportSetup).toHaveBeenCalledWith({ data: 'QUdF', passphrase: 'p', replace: false, dryRun: false })
  })
})

describe('helpers', () => {
  it('base64 round-trips bytes, and a report always has lists', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255])
    expect(fromBase64(toBase64(bytes))).toEqual(bytes)
    const r = importReport({ source: 'x', dryRun: true } as ImportReport)
    expect([r.items, r.notes, r.created]).toEqual([[], [], 0])
  })
})
