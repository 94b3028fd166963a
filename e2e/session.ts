// The headless login link works once. The spec that opens it saves the signed-in
// browser state (the session cookie) to .run/storage-state.json; every other spec
// starts its contexts from that file. A spec run on its own redeems the link itself.

import fs from 'node:fs'
import type { Browser, BrowserContext } from '@playwright/test'
import { serverInfo, STORAGE_STATE } from './server'

/** Keep the session of a signed-in context for the other specs. */
export async function saveSession(context: BrowserContext): Promise<void> {
  await context.storageState({ path: STORAGE_STATE })
}

/** A new browser context signed in to the running Switchboard. */
export async function signedInContext(browser: Browser): Promise<BrowserContext> {
  if (fs.existsSync(STORAGE_STATE)) return browser.newContext({ storageState: STORAGE_STATE })

  // nobody opened the link yet (this spec runs alone): open it here
  const { baseURL, loginURL } = serverInfo()
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(loginURL)
  await page.close()
  if ((await context.cookies(baseURL)).length === 0) {
    await context.close()
    throw new Error(
      'no session: the one-time login link was already used and no spec saved its session ' +
        `(${STORAGE_STATE}); run the whole suite, or this spec on its own`,
    )
  }
  await saveSession(context)
  return context
}
