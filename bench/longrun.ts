/**
 * `npm run bench -- longrun`: one long-lived room (issue 14, part 4). What
 * grows in a Yjs room that is edited for a long time, and what it costs a
 * late joiner. See docs/long-running-rooms.md for the reading of the figures.
 *
 *  1. BENCH_UPDATES (10,000,000) transform updates on BENCH_OBJECTS (1,000)
 *     objects from BENCH_EDITORS (8) editors taking turns: each drag (20–120
 *     steps, as the agent writes them: the location channel, stamped) is by
 *     an editor picked at random, so most drags start with a switch of
 *     editor on that object. The editors are one Y.Doc whose client id
 *     changes at a switch: exactly the doc 8 fully synced editors would
 *     make, without replicating 10 million updates 8 times.
 *  2. Every update goes into the embedded log (group-committed in batches of
 *     BENCH_BATCH, 512) with the projector following live in this process,
 *     as `scenesync serve` runs it (snapshot-policy.ts). That is
 *     the server's durable path without its WebSocket front; the front is
 *     measured below and by `bench sync`.
 *  3. At BENCH_CHECKPOINTS (10) points: the encoded state of the room
 *     (Y.encodeStateAsUpdate), against a fresh encoding of the same content
 *     (a new doc written from the current values).
 *  4. Then `scenesync serve` (child process, built JavaScript) opens the
 *     folder, and a late joiner (stock y-websocket provider, empty doc)
 *     syncs: cold (the server loads the room: latest snapshot + tail) and
 *     warm (a second joiner, room loaded); its content must equal the
 *     editors'. The room's heap: the room loaded here from the log, heap
 *     used before and after (after GC); the server's RSS before and after
 *     the joins.
 *
 * Environment: BENCH_UPDATES, BENCH_OBJECTS, BENCH_EDITORS, BENCH_BATCH,
 * BENCH_CHECKPOINTS, BENCH_SEED (1).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import * as Y from 'yjs'
import { SceneDoc, type Xform } from '../src/crdt/index.js'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { loadRoom } from '../src/projection/load-room.js'
import { Projector } from '../src/projection/projector.js'
import { openDatabase } from '../src/projection/sql.js'
import { rng, round } from './stats.js'
import { memoryOf, startServer } from './sync-servers.js'
import { stockClient } from './sync-stock-client.js'

const say = (msg: string) => process.stderr.write(`[longrun] ${msg}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ROOM = 'long'
const num = (name: string, dflt: number, min = 1) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`)
  return n
}

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
const heapMb = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / (1 << 20)
}

/** The same content written anew into an empty doc: what compaction into a new epoch would start from. */
function freshEncoding(doc: Y.Doc): number {
  const fresh = new Y.Doc()
  fresh.clientID = 1
  fresh.transact(() => {
    const from = doc.getMap('objects')
    const to = fresh.getMap('objects')
    for (const [id, m] of from) {
      if (!(m instanceof Y.Map)) continue
      const copy = new Y.Map()
      for (const [k, v] of m) copy.set(k, v instanceof Y.AbstractType ? v.toJSON() : v)
      to.set(id, copy)
    }
  })
  return Y.encodeStateAsUpdate(fresh).length
}

const objectsJson = (doc: Y.Doc) => {
  const o = doc.getMap('objects').toJSON()
  return JSON.stringify(o, Object.keys(o).sort())
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`longrun: ${what} did not happen within ${ms} ms`)
    await sleep(10)
  }
}

export async function runLongrun(): Promise<Record<string, unknown>> {
  const updates = num('BENCH_UPDATES', 10_000_000)
  const nObjects = num('BENCH_OBJECTS', 1000)
  const nEditors = num('BENCH_EDITORS', 8)
  const batch = num('BENCH_BATCH', 512)
  const checkpoints = num('BENCH_CHECKPOINTS', 10)
  const r = rng(num('BENCH_SEED', 1))
  const load0 = os.loadavg()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-longrun-'))
  let server: Awaited<ReturnType<typeof startServer>> | null = null
  try {
    say(`${updates} updates, ${nObjects} objects, ${nEditors} editors taking turns; load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)
    const log = SqliteEventLog.open(dir)
    const db = openDatabase(path.join(dir, 'projection.sqlite'))
    const projector = new Projector(log, db, { worker: true, batchSize: 500 })
    projector.start()
    const scene = new SceneDoc()
    const doc = scene.doc
    const clients = Array.from({ length: nEditors }, (_, i) => 0x9000 + i)
    doc.clientID = clients[0]!
    let pending: Uint8Array[] = []
    let origin = { client: doc.clientID, user: 'editor-0' }
    const appends: Promise<unknown>[] = []
    const flush = () => {
      if (pending.length === 0) return
      const o = origin
      appends.push(log.append(ROOM, pending.map((update) => ({ update, origin: o }))))
      pending = []
    }
    doc.on('update', (u: Uint8Array) => pending.push(u))
    const ids = Array.from({ length: nObjects }, (_, i) => `obj-${String(i).padStart(5, '0')}`)
    const xforms = new Map<string, Xform>()
    scene.transact(() =>
      ids.forEach((id, i) => {
        const x: Xform = { mode: 'XYZ', location: [i % 40, Math.floor(i / 40), 0], rotation: [0, 0, 0], scale: [1, 1, 1] }
        xforms.set(id, x)
        scene.upsertObject(id, { name: `Object.${i}`, type: 'EMPTY', xform: x })
      }),
    )
    flush()
    let time = 1_767_225_600_000
    let drag = { id: ids[0]!, left: 0, v: [0, 0, 0] }
    let switches = 0
    const growth: Array<{ updates: number; switches: number; state_bytes: number; fresh_bytes: number }> = []
    const t0 = performance.now()
    for (let u = 1; u <= updates; u++) {
      if (drag.left === 0) {
        const editor = Math.floor(r() * nEditors)
        if (clients[editor] !== doc.clientID) {
          flush() // one origin per append call
          doc.clientID = clients[editor]!
          origin = { client: doc.clientID, user: `editor-${editor}` }
          switches++
        }
        drag = { id: ids[Math.floor(r() * ids.length)]!, left: 20 + Math.floor(r() * 100), v: [r() - 0.5, r() - 0.5, (r() - 0.5) * 0.2].map((v) => v * 0.05) }
      }
      drag.left--
      const x = xforms.get(drag.id)!
      const next: Xform = { ...x, location: [x.location[0] + drag.v[0]!, x.location[1] + drag.v[1]!, x.location[2] + drag.v[2]!] }
      xforms.set(drag.id, next)
      time += 16
      scene.writeXformChannels(drag.id, next, { channels: ['location'], time })
      if (pending.length >= batch) flush()
      if (appends.length >= 8) await Promise.all(appends.splice(0))
      if (u % Math.ceil(updates / checkpoints) === 0 || u === updates) {
        flush()
        growth.push({ updates: u, switches, state_bytes: Y.encodeStateAsUpdate(doc).length, fresh_bytes: freshEncoding(doc) })
        const g = growth[growth.length - 1]!
        say(`${u} updates in ${round((performance.now() - t0) / 1000, 1)} s: state ${g.state_bytes} bytes, fresh ${g.fresh_bytes} (${round(g.state_bytes / g.fresh_bytes)}x)`)
      }
    }
    flush()
    await Promise.all(appends)
    const writeS = (performance.now() - t0) / 1000
    const head = (await log.head())
    await until('the projector to catch up', 3_600_000, () => projector.position().cursor === head)
    const projectS = (performance.now() - t0) / 1000
    await projector.stop()
    db.close()
    const snapshot = await log.getSnapshot(ROOM)
    log.checkpoint()
    const logBytes = log.sizeOnDisk()

    // The room's heap: loaded as the server loads it (latest snapshot + tail).
    const expected = objectsJson(doc)
    const state = Y.encodeStateAsUpdate(doc)
    const fresh = freshEncoding(doc)
    const generatorStructs = [...doc.store.clients.values()].reduce((n, s) => n + s.length, 0)
    scene.doc.destroy()
    const before = heapMb()
    const tLoad = performance.now()
    const loaded = await loadRoom(log, ROOM)
    const loadMs = performance.now() - tLoad
    const roomHeap = heapMb() - before
    const loadedMatches = objectsJson(loaded.doc) === expected
    loaded.doc.destroy()
    await log.close()

    say('serving the folder; a late joiner syncs ...')
    server = await startServer('ours', dir)
    const srv = server
    await sleep(500)
    const rssBefore = memoryOf(srv.pid).rss
    const join = async () => {
      const d = new Y.Doc()
      const t = performance.now()
      const c = stockClient('y-websocket', srv.url, ROOM, d)
      await until('the late joiner to sync', 300_000, () => c.synced)
      const ms = performance.now() - t
      const same = objectsJson(d) === expected
      c.destroy()
      d.destroy()
      return { ms, same }
    }
    const cold = await join()
    const warm = await join()
    const rssAfter = memoryOf(srv.pid).rss
    const last = growth[growth.length - 1]!
    const first = growth[0]!
    return {
      bench: 'longrun',
      updates,
      objects: nObjects,
      editors: nEditors,
      editor_switches: switches,
      entries: updates + 1,
      write_updates_per_s: Math.round(updates / writeS),
      project_caught_up_s: round(projectS, 1),
      state_bytes: state.length,
      fresh_state_bytes: fresh,
      state_ratio_to_fresh: round(state.length / fresh, 2),
      state_bytes_per_update: round((last.state_bytes - first.state_bytes) / (last.updates - first.updates), 3),
      state_bytes_per_switch: round((last.state_bytes - first.state_bytes) / Math.max(1, last.switches - first.switches), 2),
      structs: generatorStructs,
      growth,
      snapshot_bytes: snapshot?.state.length ?? 0,
      log_bytes: logBytes,
      room_heap_mb: round(roomHeap, 1),
      room_load_ms: round(loadMs, 1),
      loaded_room_matches: loadedMatches,
      late_join_ms: round(cold.ms, 1),
      late_join_warm_ms: round(warm.ms, 1),
      late_joiner_matches: cold.same && warm.same,
      server_rss_mb_before_join: round(rssBefore, 1),
      server_rss_mb_after_join: round(rssAfter, 1),
      load_average_start: round(load0[0]!, 2),
      load_average_end: round(os.loadavg()[0]!, 2),
    }
  } finally {
    await server?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
