import { describe, expect, it } from 'vitest'
import { formatSince } from './format'

describe('formatSince', () => {
  it('says the time for today and adds the day otherwise', () => {
    const start = new Date(2026, 11, 4, 9, 5).getTime()
    const today = formatSince(start, new Date(2026, 11, 4, 18, 0).getTime())
    expect(today).toMatch(/09.05/)
    expect(today).not.toMatch(/Dec/)
    const later = formatSince(start, new Date(2026, 11, 6, 8, 0).getTime())
    expect(later).toMatch(/Dec/)
    expect(later).toMatch(/09.05/)
    expect(formatSince(Number.NaN, 0)).toBe('—')
  })
})
