/**
 * Debian's Chromium driven by playwright-core, with the flags the team uses
 * for headless runs. WebGL renders in software there (WebGL 2 through ANGLE
 * on SwiftShader's Vulkan). Chromium 156 does that with the team's flags
 * alone; `--enable-unsafe-swiftshader` is Chromium's explicit opt-in to
 * software WebGL, added so the tests do not rest on the automatic fallback,
 * which Chromium has been retiring.
 *
 * Without Chromium the browser tests skip, unless SCENESYNC_REQUIRE_BROWSER=1
 * (CI), where they fail.
 */
import fs from 'node:fs'
import { type Browser, type ConsoleMessage, type Page, chromium } from 'playwright-core'

export const CHROMIUM = process.env.SCENESYNC_CHROMIUM ?? '/usr/bin/chromium'
export const BROWSER_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-swiftshader',
]

export const requireBrowser = process.env.SCENESYNC_REQUIRE_BROWSER === '1'
export const hasBrowser = fs.existsSync(CHROMIUM)

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return hasBrowser ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set SCENESYNC_CHROMIUM)`
}

export async function launch(): Promise<Browser> {
  const missing = browserMissing()
  if (missing) throw new Error(missing)
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_FLAGS })
}

export interface WatchedPage {
  page: Page
  /** Console errors and uncaught page errors, as text. */
  errors: string[]
  /** Every console message, for diagnosing a failure. */
  console: string[]
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1440, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport })
  const errors: string[] = []
  const console: string[] = []
  page.on('console', (m: ConsoleMessage) => {
    console.push(`${m.type()}: ${m.text()}`)
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
  // The console says only "404"; say which request it was.
  page.on('response', (r) => {
    if (r.status() >= 400) console.push(`http ${r.status()}: ${r.request().method()} ${r.url()}`)
  })
  await page.goto(url)
  return { page, errors, console }
}

/** Turns the mouse wheel over the 3D view, as a person zooms in before looking closer. */
export async function zoomIn(w: WatchedPage, notches = 3): Promise<void> {
  const box = (await w.page.locator('#viewport canvas').boundingBox())!
  await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  for (let i = 0; i < notches; i++) {
    await w.page.mouse.wheel(0, -120)
    await w.page.waitForTimeout(60)
  }
  await w.page.waitForTimeout(400)
}
