/**
 * The web view beside a real Blender: a headless Blender with the add-on and
 * its agent, a real `scenesync serve` process, and the page in headless
 * Chromium. What Blender does shows on the page (objects, moves, its
 * selection as presence), and what the page's person selects shows in
 * Blender's presence. Needs Blender and Chromium; without either it skips,
 * unless SCENESYNC_REQUIRE_BLENDER=1 / SCENESYNC_REQUIRE_BROWSER=1 make the
 * missing one a failure.
 */
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Blender, Server, agentCommand, findBlender, freePort } from '../e2e/blender-harness.js'
import { rmTmp, tmpDir } from '../helpers/tmp.js'
import { browserMissing, launch, openPage, requireBrowser, type WatchedPage } from './browser.js'
import { ensureWebBuilt } from './fixture.js'

const BLENDER = findBlender()
const requireBlender = process.env.SCENESYNC_REQUIRE_BLENDER === '1'
const run = (BLENDER !== null || requireBlender) && (!browserMissing() || requireBrowser)
const ROOM = `web-blender-${process.pid}`
const RIG = '7d0c5a3e-0000-4000-8000-00000000f1a9'

describe.runIf(run)('web view beside Blender', () => {
  let dir: string
  let server: Server
  let A: Blender
  let browser: Browser
  let w: WatchedPage
  let crate: string
  const obj = (id: string) => w.page.evaluate((i) => (globalThis as any).__scenesync.object(i), id) as Promise<{ name: string; type: string; location: number[]; world: number[] } | null>

  beforeAll(async () => {
    if (!BLENDER) throw new Error('SCENESYNC_REQUIRE_BLENDER=1 but Blender was not found: apt-get install blender, or set SCENESYNC_BLENDER')
    dir = tmpDir('scenesync-web-blender-')
    await ensureWebBuilt()
    const port = await freePort()
    ;[server, A, browser] = await Promise.all([
      Server.start(port, path.join(dir, 'data')),
      Blender.start('A', { blender: BLENDER, args: ['--rig'], userScripts: path.join(dir, 'scripts-A') }),
      launch(),
    ])
    await A.cmd('config', { server_url: server.ws, room: ROOM, display_name: 'A', agent_command: agentCommand(path.join(dir, 'journal-A')) })
    await A.cmd('connect', {}, 60_000)
    await A.cmd('barrier')
    w = await openPage(browser, `${server.http}/#room=${ROOM}`)
    await w.page.waitForFunction((rig) => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.object(rig) !== null, RIG, { timeout: 30_000 })
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await A?.kill()
    await server?.stop()
    if (dir) rmTmp(dir)
  })

  it('shows an object created and moved in Blender at Blender’s values', async () => {
    crate = await A.exec<string>(`
o = new_object('Crate')
o.location = (1.5, -2.25, 0.75)
o.rotation_euler = (0.1, 0.2, 0.3)
tick()
result = getattr(o, PROP)`)
    await A.cmd('barrier')
    await w.page.waitForFunction((id) => (globalThis as any).__scenesync.object(id)?.name === 'Crate', crate, { timeout: 15_000 })
    expect(await obj(crate)).toMatchObject({ type: 'MESH', location: [1.5, -2.25, 0.75] })
    await A.exec(`o = obj(ID)\no.location = (-1.0, 3.0, 2.0)\ntick()`, { ID: crate })
    await A.cmd('barrier')
    await w.page.waitForFunction((id) => {
      const o = (globalThis as any).__scenesync.object(id)
      return o && o.location[0] === -1 && o.location[1] === 3 && o.location[2] === 2
    }, crate, { timeout: 15_000 })
    expect(w.errors).toEqual([])
  })

  it('shows what Blender selects as presence, and Blender sees what the page selects', async () => {
    await A.exec(`
for o in bpy.context.view_layer.objects: o.select_set(False)
o = obj(ID)
o.select_set(True)
bpy.context.view_layer.objects.active = o
import scenesync.runtime as rt
rt._state['last_selection_check'] = 0
rt._check_selection()
tick()`, { ID: crate })
    await w.page.waitForFunction((id) => (globalThis as any).__scenesync.presence().outlines.some((o: any) => o.who === 'A' && o.id === id), crate, { timeout: 15_000 })
    const at = (await w.page.evaluate((id) => (globalThis as any).__scenesync.screenOf(id), RIG)) as { x: number; y: number }
    await w.page.mouse.click(at.x, at.y)
    await w.page.waitForFunction(() => (globalThis as any).__scenesync.presence().outlines.some((o: any) => o.who.startsWith('viewer-')), null, { timeout: 10_000 })
    const seen = await A.until<Array<{ name: string; selection: string[] }>>("[p for p in session.peers if RIG_ID in (p.get('selection') or [])]", {}, 20)
    expect(seen[0]!.name).toMatch(/^viewer-/)
    expect(w.errors, w.console.filter((l) => l.startsWith('http')).join('\n')).toEqual([])
  })
})
