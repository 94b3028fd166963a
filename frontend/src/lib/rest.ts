// In the desktop window, tell the app when its window is hidden (closed to
// the tray, minimized) and shown again: it hands memory back while nobody
// looks, and again after each burst of gateway traffic for as long as the
// window stays hidden (Instance.Rest and RestAfterTraffic on the Go side).
// The browser dashboard has no Wails runtime: nothing is sent there.
import { emitToApp } from './api/transport'

/** The Wails event the app rests on (app/desktop.go). */
export const hiddenEvent = 'window-hidden'
/** The Wails event that ends the rests after traffic (app/desktop.go). */
export const shownEvent = 'window-shown'

/** Report each time the document turns hidden or visible; returns the function that stops. */
export function reportVisibility(): () => void {
  const onChange = () => emitToApp(document.visibilityState === 'hidden' ? hiddenEvent : shownEvent)
  document.addEventListener('visibilitychange', onChange)
  return () => document.removeEventListener('visibilitychange', onChange)
}
