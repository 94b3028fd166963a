// Messages with markup inside (a <code>, a link): the component passes
// slot(i) for each such placeholder and renders the pieces, so every
// language puts the element where its word order wants it.

const BASE = 0xe000 // private use area: never in a translation or a value

/** The stand-in for the i-th element of a message. */
export function slot(i: number): string {
  return String.fromCharCode(BASE + i)
}

export interface Piece {
  /** plain text, or "" for an element */
  text: string
  /** which element (the i of slot(i)), -1 for text */
  slot: number
}

/** A message called with slot(i) stand-ins, cut into text and element pieces. */
export function pieces(message: string): Piece[] {
  const out: Piece[] = []
  let text = ''
  for (const ch of message) {
    const i = ch.charCodeAt(0) - BASE
    if (i >= 0 && i < 16) {
      if (text) out.push({ text, slot: -1 })
      text = ''
      out.push({ text: '', slot: i })
    } else text += ch
  }
  if (text) out.push({ text, slot: -1 })
  return out
}
