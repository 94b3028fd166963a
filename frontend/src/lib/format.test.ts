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

describe('chart times', () => {
  it('label the time axis and the legend in the active language', async () => {
    const { applyLanguage, formatTimeTicks: ticks, formatChartTime: legend } = await import('./i18n').then(async (i) => ({
      ...i,
      ...(await import('./format')),
    }))
    const day = new Date(2026, 11, 4, 0, 0).getTime() / 1000
    applyLanguage('es')
    const es = ticks([day, day + 86_400])
    expect(es[0]).toMatch(/dic/)
    expect(legend(day + 3600 * 9)).toMatch(/dic/)
    applyLanguage('en')
    expect(ticks([day, day + 86_400])[0]).toMatch(/Dec/)
    // ticks under a day apart are times of day
    expect(ticks([day + 3600 * 9, day + 3600 * 10])[0]).toMatch(/09.00/)
    expect(legend(null)).toBe('—')
  })
})
