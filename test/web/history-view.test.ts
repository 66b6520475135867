/**
 * The web view's history in headless Chromium: the slider dragged with the
 * mouse shows `scene_at` of the moment it stops at (`[H1]`), trails have one
 * point per history row in range, playback moves through time, and "Live"
 * brings back the live scene with what arrived meanwhile.
 */
import fs from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { browserMissing, launch, openPage, requireBrowser, type WatchedPage, zoomIn } from './browser.js'
import { DEMO, type Editor, buildDemo, dronePath, editor, projected, sleep, webServer, xf } from './fixture.js'

const run = !browserMissing() || requireBrowser
let s: TestServer
let browser: Browser
let ana: Editor
let sam: Editor
let w: WatchedPage
const ROOM = 'studio'

const hook = <T>(fn: string, ...args: unknown[]) => w.page.evaluate(([f, a]) => (globalThis as any).__scenesync[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>
type Obj = { id: string; location: number[] }
type HistoryState = { mode: string; t: number; shownT: number | null; seq: number; first: number; last: number; range: [number, number]; playing: boolean }
const get = async (path: string) => (await fetch(s.http + path)).json() as Promise<any>

/** Waits until the page shows the moment it was last asked for. */
async function settled(): Promise<HistoryState> {
  await w.page.waitForFunction(() => {
    const h = (globalThis as any).__scenesync.history()
    return h.mode === 'history' && h.shownT === h.t
  }, null, { timeout: 10_000 })
  return hook<HistoryState>('history')
}

describe.runIf(run)('web view: history', () => {
  beforeAll(async () => {
    browser = await launch()
    s = await webServer()
    ana = await editor(s, ROOM, 'ana')
    sam = await editor(s, ROOM, 'sam')
    buildDemo(ana)
    await sleep(50)
    for (let i = 0; i <= 40; i++) {
      ana.scene.setXform(DEMO.drone, xf(dronePath(i), [0, 0, i * 0.1], [0.5, 0.5, 0.2]))
      await sleep(30)
    }
    for (let i = 0; i < 15; i++) {
      sam.scene.setXform(DEMO.chair, xf([1.8 - i * 0.05, -1.4, 0.45], [0, 0, -0.5 + i * 0.03], [0.6, 0.6, 0.9]))
      await sleep(15)
    }
    // Everything acknowledged is in the log; the page's history reads the projection.
    await sleep(200)
    await projected(s)
    // ?aa=1: antialiased, as a browser with a GPU draws it (the screenshot is documentation).
    w = await openPage(browser, `${s.http}/?aa=1#room=${ROOM}`)
    await w.page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.objects().length === 12, null, { timeout: 20_000 })
    await hook('refreshSpan')
  })
  afterAll(async () => {
    ana?.close()
    sam?.close()
    await browser?.close()
    await s?.stop()
  })

  it('[H1] dragging the slider to a past moment shows scene_at of that moment, as the HTTP API gives it', async () => {
    const box = (await w.page.locator('#slider').boundingBox())!
    const y = box.y + box.height / 2
    await w.page.mouse.move(box.x + box.width - 4, y)
    await w.page.mouse.down()
    for (const f of [0.8, 0.6, 0.45, 0.35]) await w.page.mouse.move(box.x + box.width * f, y, { steps: 4 })
    await w.page.mouse.up()
    const h = await settled()
    expect(h.t).toBeLessThan(h.last)
    const byTime = await get(`/rooms/${ROOM}/scene?at=${new Date(h.t).toISOString()}`)
    expect(byTime.at).toBe(h.seq)
    const page = await hook<Obj[]>('objects')
    expect(page.map((o) => o.id)).toEqual(byTime.objects.map((o: any) => o.id))
    for (const o of byTime.objects) {
      const got = page.find((p) => p.id === o.id)!
      got.location.forEach((v, i) => expect(v).toBeCloseTo(o.xform.location[i], 5))
    }
    // A moment in the middle of the flight: the drone is not where it is now.
    const live = ana.scene.read(DEMO.drone)!.xform!.location
    expect(page.find((p) => p.id === DEMO.drone)!.location).not.toEqual(live)
    expect(await w.page.locator('#status').textContent()).toBe('viewing the past')
    expect(w.errors).toEqual([])
  })

  it('the trail of a moved object has a point per history row in the visible range, ticks at its samples', async () => {
    const at = await hook<{ x: number; y: number }>('screenOf', DEMO.drone)
    await w.page.mouse.click(at.x, at.y)
    await w.page.waitForFunction((id) => (globalThis as any).__scenesync.trail(id) !== null, DEMO.drone, { timeout: 10_000 })
    const trail = await hook<{ points: number; drawn: number[][]; ticks: Array<{ time: number; at: number[] }>; range: [number, number] }>('trail', DEMO.drone)
    const rows = (await get(`/rooms/${ROOM}/objects/${DEMO.drone}/history?from=${new Date(trail.range[0]).toISOString()}&to=${new Date(trail.range[1]).toISOString()}`)).points
    expect(rows.length).toBe(42) // created, then 41 steps of the flight
    expect(trail.points).toBe(rows.length)
    expect(trail.drawn).toEqual(rows.map((r: any) => r.xform.location))
    expect(trail.ticks.length).toBeGreaterThan(1)
    const held = new Set<number>()
    for (const tick of trail.ticks) {
      const last = rows.filter((r: any) => r.time <= tick.time).pop()
      expect(tick.at).toEqual(last.xform.location)
      expect(held.has(last.seq)).toBe(false)
      held.add(last.seq)
    }
    await expect.poll(() => w.page.locator('#labels .label.tick').count()).toBe(trail.ticks.length)
    fs.mkdirSync('test-results', { recursive: true })
    await zoomIn(w)
    await w.page.screenshot({ path: 'test-results/web-history.png' })
  })

  it('the chart under the slider counts each person’s edits in the range', async () => {
    const chart = await hook<{ users: string[]; cells: Array<[number, number, number]> } | null>('chart')
    expect(chart).not.toBeNull()
    const per: Record<string, number> = {}
    for (const [, u, n] of chart!.cells) per[chart!.users[u]!] = (per[chart!.users[u]!] ?? 0) + n
    const counts = s.db.prepare('SELECT user, count(*) AS n FROM events GROUP BY user').all() as Array<{ user: string; n: number }>
    expect(per).toEqual(Object.fromEntries(counts.map((c) => [c.user, c.n])))
  })

  it('plays forward through history, and Live brings back the live scene with edits made meanwhile', async () => {
    await w.page.locator('#speed').selectOption('0.25')
    const before = (await hook<HistoryState>('history')).t
    await w.page.locator('#play').click()
    await w.page.waitForFunction((t0) => (globalThis as any).__scenesync.history().t > t0 + 100, before, { timeout: 10_000 })
    await w.page.locator('#play').click()
    expect((await hook<HistoryState>('history')).playing).toBe(false)
    await settled()
    // An edit while the page shows the past: kept, not shown.
    ana.scene.setXform(DEMO.crate, xf([-4, 4, 0.5]))
    await sleep(300)
    const crate = (await hook<Obj>('object', DEMO.crate)).location
    expect(crate).not.toEqual([-4, 4, 0.5])
    await w.page.locator('#live').click()
    await w.page.waitForFunction((id) => {
      const o = (globalThis as any).__scenesync.object(id)
      return (globalThis as any).__scenesync.mode() === 'live' && o.location[0] === -4 && o.location[1] === 4
    }, DEMO.crate, { timeout: 10_000 })
    expect(await w.page.locator('#status').textContent()).toBe('live')
    expect(w.errors).toEqual([])
  })
})
