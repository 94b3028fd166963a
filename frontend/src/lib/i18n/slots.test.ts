import { describe, expect, it } from 'vitest'
import { pieces, slot } from './slots'

describe('pieces', () => {
  it('cuts a message at its element stand-ins, in the order the language put them', () => {
    expect(pieces(`See ${slot(1)} in ${slot(0)}.`)).toEqual([
      { text: 'See ', slot: -1 },
      { text: '', slot: 1 },
      { text: ' in ', slot: -1 },
      { text: '', slot: 0 },
      { text: '.', slot: -1 },
    ])
  })

  it('keeps a message without stand-ins whole, astral characters included', () => {
    expect(pieces('Hei 👋')).toEqual([{ text: 'Hei 👋', slot: -1 }])
    expect(pieces(slot(0))).toEqual([{ text: '', slot: 0 }])
  })
})
