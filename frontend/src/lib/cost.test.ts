import { describe, expect, it } from 'vitest'
import { customRange, densify, formatBytes, formatPrice, formatTokens, formatUsd, presetRange, toolLabel } from './cost'

describe('cost helpers', () => {
  it('format money: cents from a dollar, more digits below, unknown as a dash', () => {
    expect(formatUsd(12.345)).toBe('$12.35')
    expect(formatUsd(0.0421)).toBe('$0.042')
    expect(formatUsd(0.00125)).toBe('$0.0013')
    expect(formatUsd(0.00001)).toBe('<$0.0001')
    expect(formatUsd(0)).toBe('$0.00')
    expect(formatUsd(null)).toBe('—')
  })
  it('format tokens and prices', () => {
    expect(formatTokens(950)).toBe('950')
    expect(formatTokens(1234)).toBe('1.2k')
    expect(formatTokens(45_600)).toBe('46k')
    expect(formatTokens(4_500_000)).toBe('4.5M')
    expect(formatPrice(1.25)).toBe('1.25')
    expect(formatPrice(0.1 + 0.2)).toBe('0.3')
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB')
  })
  it('turn presets and custom days into ranges with a bucket', () => {
    const now = Date.parse('2026-03-10T12:00:00Z')
    expect(presetRange('24h', now)).toEqual({ from: now - 86_400_000, to: now, bucket: 'hour' })
    expect(presetRange('30d', now)).toMatchObject({ from: now - 30 * 86_400_000, bucket: 'day' })
    const r = customRange('2026-03-01', '2026-03-02')!
    expect(r.to - r.from).toBe(2 * 86_400_000)
    expect(r.bucket).toBe('hour')
    expect(customRange('2026-03-05', '2026-03-01')).toBeNull()
  })
  it('name coding tools', () => {
    expect(toolLabel('claude-code')).toBe('Claude Code')
    expect(toolLabel('')).toBe('Other / unknown')
    expect(toolLabel('new-tool')).toBe('new-tool')
  })
})

describe('densify', () => {
  it('fills the buckets without requests with zeros, days from local midnight', () => {
    const H = 3_600_000
    const s = [{ t: 2 * H, requests: 5 }]
    expect(densify(s, 0, 4 * H, 'hour', 0)).toEqual([
      { t: 0, requests: 0 },
      { t: H, requests: 0 },
      { t: 2 * H, requests: 5 },
      { t: 3 * H, requests: 0 },
    ])
    // UTC+2: local days start at 22:00 UTC
    const d = densify([{ t: 22 * H, requests: 1 }], 0, 48 * H, 'day', 120)
    expect(d.map((p) => p.t)).toEqual([-2 * H, 22 * H, 46 * H])
    expect(d[1].requests).toBe(1)
    expect(densify([], 0, 4 * H, 'hour', 0)).toEqual([])
  })
})
