// Hash routing ("#/settings"): works the same under the Wails asset server and
// the Go HTTP server, with no server-side route table.

export function pathFromHash(hash: string): string {
  let p = hash.replace(/^#/, '')
  const q = p.indexOf('?')
  if (q >= 0) p = p.slice(0, q)
  if (!p.startsWith('/')) p = '/' + p
  return p.length > 1 ? p.replace(/\/+$/, '') : p
}

export class Router {
  path = $state('/')

  constructor() {
    if (typeof window !== 'undefined') this.path = pathFromHash(window.location.hash)
  }

  /** Follow hashchange events. Returns the stop function. */
  attach(): () => void {
    const onChange = () => (this.path = pathFromHash(window.location.hash))
    window.addEventListener('hashchange', onChange)
    onChange()
    return () => window.removeEventListener('hashchange', onChange)
  }

  go(path: string): void {
    window.location.hash = '#' + path
    this.path = pathFromHash(path)
  }

  href(path: string): string {
    return '#' + path
  }
}

export const router = new Router()
