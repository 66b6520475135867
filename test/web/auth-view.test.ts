/**
 * The web view against a server with a secret (`[S3]`): the page asks for a
 * token and keeps it for the tab, lists the rooms the token may read, views
 * a room with a read-only token (live updates included, nothing written),
 * and says plainly what is wrong with a token of another room or of
 * another server, instead of showing a blank page.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeToken } from '../../src/server/tokens.js'
import type { TestServer } from '../helpers/server.js'
import { browserMissing, launch, openPage, requireBrowser } from './browser.js'
import { DEMO, type Editor, buildDemo, editor, projected, sleep, webServer, xf } from './fixture.js'

const run = !browserMissing() || requireBrowser
const SECRET = 'web-view-secret'
let s: TestServer
let browser: Browser
let ana: Editor
const token = (room: string, role: 'read' | 'write', secret = SECRET) => makeToken(secret, { room, role, exp: Math.floor(Date.now() / 1000) + 600, name: `viewer of ${room}` })

describe.runIf(run)('web view: tokens', () => {
  beforeAll(async () => {
    browser = await launch()
    s = await webServer({ secret: SECRET })
    ana = await editor(s, 'studio', 'ana', await token('studio', 'write'))
    buildDemo(ana)
    const stage = await editor(s, 'stage', 'cy', await token('stage', 'write'))
    stage.scene.upsertObject('stage-prop', { name: 'Prop', type: 'EMPTY' })
    await sleep(200)
    stage.close()
    await projected(s)
  })
  afterAll(async () => {
    ana?.close()
    await browser?.close()
    await s?.stop()
  })

  it('[S3] a read-only token views the room live; the page writes nothing to the log', async () => {
    const entries = (await s.log.readRoom('studio', '')).length
    const w = await openPage(browser, `${s.http}/#room=studio&token=${await token('studio', 'read')}`)
    await w.page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.objects().length === 12, null, { timeout: 20_000 })
    // The token left the address (it stays in the tab's session storage).
    expect(w.page.url()).not.toContain('token=')
    expect(await w.page.locator('#role').textContent()).toBe('read-only')
    ana.scene.setXform(DEMO.crate, xf([-1, -1, 2]))
    await w.page.waitForFunction((id) => (globalThis as any).__scenesync.object(id).location[2] === 2, DEMO.crate, { timeout: 10_000 })
    // The viewer's presence carries the token's name.
    await expect.poll(() => [...ana.provider.awareness.getStates().values()].map((st: any) => st?.user?.name)).toContain('viewer of studio')
    // A reload in the same tab keeps the token: no prompt.
    await w.page.reload()
    await w.page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced', null, { timeout: 20_000 })
    expect(await w.page.locator('#gate').isHidden()).toBe(true)
    expect((await s.log.readRoom('studio', '')).length).toBe(entries + 1)
    expect(w.errors).toEqual([])
    await w.page.close()
  })

  it('[S3] without a token the page asks for one, then lists the rooms that token may read', async () => {
    const w = await openPage(browser, `${s.http}/`)
    await w.page.locator('#token-card').waitFor()
    expect(await w.page.locator('#token-card h1').textContent()).toBe('This server needs a token')
    await w.page.locator('#token-card input').fill(await token('st*', 'read'))
    await w.page.locator('#token-card button.primary').click()
    await w.page.locator('#room-card').waitFor()
    expect(await w.page.locator('#room-card .room-name').allTextContents()).toEqual(['stage', 'studio'])
    await w.page.locator('#room-card li[data-room="stage"]').click()
    await w.page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.objects().length === 1, null, { timeout: 20_000 })
    expect(w.errors).toEqual([])
    await w.page.close()
  })

  it('[S3] a token of another room gets a message naming the room it is for, and a way out', async () => {
    const w = await openPage(browser, `${s.http}/#room=studio&token=${await token('stage', 'read')}`)
    await w.page.locator('#problem-card').waitFor()
    expect(await w.page.locator('#problem-card h1').textContent()).toBe('No access to “studio”')
    expect(await w.page.locator('#problem-card .message').textContent()).toBe('Your token is for room "stage", not "studio". Ask for a token of this room, or pick another room.')
    expect(await w.page.evaluate(() => (globalThis as any).__scenesync.objects().length)).toBe(0)
    await w.page.locator('#problem-card button.primary').click()
    await w.page.locator('#room-card').waitFor()
    expect(await w.page.locator('#room-card .room-name').allTextContents()).toEqual(['stage'])
    await w.page.close()
  })

  it('[S3] a token this server did not sign is refused with a message that says so', async () => {
    const w = await openPage(browser, `${s.http}/#room=studio&token=${await token('*', 'write', 'some-other-secret')}`)
    await w.page.locator('#token-card .message').waitFor()
    expect(await w.page.locator('#token-card .message').textContent()).toBe('This token was not made by this server: token signature does not match this server.')
    await w.page.close()
  })
})
