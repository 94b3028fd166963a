// Copy text: Wails runtime clipboard in the desktop window, the async Clipboard
// API in browsers, and a hidden-textarea fallback.

interface WailsRuntime {
  ClipboardSetText?: (text: string) => Promise<boolean>
}

export async function copyText(text: string): Promise<boolean> {
  const rt = (window as unknown as { runtime?: WailsRuntime }).runtime
  if (rt?.ClipboardSetText) {
    try {
      if (await rt.ClipboardSetText(text)) return true
    } catch {
      /* fall through */
    }
  }
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text)
      return true
    } catch {
      /* fall through */
    }
  }
  try {
    const ta = document.createElement('textarea')
    ta.value = text
    ta.setAttribute('readonly', '')
    ta.style.position = 'fixed'
    ta.style.opacity = '0'
    document.body.appendChild(ta)
    ta.select()
    const ok = document.execCommand('copy')
    ta.remove()
    return ok
  } catch {
    return false
  }
}
