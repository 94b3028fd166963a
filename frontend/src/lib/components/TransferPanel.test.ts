import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { cleanup, render } from '@testing-library/svelte'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { errorResponse, stubBackend } from '../../test/fakes'
import type { ImportReport } from '../api/portable'
import BackupsPanel from './BackupsPanel.svelte'
import TransferPanel from './TransferPanel.svelte'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function report(dryRun: boolean): ImportReport {
  return {
    source: '9router',
    path: '/h/.9router',
    found: '9router db.json (lowdb, 0.4.x layout)',
    dryRun,
    items: [
      { kind: 'account', name: 'openai/work', action: 'create' },
      { kind: 'sign-in', name: 'copilot/octo', action: 'create', changes: ['provider github is copilot here'] },
      { kind: 'key', name: 'tiny', action: 'skip', why: 'shorter than the 16 characters Switchboard requires; create a new key' },
    ],
    notes: ['per-provider strategies are not carried'],
    created: 2,
    updated: 0,
    unchanged: 0,
    skipped: 1,
    backup: dryRun ? undefined : 'switchboard-x-pre-import.db',
  }
}

describe('TransferPanel: import from another gateway', () => {
  it('previews (dry run) with every item, then applies only after the preview', async () => {
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/import/sources')
        return [
          { id: 'omniroute', name: 'OmniRoute', defaultPath: '/h/.omniroute', found: false, reads: 'storage.sqlite' },
          { id: '9router', name: '9router', defaultPath: '/h/.9router', found: true, reads: 'db.json' },
        ]
      if (c.url === '/api/import') return report((c.body as { dryRun: boolean }).dryRun)
      return errorResponse(404, 'no route')
    })
    render(TransferPanel)
    const path = (await screen.findByLabelText('Path')) as HTMLInputElement
    await waitFor(() => expect(path.value).toBe('/h/.9router')) // the one found here is chosen
    const apply = screen.getByTestId('peer-apply')
    expect((apply as HTMLButtonElement).disabled).toBe(true)
    await userEvent.click(screen.getByTestId('peer-preview'))
    const preview = await screen.findByTestId('import-preview')
    const rows = within(preview).getAllByTestId('report-item')
    expect(rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.replace(/\s+/g, ' ').trim()).join(' | '))).toEqual([
      'account | openai/work | will create',
      'sign-in | copilot/octo | will create maps with changes: provider github is copilot here',
      'key | tiny | cannot carry shorter than the 16 characters Switchboard requires; create a new key',
    ])
    expect(preview.textContent).toContain('2 to create, 0 to update, 0 already here, 1 cannot be carried')
    await userEvent.click(apply)
    const done = await screen.findByTestId('import-result')
    expect(done.textContent).toContain('switchboard-x-pre-import.db')
    expect(calls.filter((c) => c.url === '/api/import').map((c) => c.body)).toEqual([
      { peer: '9router', path: '/h/.9router', dryRun: true },
      { peer: '9router', path: '/h/.9router', dryRun: false },
    ])
  })

  it('shows why a setup is refused', async () => {
    stubBackend((c) => {
      if (c.url === '/api/import/sources') return [{ id: 'cc-switch', name: 'cc-switch', defaultPath: '/h/.cc-switch/cc-switch.db', found: true, reads: 'db' }]
      return errorResponse(400, 'cannot read that setup: schema 18; this reader knows up to 17', 'invalid')
    })
    render(TransferPanel)
    await screen.findByDisplayValue('/h/.cc-switch/cc-switch.db')
    await userEvent.click(screen.getByTestId('peer-preview'))
    expect((await screen.findByRole('alert')).textContent).toContain('schema 18')
  })
})

describe('BackupsPanel', () => {
  it('lists backups and restores one only after a confirmation', async () => {
    const b = { name: 'switchboard-20260101T030000.000Z-daily.db', reason: 'daily', createdAt: '2026-01-01T03:00:00Z', size: 4096 }
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/backups') return { backups: [b], settings: { keep: 7, keepFromConfig: false, folder: '/d/backups' } }
      if (c.method === 'POST' && c.url.endsWith('/restore')) return { restored: b.name, safety: { ...b, name: 'switchboard-x-pre-restore.db', reason: 'pre-restore' } }
      return errorResponse(404, 'no route')
    })
    render(BackupsPanel)
    const row = await screen.findByTestId('backup-row')
    expect(row.textContent).toContain('Daily')
    await userEvent.click(within(row).getByTestId('restore'))
    expect(calls.some((c) => c.url.endsWith('/restore'))).toBe(false)
    await userEvent.click(within(row).getByTestId('restore-confirm'))
    expect((await screen.findByTestId('restore-done')).textContent).toContain('switchboard-x-pre-restore.db')
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual([`/api/backups/${b.name}/restore`])
  })
})
