/**
 * `npm run bench -- web`: the web view in headless Chromium (software WebGL:
 * SwiftShader), over the core benchmark's workload: 1,000 objects and
 * BENCH_WEB_UPDATES transform updates (default 1,000,000) from 8 editors,
 * appended to a real log and projected.
 *
 * 1. First load: ms from navigation to the first frame that shows the room's
 *    objects (bundle, HTTP span, WebSocket sync, 1,000 nodes, first render),
 *    over BENCH_WEB_LOADS fresh browser contexts (the first also loads the
 *    room on the server); and the JavaScript bytes shipped.
 * 2. Live load: 16 stock y-websocket clients move objects at 1,000 updates/s
 *    in total for BENCH_WEB_SECONDS; the page's animation-frame intervals
 *    (what a person feels), its work per drawn frame, and edit → page
 *    latency (send time in the clients to the moment the page's scene graph
 *    holds the value).
 * 3. Scrub: BENCH_WEB_SCRUBS positions at random times over the whole log,
 *    each from the seek to the scene applied (`scene_at` over HTTP, the
 *    graph updated); then a drag: a position every 16 ms for 3 s.
 *
 * Targets (issue 13): first frame ≤ 1.5 s; p99 frame ≤ 33 ms; scrub ≤ 100 ms p99.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { SceneDoc } from '../src/crdt/index.js'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { Projector } from '../src/projection/projector.js'
import { openDatabase } from '../src/projection/sql.js'
import { SyncServer } from '../src/server/sync-server.js'
import { BROWSER_FLAGS, CHROMIUM } from '../test/web/browser.js'
import { ensureWebBuilt } from '../test/web/fixture.js'
import { WEB_OUT } from '../web/build.js'
import { makeWorkload } from './scene-workload.js'
import { now, rng, round, summarize } from './stats.js'

const say = (msg: string) => process.stderr.write(`[web] ${msg}\n`)
const ROOM = 'bench'
const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt)

type Hook = Record<string, (...a: unknown[]) => unknown>

export async function runWeb(): Promise<Record<string, unknown>> {
  const updates = env('BENCH_WEB_UPDATES', 1_000_000)
  const loads = env('BENCH_WEB_LOADS', 5)
  const seconds = env('BENCH_WEB_SECONDS', 10)
  const scrubs = env('BENCH_WEB_SCRUBS', 200)
  const { chromium } = await import('playwright-core')
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`)
  await ensureWebBuilt()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-web-'))
  const log = SqliteEventLog.open(dir)
  const db = openDatabase(path.join(dir, 'projection.sqlite'))
  const clients: Array<{ p: WebsocketProvider; d: Y.Doc }> = []
  let server: SyncServer | null = null
  let projector: Projector | null = null
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_FLAGS })
  try {
    say(`generating ${updates} transform updates over 1,000 objects ...`)
    const w = makeWorkload({ objects: 1000, transformUpdates: updates, editors: 8 })
    say(`appending ${w.setup.length + w.updates.length} entries and projecting ...`)
    const all = [...w.setup, ...w.updates]
    w.setup.length = 0
    w.updates.length = 0
    for (let i = 0; i < all.length; i += 256) {
      const group = all.slice(i, i + 256)
      await Promise.all(group.map((u) => log.append(ROOM, [{ update: u.update, origin: { client: u.client, user: `editor-${u.editor}` } }])))
    }
    all.length = 0
    projector = new Projector(log, db, { worker: true })
    await projector.catchUp()
    projector.start()
    server = new SyncServer({ log, projection: db, port: 0 })
    const { port } = await server.listen()
    const http = `http://127.0.0.1:${port}`
    const url = `${http}/#room=${ROOM}`

    say(`first load, ${loads} times ...`)
    const firstFrames: number[] = []
    let transfer = 0
    for (let i = 0; i < loads; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
      const page = await ctx.newPage()
      await page.goto(url)
      await page.waitForFunction(() => (globalThis as any).__scenesync?.firstFrameMs() !== null && (globalThis as any).__scenesync.objects().length === 1000, null, { timeout: 120_000 })
      firstFrames.push((await page.evaluate(() => (globalThis as any).__scenesync.firstFrameMs())) as number)
      if (i === 0) transfer = (await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).reduce((n, e) => n + (e as PerformanceResourceTiming).transferSize, 0))) as number
      await ctx.close()
    }
    const warm = summarize(firstFrames.slice(1).length ? firstFrames.slice(1) : firstFrames)

    say(`16 clients moving objects at 1,000 updates/s for ${seconds} s ...`)
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    const page = await ctx.newPage()
    await page.goto(url)
    await page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.objects().length === 1000, null, { timeout: 120_000 })
    for (let i = 0; i < 16; i++) {
      const d = new Y.Doc()
      const p = new WebsocketProvider(`ws://127.0.0.1:${port}`, ROOM, d, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { name: `mover-${i}` } })
      clients.push({ p, d })
    }
    while (!clients.every((c) => c.p.synced)) await new Promise((r) => setTimeout(r, 20))
    const sent = new Map<string, number>()
    const ids = w.objectIds
    let moves = 0
    const r = rng(3)
    const stopAt = Date.now() + seconds * 1000
    await page.evaluate(() => {
      ;(globalThis as any).__scenesync.watch()
      ;(globalThis as any).__scenesync.resetFrames()
    })
    // Each client moves one of its own objects every 16 ms: 16 × 62.5 = 1,000 updates/s.
    await Promise.all(
      clients.map(
        (c, i) =>
          new Promise<void>((resolve) => {
            const scene = new SceneDoc(c.d)
            const mine = ids.filter((_, k) => k % 16 === i)
            const start = now()
            let n = 0
            const step = () => {
              if (Date.now() >= stopAt) return resolve()
              const due = Math.floor((now() - start) / 16)
              for (; n <= due; n++) {
                const id = mine[Math.floor(r() * mine.length)]!
                const x = scene.read(id)?.xform
                if (!x) continue
                const nx = Math.fround(x.location[0] + 0.01 + moves * 1e-7)
                scene.setXform(id, { ...x, location: [nx, x.location[1], x.location[2]] })
                sent.set(`${id}|${nx}`, Date.now())
                moves++
              }
              setTimeout(step, 4)
            }
            step()
          }),
      ),
    )
    await new Promise((res) => setTimeout(res, 1000))
    const frames = (await page.evaluate(() => (globalThis as any).__scenesync.frames())) as { intervals: number[]; renders: number[] }
    const seen = (await page.evaluate(() => (globalThis as any).__scenesync.takeWatched())) as Array<[string, number, number]>
    const latencies: number[] = []
    for (const [id, x, at] of seen) {
      const t = sent.get(`${id}|${Math.fround(x)}`)
      if (t !== undefined) latencies.push(at - t)
    }
    const frame = summarize(frames.intervals)
    const work = summarize(frames.renders)
    const lat = summarize(latencies)
    for (const c of clients.splice(0)) {
      c.p.destroy()
      c.d.destroy()
    }

    say(`scrubbing ${scrubs} positions ...`)
    await page.evaluate(() => (globalThis as any).__scenesync.refreshSpan())
    const h = (await page.evaluate(() => (globalThis as any).__scenesync.history())) as { first: number; last: number }
    const rs = rng(11)
    const scrubMs: number[] = []
    for (let i = 0; i < scrubs; i++) {
      const t = h.first + rs() * (h.last - h.first)
      const res = (await page.evaluate((tt) => (globalThis as any).__scenesync.seek(tt), t)) as { ms: number }
      scrubMs.push(res.ms)
    }
    const drag = (await page.evaluate(async ([a, b]) => {
      const hk = (globalThis as any).__scenesync as Hook
      const out: number[] = []
      const waits: Array<Promise<unknown>> = []
      for (let i = 0; i < 188; i++) {
        const p = hk.seek!(a! + ((b! - a!) * i) / 188) as Promise<{ ms: number; superseded: boolean }>
        waits.push(p.then((x) => !x.superseded && out.push(x.ms)))
        await new Promise((res) => setTimeout(res, 16))
      }
      await Promise.all(waits)
      return out
    }, [h.first, h.last])) as number[]
    const scrub = summarize(scrubMs)
    const dragS = summarize(drag)
    await ctx.close()
    const jsBytes = fs.statSync(path.join(WEB_OUT, 'app.js')).size
    return {
      bench: 'web',
      objects: 1000,
      log_updates: updates,
      browser: 'headless Chromium, SwiftShader WebGL',
      first_frame_ms: round(warm.p50, 0),
      first_frame_ms_max: round(warm.max, 0),
      first_frame_cold_ms: round(firstFrames[0]!, 0),
      js_bytes: jsBytes,
      js_bytes_transferred: transfer,
      clients: 16,
      updates_per_s: round(moves / seconds, 0),
      frame_ms_p50: round(frame.p50, 1),
      frame_ms_p99: round(frame.p99, 1),
      frames: frame.n,
      frame_work_ms_p50: round(work.p50, 1),
      frame_work_ms_p99: round(work.p99, 1),
      edit_to_page_ms_p50: round(lat.p50, 1),
      edit_to_page_ms_p99: round(lat.p99, 1),
      edits_seen: latencies.length,
      scrub_ms_p50: round(scrub.p50, 1),
      scrub_ms_p99: round(scrub.p99, 1),
      scrub_positions: scrub.n,
      scrub_drag_ms_p50: round(dragS.p50, 1),
      scrub_drag_ms_p99: round(dragS.p99, 1),
      scrub_drag_positions_shown: dragS.n,
    }
  } finally {
    for (const c of clients) c.p.destroy()
    await browser.close()
    await server?.close()
    await projector?.stop()
    await log.close()
    db.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
