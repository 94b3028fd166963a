import { afterEach, vi } from 'vitest'

// Every test starts as a plain browser (HTTP transport): no Wails globals, no stubs.
afterEach(() => {
  const w = window as unknown as Record<string, unknown>
  delete w.go
  delete w.runtime
  vi.unstubAllGlobals()
  vi.useRealTimers()
  window.location.hash = ''
})
