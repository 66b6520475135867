/**
 * `npm run bench -- web`: the web view in headless Chromium (software WebGL:
 * SwiftShader), over the core benchmark's workload: 1,000 objects and
 * BENCH_WEB_UPDATES transform updates (default 1,000,000) from 8 editors,
 * appended to a real log and projected. The server runs as its own process
 * (`scenesync serve` on that data folder), as `npm start` runs it.
 *
 * 1. First load: ms from navigation to the first frame that shows the room's
 *    objects (bundle, HTTP span, the projection's current scene or the synced
 *    live doc, whichever is first; 1,000 nodes; first render), and to the live
 *    doc shown (`first_live_ms`), over BENCH_WEB_LOADS fresh browser contexts
 *    (the first also loads the room on the server: `first_frame_cold_ms`); the
 *    JavaScript shipped.
 * 2. Live load: 16 clients move their own objects at 1,000 updates/s in
 *    total for BENCH_WEB_SECONDS (raw protocol clients sending real Yjs
 *    updates made beforehand from the room's doc, so the bench process
 *    stays light); the page's animation-frame intervals (what a person
 *    feels), its work per drawn frame, and edit → page latency (send to the
 *    page's scene graph holding the value).
 * 3. Scrub: BENCH_WEB_SCRUBS positions at random times over the whole log,
 *    each from the seek to the scene applied (`scene_at` over HTTP, the graph
 *    updated); then a drag: a new position every 16 ms for 3 s, of which the
 *    page shows the newest it can.
 *
 * Targets (issue 13): first frame ≤ 1.5 s; p99 frame ≤ 33 ms; scrub ≤ 100 ms p99.
 * The JSON carries the load average: figures from a busy machine show it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { SceneDoc } from '../src/crdt/index.js'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { loadRoom } from '../src/projection/load-room.js'
import { Projector } from '../src/projection/projector.js'
import { openDatabase } from '../src/projection/sql.js'
import { spawnServer } from '../test/helpers/spawn-server.js'
import { BROWSER_FLAGS, CHROMIUM } from '../test/web/browser.js'
import { ensureWebBuilt } from '../test/web/fixture.js'
import { WEB_OUT } from '../web/build.js'
import { makeWorkload } from './scene-workload.js'
import { RawClient, firstClock, updateFrame } from './sync-raw-client.js'
import { now, rng, round, summarize } from './stats.js'

const say = (msg: string) => process.stderr.write(`[web] ${msg}\n`)
const ROOM = 'bench'
const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt)
const MOVERS = 16
const RATE = 1000

type Hook = Record<string, (...a: unknown[]) => unknown>

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }>
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function of a CPU profile, the 25 largest. */
function topFunctions(p: Profile): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n')
}

interface Move {
  frame: Uint8Array
  clock: number
  key: string
}

/** Each mover's updates, made from the room's doc: moves of its own objects, each x unique (the latency probe's key). */
function makeMoves(state: Uint8Array, ids: string[], count: number): Move[][] {
  return Array.from({ length: MOVERS }, (_, i) => {
    const doc = new Y.Doc()
    doc.clientID = 0x7000 + i
    Y.applyUpdate(doc, state)
    const scene = new SceneDoc(doc)
    const mine = ids.filter((_, k) => k % MOVERS === i)
    const out: Move[] = []
    let last: Uint8Array | null = null
    doc.on('update', (u: Uint8Array) => (last = u))
    for (let n = 0; n < count; n++) {
      const id = mine[n % mine.length]!
      const x = scene.read(id)!.xform!
      const nx = Math.fround(x.location[0] + 0.001 * ((n % 7) + 1) + i * 1e-5 + n * 1e-8)
      scene.setXform(id, { ...x, location: [nx, x.location[1], x.location[2]] })
      out.push({ frame: updateFrame(last!), clock: firstClock(last!), key: `${id}|${nx}` })
    }
    doc.destroy()
    return out
  })
}

export async function runWeb(): Promise<Record<string, unknown>> {
  const updates = env('BENCH_WEB_UPDATES', 1_000_000)
  const loads = env('BENCH_WEB_LOADS', 5)
  const seconds = env('BENCH_WEB_SECONDS', 10)
  const scrubs = env('BENCH_WEB_SCRUBS', 200)
  const { chromium } = await import('playwright-core')
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`)
  await ensureWebBuilt()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-web-'))
  const movers: RawClient[] = []
  let server: Awaited<ReturnType<typeof spawnServer>> | null = null
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_FLAGS })
  try {
    say(`generating ${updates} transform updates over 1,000 objects ...`)
    const w = makeWorkload({ objects: 1000, transformUpdates: updates, editors: 8 })
    const ids = w.objectIds
    say(`appending ${w.setup.length + w.updates.length} entries and projecting ...`)
    const log = SqliteEventLog.open(dir)
    const all = [...w.setup, ...w.updates]
    w.setup.length = 0
    w.updates.length = 0
    for (let i = 0; i < all.length; i += 256) {
      const group = all.slice(i, i + 256)
      await Promise.all(group.map((u) => log.append(ROOM, [{ update: u.update, origin: { client: u.client, user: `editor-${u.editor}` } }])))
    }
    all.length = 0
    const db = openDatabase(path.join(dir, 'projection.sqlite'))
    const projector = new Projector(log, db, { worker: true })
    await projector.catchUp()
    await projector.stop()
    db.close()
    const perMover = Math.ceil((RATE / MOVERS) * (seconds + 2))
    say(`making ${MOVERS} × ${perMover} moves from the room's doc ...`)
    const room = await loadRoom(log, ROOM)
    const moves = makeMoves(Y.encodeStateAsUpdate(room.doc), ids, perMover)
    room.doc.destroy()
    await log.close()

    server = await spawnServer(dir)
    const http = server.http
    // BENCH_WEB_QUERY: page options for A/B runs, e.g. `fps=60` (redraw for every remote change).
    const url = `${http}/${process.env.BENCH_WEB_QUERY ? `?${process.env.BENCH_WEB_QUERY}` : ''}#room=${ROOM}`

    say(`first load, ${loads} times ...`)
    const firstFrames: number[] = []
    let marks: Record<string, number> = {}
    const liveFrames: number[] = []
    let transfer = 0
    for (let i = 0; i < loads; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
      const page = await ctx.newPage()
      await page.goto(url)
      await page.waitForFunction(() => (globalThis as any).__scenesync?.firstFrameMs() !== null && (globalThis as any).__scenesync.objects().length === 1000, null, { timeout: 120_000 })
      firstFrames.push((await page.evaluate(() => (globalThis as any).__scenesync.firstFrameMs())) as number)
      // The first frame may show the projection's scene; the live doc follows when it has synced.
      await page.waitForFunction(() => (globalThis as any).__scenesync.marks().synced !== undefined, null, { timeout: 300_000 })
      marks = (await page.evaluate(() => (globalThis as any).__scenesync.marks())) as Record<string, number>
      liveFrames.push(marks.synced!)
      if (i === 0) transfer = (await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).reduce((n, e) => n + (e as any).transferSize, 0))) as number
      await ctx.close()
    }
    const warm = summarize(firstFrames.length > 1 ? firstFrames.slice(1) : firstFrames)

    say(`${MOVERS} clients moving objects at ${RATE} updates/s for ${seconds} s ...`)
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    const page = await ctx.newPage()
    await page.goto(url)
    await page.waitForFunction(() => (globalThis as any).__scenesync?.status() === 'synced' && (globalThis as any).__scenesync.objects().length === 1000, null, { timeout: 120_000 })
    for (let i = 0; i < MOVERS; i++) movers.push(new RawClient(`${server.url}/${ROOM}`, 0x7000 + i))
    await Promise.all(movers.map((m) => m.open))
    const sent = new Map<string, number>()
    await page.evaluate(() => {
      ;(globalThis as any).__scenesync.watch()
      ;(globalThis as any).__scenesync.resetFrames()
    })
    // BENCH_WEB_PROFILE=1: the page's CPU profile over the live phase, top functions to stderr.
    const cdp = process.env.BENCH_WEB_PROFILE ? await page.context().newCDPSession(page) : null
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.start')
    }
    // Open loop: mover i sends its n-th move at start + n·16 ms (+ a phase), whatever came back.
    const start = now()
    const end = start + seconds * 1000
    const interval = (1000 * MOVERS) / RATE
    const next = movers.map((_, i) => (i * interval) / MOVERS)
    const sentBy = movers.map(() => 0)
    let count = 0
    while (now() < end) {
      const t = now() - start
      for (let i = 0; i < MOVERS; i++) {
        while (next[i]! <= t) {
          // In order: each update of a client follows its previous one.
          const mv = moves[i]![sentBy[i]!++]
          next[i]! += interval
          if (!mv) continue
          movers[i]!.send(mv.frame, mv.clock)
          sent.set(mv.key, Date.now())
          count++
        }
      }
      await new Promise((r) => setTimeout(r, 2))
    }
    await new Promise((r) => setTimeout(r, 1500))
    if (cdp) say(`page profile, live phase:\n${topFunctions((await cdp.send('Profiler.stop')).profile as Profile)}`)
    const frames = (await page.evaluate(() => (globalThis as any).__scenesync.frames())) as { intervals: number[]; renders: number[] }
    const seen = (await page.evaluate(() => (globalThis as any).__scenesync.takeWatched())) as Array<[string, number, number]>
    const latencies: number[] = []
    for (const [id, x, at] of seen) {
      const t = sent.get(`${id}|${x}`)
      if (t !== undefined) latencies.push(at - t)
    }
    const acked = movers.reduce((n, m) => n + m.acked, 0)
    const closed = [...new Set(movers.map((m) => m.closed).filter((c) => c !== null))]
    for (const m of movers.splice(0)) m.close()
    const frame = summarize(frames.intervals)
    const work = summarize(frames.renders)
    const lat = summarize(latencies)

    say(`scrubbing ${scrubs} positions ...`)
    await page.evaluate(() => (globalThis as any).__scenesync.refreshSpan())
    const h = (await page.evaluate(() => (globalThis as any).__scenesync.history())) as { first: number; last: number }
    const rs = rng(11)
    const scrubMs: number[] = []
    const fetchMs: number[] = []
    for (let i = 0; i < scrubs; i++) {
      const t = h.first + rs() * (h.last - h.first)
      const r = (await page.evaluate((tt) => (globalThis as any).__scenesync.seek(tt), t)) as { ms: number; fetchMs: number }
      scrubMs.push(r.ms)
      fetchMs.push(r.fetchMs)
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
    return {
      bench: 'web',
      objects: 1000,
      log_updates: updates,
      browser: 'headless Chromium, SwiftShader WebGL',
      load_avg_1m: round(os.loadavg()[0]!, 2),
      cores: os.cpus().length,
      first_frame_ms: round(warm.p50, 0),
      first_frame_ms_max: round(warm.max, 0),
      first_frame_cold_ms: round(firstFrames[0]!, 0),
      first_live_ms: round(summarize(liveFrames.length > 1 ? liveFrames.slice(1) : liveFrames).p50, 0),
      first_load_marks_ms: marks,
      js_bytes: fs.statSync(path.join(WEB_OUT, 'app.js')).size,
      js_bytes_transferred: transfer,
      clients: MOVERS,
      updates_sent: count,
      updates_per_s: round(count / seconds, 0),
      updates_acked: acked,
      movers_closed: closed,
      frame_ms_p50: round(frame.p50, 1),
      frame_ms_p99: round(frame.p99, 1),
      frames: frame.n,
      frame_work_ms_p50: round(work.p50, 1),
      frame_work_ms_p99: round(work.p99, 1),
      edit_to_page_ms_p50: round(lat.p50, 1),
      edit_to_page_ms_p99: round(lat.p99, 1),
      edits_seen_by_page: latencies.length,
      scrub_ms_p50: round(scrub.p50, 1),
      scrub_ms_p99: round(scrub.p99, 1),
      scrub_positions: scrub.n,
      scrub_fetch_ms_p50: round(summarize(fetchMs).p50, 1),
      scrub_fetch_ms_p99: round(summarize(fetchMs).p99, 1),
      scrub_drag_ms_p50: round(dragS.p50, 1),
      scrub_drag_ms_p99: round(dragS.p99, 1),
      scrub_drag_positions_shown: dragS.n,
    }
  } finally {
    for (const m of movers) m.close()
    await browser.close()
    await server?.kill('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
