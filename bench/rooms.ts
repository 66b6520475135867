/**
 * `npm run bench -- rooms`: many rooms on one server (issue 14, part 3).
 * BENCH_ROOMS (1,000) rooms × BENCH_CLIENTS_PER_ROOM (4) stock y-websocket
 * providers against `scenesync serve` (a child process, built JavaScript):
 *
 *  1. Setup: each room's scene (BENCH_OBJECTS_PER_ROOM, 8 objects, one
 *     editor's creation update) is appended to the log of a fresh data folder
 *     before the server starts, so every room is cold on disk (in no memory).
 *  2. Cold join: the rooms are joined BENCH_JOIN_CONCURRENCY (4) at a time;
 *     join = new provider → its `synced` (sync step 2 received), for the
 *     first client of a room (the one that makes the server load it). The
 *     other clients then join; every client must see the room's objects.
 *  3. Idle with presence: every client sets its presence (user, selection,
 *     active object); after BENCH_IDLE_SETTLE_SECONDS (5) the server's RSS
 *     less its RSS before any room was loaded, per room, is
 *     `rss_mb_per_idle_room` (each room here holds its 4 connections too).
 *  4. Active: BENCH_ACTIVE_FRACTION (10%) of the rooms have one editor each
 *     at BENCH_ACTIVE_RATE (30) updates/s (open loop), for
 *     BENCH_WARMUP_SECONDS (2) + BENCH_SECONDS (15), while the rest stay
 *     idle. edit → peer at the room's stock peers, matched by the editor's
 *     Yjs clock (as bench sync does); the generator's own lag is reported so
 *     a busy machine shows. In active rooms only BENCH_ACTIVE_STOCK_PEERS (1)
 *     of the 3 peers stay stock providers; the others are swapped for raw
 *     protocol clients that read what arrives without applying it (as in
 *     bench sync): the server's work is the same (4 connections, each update
 *     fanned out to 3), while 300 providers applying 3,000 updates/s in the
 *     bench process measured the bench process (tried: it fell tens of
 *     seconds behind and every provider timed out).
 *  5. Unload and reload: every client leaves; the server (started with
 *     --unload-after-ms BENCH_UNLOAD_MS, 2,000) drops every room from memory
 *     (its `scenesync_rooms_loaded` gauge reaches 0); then one fresh
 *     provider per room joins and its objects must equal the editor's doc.
 *
 * The bench process holds all 4,000 providers: on a 2-core machine it shares
 * the cores with the server, so its CPU and lag are in the JSON.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { round, summarize } from './stats.js'
import { RawClient } from './sync-raw-client.js'
import { type ServerProc, cpuSecondsOf, memoryOf, startServer } from './sync-servers.js'
import { type StockClient, stockClient } from './sync-stock-client.js'
import { Editor } from './sync-workload.js'

const say = (msg: string) => process.stderr.write(`[rooms] ${msg}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const num = (name: string, dflt: number, min = 0) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(v)}`)
  return n
}

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`rooms: ${what} did not happen within ${ms} ms`)
    await sleep(20)
  }
}

async function roomsLoaded(server: ServerProc): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
  const m = /^scenesync_rooms_loaded (\d+)/m.exec(text)
  if (!m) throw new Error('rooms: /metrics has no scenesync_rooms_loaded')
  return Number(m[1])
}

interface Room {
  name: string
  editor: Editor
  clients: StockClient[]
  docs: Y.Doc[]
}

const objectsJson = (doc: Y.Doc) => JSON.stringify(doc.getMap('objects').toJSON(), Object.keys(doc.getMap('objects').toJSON()).sort())

export async function runRooms(): Promise<Record<string, unknown>> {
  const nRooms = Math.round(num('BENCH_ROOMS', 1000, 1))
  const perRoom = Math.round(num('BENCH_CLIENTS_PER_ROOM', 4, 2))
  const objects = Math.round(num('BENCH_OBJECTS_PER_ROOM', 8, 1))
  const concurrency = Math.round(num('BENCH_JOIN_CONCURRENCY', 4, 1))
  const activeFraction = num('BENCH_ACTIVE_FRACTION', 0.1)
  const rate = num('BENCH_ACTIVE_RATE', 30, 1)
  const warmup = num('BENCH_WARMUP_SECONDS', 2)
  const seconds = num('BENCH_SECONDS', 15, 1)
  const settle = num('BENCH_IDLE_SETTLE_SECONDS', 5)
  const unloadMs = Math.round(num('BENCH_UNLOAD_MS', 2000))
  const stockPeers = Math.min(perRoom - 1, Math.round(num('BENCH_ACTIVE_STOCK_PEERS', 1, 1)))
  const load0 = os.loadavg()
  // Every y-websocket provider adds a process 'exit' listener.
  process.setMaxListeners(0)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-rooms-'))
  const rooms: Room[] = []
  let server: ServerProc | null = null
  try {
    say(`${nRooms} rooms × ${perRoom} clients, ${objects} objects each; ${os.cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)
    const log = SqliteEventLog.open(dir)
    for (let i = 0; i < nRooms; i++) {
      const editor = new Editor(i, objects, 1, new Y.Doc(), 0x7000 + i)
      let created: Uint8Array | null = null
      editor.doc.once('update', (u: Uint8Array) => (created = u))
      editor.create()
      await log.append(`room-${i}`, [{ update: created!, origin: { client: editor.doc.clientID, user: `editor-${i}` } }])
      rooms.push({ name: `room-${i}`, editor, clients: [], docs: [] })
    }
    await log.close()
    server = await startServer('ours', dir, { serveArgs: ['--unload-after-ms', String(unloadMs)] })
    const srv = server
    await sleep(1000)
    const rssBase = memoryOf(srv.pid).rss

    say(`cold join, ${concurrency} rooms at a time ...`)
    const joinMs: number[] = []
    const join = async (room: Room) => {
      const t = performance.now()
      const first = stockClient('y-websocket', srv.url, room.name, room.editor.doc)
      room.clients.push(first)
      room.docs.push(room.editor.doc)
      await until(`the first client of ${room.name} to sync`, 30_000, () => first.synced)
      joinMs.push(performance.now() - t)
      for (let k = 1; k < perRoom; k++) {
        const doc = new Y.Doc()
        room.docs.push(doc)
        room.clients.push(stockClient('y-websocket', srv.url, room.name, doc))
      }
    }
    let next = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < rooms.length) await join(rooms[next++]!)
    }))
    await until('every client to see its room', 120_000, () => rooms.every((r) => r.clients.every((c) => c.synced) && r.docs.every((d) => d.getMap('objects').size === objects)))
    rooms.forEach((r, i) =>
      r.clients.forEach((c, k) => {
        const ids = r.editor.ids
        c.setPresence({ user: { name: `user-${i}-${k}`, color: '#3080ff' }, selection: [ids[k % ids.length]!], active: ids[k % ids.length]! })
      }),
    )
    say(`all joined; idle with presence for ${settle} s ...`)
    await sleep(settle * 1000)
    const loadedIdle = await roomsLoaded(srv)
    const rssIdle = memoryOf(srv.pid).rss
    const rssPerRoom = (rssIdle - rssBase) / nRooms

    const active = rooms.slice(0, Math.max(1, Math.round(nRooms * activeFraction)))
    say(`${active.length} rooms active at ${rate} updates/s each for ${warmup} + ${seconds} s ...`)
    const raws: RawClient[] = []
    for (const room of active) {
      while (room.clients.length > 1 + stockPeers) {
        room.clients.pop()!.destroy()
        room.docs.pop()!.destroy()
        raws.push(new RawClient({ protocol: 'y-websocket', url: srv.url, room: room.name, clientId: 0x6000_0000 + raws.length }))
      }
    }
    await Promise.all(raws.map((c) => c.open))
    // Per active room: each edit's first clock and time; per peer, the next edit it has not seen.
    const sent = active.map(() => ({ clocks: [] as number[], times: [] as number[], measured: [] as boolean[] }))
    const samples: number[] = []
    active.forEach((room, a) => {
      const editorClient = room.editor.doc.clientID
      room.docs.slice(1).forEach((doc, p) => {
        let i = 0
        doc.on('afterTransaction', (tr: Y.Transaction) => {
          if (tr.origin !== room.clients[p + 1]!.origin) return
          const after = tr.afterState.get(editorClient) ?? 0
          const log = sent[a]!
          const t = performance.timeOrigin + performance.now()
          while (i < log.clocks.length && log.clocks[i]! < after) {
            if (log.measured[i]) samples.push(t - log.times[i]!)
            i++
          }
        })
      })
    })
    const total = Math.round(rate * active.length * (warmup + seconds))
    const lags: number[] = []
    const cpu0 = cpuSecondsOf(srv.pid)
    const bench0 = process.cpuUsage()
    const t0 = performance.now()
    let issued = 0
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now()
        const due = Math.min(total, Math.floor(((now - t0) * rate * active.length) / 1000))
        while (issued < due) {
          const scheduled = t0 + (issued * 1000) / (rate * active.length)
          const a = issued % active.length
          const e = active[a]!.editor
          const log = sent[a]!
          const t = performance.now()
          log.clocks.push(Y.getState(e.doc.store, e.doc.clientID))
          log.times.push(performance.timeOrigin + t)
          const measured = scheduled - t0 >= warmup * 1000
          log.measured.push(measured)
          // Over the measured window, as the latencies are (bench sync traced warm-up lag
          // inflating the p99 of a run whose measured window lagged a few ms).
          if (measured) lags.push(t - scheduled)
          e.edit()
          issued++
        }
        if (issued >= total) resolve()
        else setTimeout(tick, 2)
      }
      tick()
    })
    const activeMs = performance.now() - t0
    const expected = active.length * stockPeers * sent[0]!.measured.filter(Boolean).length
    await until('the peers to receive every edit', 30_000, () => samples.length >= expected).catch(() => undefined)
    const serverCpu = ((cpuSecondsOf(srv.pid) - cpu0) / (activeMs / 1000)) * 100
    const bc = process.cpuUsage(bench0)
    const benchCpu = ((bc.user + bc.system) / 1000 / activeMs) * 100
    const lat = summarize(samples)
    const lag = summarize(lags)
    const hwm = memoryOf(srv.pid).hwm

    say('every client leaves; waiting for the server to unload every room ...')
    const expectedObjects = new Map(rooms.map((r) => [r.name, objectsJson(r.editor.doc)]))
    const disconnects = rooms.reduce((n, r) => n + r.clients.reduce((m, c) => m + c.disconnects, 0), 0)
    for (const r of rooms) for (const c of r.clients.splice(0)) c.destroy()
    for (const c of raws) c.close()
    await until('every room to be unloaded', 60_000 + unloadMs, async () => (await roomsLoaded(srv)) === 0)
    say('reloading every room with a fresh client ...')
    let mismatched = 0
    let reloadIndex = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (reloadIndex < rooms.length) {
        const r = rooms[reloadIndex++]!
        const doc = new Y.Doc()
        const c = stockClient('y-websocket', srv.url, r.name, doc)
        await until(`a fresh client of ${r.name} to sync`, 30_000, () => c.synced)
        if (objectsJson(doc) !== expectedObjects.get(r.name)) mismatched++
        c.destroy()
        doc.destroy()
      }
    }))
    const joined = summarize(joinMs)
    const warnings = srv.warnings()
    return {
      bench: 'rooms',
      rooms: nRooms,
      clients_per_room: perRoom,
      objects_per_room: objects,
      rooms_loaded_idle: loadedIdle,
      rss_mb_base: round(rssBase, 1),
      rss_mb_idle: round(rssIdle, 1),
      rss_mb_per_idle_room: round(rssPerRoom, 3),
      cold_join_ms_p50: round(joined.p50, 1),
      cold_join_ms_p99: round(joined.p99, 1),
      cold_join_ms_max: round(joined.max, 1),
      active_rooms: active.length,
      active_updates_per_s: round(issued / (activeMs / 1000), 0),
      active_edit_to_peer_ms_p50: round(lat.p50, 2),
      active_edit_to_peer_ms_p99: round(lat.p99, 2),
      active_edit_to_peer_samples: lat.n,
      active_stock_peers_per_room: stockPeers,
      active_undelivered: Math.max(0, expected - samples.length),
      generator_lag_ms_p50: round(lag.p50, 2),
      generator_lag_ms_p99: round(lag.p99, 2),
      server_cpu_percent: round(serverCpu, 0),
      bench_cpu_percent: round(benchCpu, 0),
      server_rss_mb_peak: round(hwm, 1),
      disconnects,
      rooms_reloaded: rooms.length,
      rooms_reloaded_mismatched: mismatched,
      server_warnings: warnings.length,
      load_average_start: round(load0[0]!, 2),
      load_average_end: round(os.loadavg()[0]!, 2),
    }
  } finally {
    for (const r of rooms) for (const c of r.clients.splice(0)) c.destroy()
    await server?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    // With 1,000 rooms, after providers had timed out and were reconnecting, something of
    // the 4,000 clients kept the process alive after the figures were printed (not found
    // yet); this lets it end once run.ts has written the JSON line, and only then.
    setTimeout(() => process.exit(process.exitCode ?? 0), 5000).unref()
  }
}
