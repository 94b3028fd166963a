// The replay of a send: the frames of every track (the upstream's raw
// answer, the client's) on one timeline, in the order they happened.

import type { Capture, Frame } from '../../api/playground'
import { formatDecimal } from '../../format'

export interface Track {
  id: string
  label: string
  capture: Capture
}

export interface Step {
  track: number
  frame: number
  atMs: number
}

/** every frame of every track, ordered by time (the upstream's first when two share a time) */
export function timeline(tracks: Track[]): Step[] {
  const steps: Step[] = []
  tracks.forEach((t, ti) => t.capture.frames.forEach((f, fi) => steps.push({ track: ti, frame: fi, atMs: f.atMs })))
  return steps.sort((a, b) => a.atMs - b.atMs || a.track - b.track || a.frame - b.frame)
}

/** how many frames of track ti the first `shown` steps reveal */
export function revealed(steps: Step[], shown: number, ti: number): number {
  let n = 0
  for (let i = 0; i < shown && i < steps.length; i++) if (steps[i].track === ti) n++
  return n
}

/** the wait before step i plays, at speed (never more than 2 s: a slow upstream is shown, not sat through) */
export function delayBefore(steps: Step[], i: number, speed = 1): number {
  if (i <= 0 || i >= steps.length) return 0
  return Math.min(2000, Math.max(0, (steps[i].atMs - steps[i - 1].atMs) / speed))
}

/** "+12.3 ms" */
export function offset(ms: number): string {
  return ms >= 1000 ? `+${formatDecimal(ms / 1000, 2)} s` : `+${formatDecimal(ms, 1)} ms`
}

/** a frame's JSON made readable: the data line of an SSE event, or the body, indented when it parses */
export function pretty(f: Frame): string {
  const lines = f.data.split('\n')
  const out = lines.map((l) => {
    const m = /^data:\s?(.*)$/.exec(l.replace(/\r$/, ''))
    const raw = m ? m[1] : l
    if (!/^\s*[[{]/.test(raw)) return l
    try {
      const json = JSON.stringify(JSON.parse(raw), null, 2)
      return m ? `data: ${json}` : json
    } catch {
      return l
    }
  })
  return out.join('\n')
}
