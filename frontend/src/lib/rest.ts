// In the desktop window, tell the app when its window is hidden (closed to
// the tray, minimized) so it hands memory back while nobody looks
// (Instance.Rest on the Go side). The browser dashboard has no Wails
// runtime: nothing is sent there.
import { emitToApp } from './api/transport'

/** The Wails event the app rests on (app/desktop.go). */
export const hiddenEvent = 'window-hidden'

/** Report each time the document turns hidden; returns the function that stops. */
export function reportHidden(): () => void {
  const onChange = () => {
    if (document.visibilityState === 'hidden') emitToApp(hiddenEvent)
  }
  document.addEventListener('visibilitychange', onChange)
  return () => document.removeEventListener('visibilitychange', onChange)
}
