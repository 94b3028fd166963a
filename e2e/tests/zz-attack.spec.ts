import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from '@playwright/test'
import { serverInfo } from '../server'
import { signedInContext } from '../session'

// A page from another loopback origin (another port on 127.0.0.1: the same
// site, so the browser sends the dashboard's session cookie along) attacks
// the management API and the gateway with everything a web page can do:
// fetch (simple and preflighted), a form POST, an image and a script
// include. Every attempt must be refused or unreadable, and nothing may
// change. (Named zz- so it runs after the spec that redeems the login link.)

const attackPage = (gw: string) => `<!doctype html><html><body>
<form id="f" method="POST" action="${gw}/api/keys" target="sink" enctype="text/plain">
  <input name='{"name":"pwned-form","x":"' value='"}'>
</form>
<form id="g" method="POST" action="${gw}/api/providers/fake-config/pause" target="sink2"></form>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<img id="img" src="${gw}/api/keys">
<script>
window.results = {}
const note = (k, v) => { window.results[k] = v }
const tryFetch = async (k, url, init) => {
  try {
    const r = await fetch(url, init)
    let body = ''
    try { body = await r.text() } catch (e) {}
    note(k, 'answered ' + r.status + ' ' + r.type + ' ' + body.slice(0, 80))
  } catch (e) { note(k, 'blocked') }
}
document.getElementById('img').onerror = () => note('img', 'error')
document.getElementById('img').onload = () => note('img', 'loaded')
;(async () => {
  await tryFetch('read-keys', '${gw}/api/keys', { credentials: 'include' })
  await tryFetch('create-key-simple', '${gw}/api/keys', { method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: 'pwned-fetch' }) })
  await tryFetch('create-key-json', '${gw}/api/keys', { method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'pwned-json' }) })
  await tryFetch('no-cors-post', '${gw}/api/keys', { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: 'pwned-nocors' }) })
  await tryFetch('settings', '${gw}/api/settings', { method: 'PUT', credentials: 'include',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ logRequestBodies: true }) })
  await tryFetch('v1-models', '${gw}/v1/models', {})
  await tryFetch('v1-chat', '${gw}/v1/chat/completions', { method: 'POST', mode: 'no-cors',
    headers: { 'Content-Type': 'text/plain' }, body: '{"model":"fakecfg/m1","messages":[{"role":"user","content":"hi"}]}' })
  document.getElementById('f').submit()
  document.getElementById('g').submit()
  const s = document.createElement('script')
  s.src = '${gw}/v1/models'
  s.onerror = () => note('script', 'error')
  s.onload = () => note('script', 'loaded')
  document.body.appendChild(s)
  setTimeout(() => note('done', true), 1500)
})()
</script></body></html>`

test('another origin cannot read or change anything', async ({ browser }) => {
  const { baseURL } = serverInfo()
  const context = await signedInContext(browser)
  const api = context.request
  const before = {
    keys: await (await api.get(`${baseURL}/api/keys`)).json(),
    settings: await (await api.get(`${baseURL}/api/settings`)).json(),
    paused: await (await api.get(`${baseURL}/api/providers/paused`)).json(),
  }

  const attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' })
    res.end(attackPage(baseURL))
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  const port = (attacker.address() as AddressInfo).port
  try {
    const page = await context.newPage()
    const seen: { method: string; url: string; status: number }[] = []
    page.on('response', (r) => {
      if (r.url().startsWith(baseURL)) seen.push({ method: r.request().method(), url: r.url(), status: r.status() })
    })
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.waitForFunction(() => (window as any).results?.done === true, null, { timeout: 15_000 })
    const results = await page.evaluate(() => (window as any).results)

    // Nothing the page asked for could be read: no CORS headers, so every
    // cors-mode fetch fails; no-cors answers are opaque (status 0, no body).
    expect(results['read-keys']).toBe('blocked')
    expect(results['create-key-simple']).toBe('blocked')
    expect(results['create-key-json']).toBe('blocked')
    expect(results['settings']).toBe('blocked')
    expect(results['v1-models']).toBe('blocked')
    expect(results['no-cors-post']).toMatch(/^answered 0 opaque $/)
    expect(results['v1-chat']).toMatch(/^answered 0 opaque $/)
    expect(results['img']).toBe('error')

    // Every request of the page that reached the management API was refused
    // (the browser would not let the page read an answer anyway).
    const apiSeen = seen.filter((s) => s.url.includes('/api/'))
    expect(apiSeen.length, 'the page reached the management API').toBeGreaterThan(0)
    for (const r of apiSeen) {
      expect([401, 403, 405], `${r.method} ${r.url} answered ${r.status}`).toContain(r.status)
    }
    // ...and nothing changed.
    const after = {
      keys: await (await api.get(`${baseURL}/api/keys`)).json(),
      settings: await (await api.get(`${baseURL}/api/settings`)).json(),
      paused: await (await api.get(`${baseURL}/api/providers/paused`)).json(),
    }
    expect(after).toEqual(before)
    expect(JSON.stringify(after.keys)).not.toContain('pwned')
    await page.close()
  } finally {
    attacker.close()
    await context.close()
  }
})
