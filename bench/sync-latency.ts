/**
 * The open-loop latency run: 16 clients in one room, every one an editor with
 * its own Y.Doc moving its own objects; edits are issued at a fixed total rate
 * whatever the server does (open loop: the schedule never waits for replies),
 * each to an editor picked by a seeded PRNG.
 *
 * Of the 16, `providers` (default 2) are the server's stock client (y-websocket
 * v3 `WebsocketProvider`, or `HocuspocusProvider` for Hocuspocus): they send
 * their edits and apply everyone's. The rest
 * are raw protocol clients (sync-raw-client.ts) that send each local edit's
 * update as the provider would, and read back only (client, clock) of what
 * they receive. The server's work is the same as with 16 providers (16
 * connections, every update fanned out to all 16); 16 full providers in one
 * bench process on a 2-core machine would measure the bench process instead
 * (tried: it fell ~15% behind the schedule with p99 lag near a second).
 *
 * edit → peer: at each stock provider, for every other client's edit, the
 * time from the sender's local edit (just before its transaction; the update
 * is sent from inside it) to the provider applying it (the doc's
 * `afterTransaction` whose origin is the provider and whose state vector now
 * covers the edit's clock range). Every (edit, provider) pair is one sample.
 *
 * edit → ack: at each raw client, the time from its edit to the server's
 * acknowledgement (sync-raw-client.ts: its own update coming back for the
 * y-websocket servers, ours only after the fsynced append; SyncStatus for
 * Hocuspocus, once the update is in its memory).
 *
 * edit → projection (ours only): a worker thread opens the server's
 * `projection.sqlite` read-only and polls `projector_state.seq` every ~1 ms;
 * new `events` rows (one per log entry; `client` = the sender's Yjs client id;
 * a client's entries are in its send order) are matched to that client's
 * edits in order. Resolution: the poll interval (~1 ms).
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { RawClient, firstClock } from './sync-raw-client.js'
import { type ServerProc, cpuSecondsOf } from './sync-servers.js'
import { stockClient } from './sync-stock-client.js'
import { Editor } from './sync-workload.js'
import { rng, summarize } from './stats.js'

const require = createRequire(import.meta.url)
const wall = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface LatencyOptions {
  clients: number
  /** How many of the clients are stock providers (the rest are raw protocol clients). */
  providers: number
  objectsPerClient: number
  rate: number
  warmupSeconds: number
  seconds: number
  seed: number
  say: (msg: string) => void
}

type Summary = { p50: number; p99: number; max: number; n: number }

export interface LatencyResult {
  offered_rate: number
  achieved_rate: number
  edits: number
  measured_edits: number
  transforms_per_edit: number
  edit_to_peer_ms: Summary
  /** (edit, provider) pairs not delivered by the end of the drain. */
  undelivered_pairs: number
  edit_to_ack_ms: Summary
  unacked_edits: number
  edit_to_projection_ms: Summary | null
  unprojected_edits: number | null
  /** How late the open-loop generator issued edits (bench process busy), ms. */
  generator_lag_ms: Summary
  server_cpu_percent: number
  bench_cpu_percent: number
  disconnects: number
  /** Raw clients the server closed during the run (code and reason). */
  closed_connections: string[]
}

const WATCH_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.sqlite)
const db = new Database(workerData.file, { readonly: true, fileMustExist: true })
db.pragma('busy_timeout = 50')
const head = db.prepare('SELECT seq FROM projector_state WHERE id = 1').pluck()
const rows = db.prepare('SELECT seq, client FROM events WHERE seq > ? ORDER BY seq').raw()
let last = workerData.from
const out = []
const timer = setInterval(() => {
  let s
  try { s = head.get() } catch { return }
  if (s > last) {
    const t = performance.timeOrigin + performance.now()
    for (const [seq, client] of rows.iterate(last)) { out.push(seq, client, t); last = seq }
  }
}, 1)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  const a = Float64Array.from(out)
  parentPort.postMessage(a, [a.buffer])
})
`

/** Per sender: each edit's first clock, wall time, and whether it is in the measured window. */
interface SentLog {
  clocks: number[]
  times: number[]
  measured: boolean[]
}

export async function runLatency(server: ServerProc, room: string, o: LatencyOptions): Promise<LatencyResult> {
  const editors = Array.from({ length: o.clients }, (_, i) => new Editor(i, o.objectsPerClient, o.seed))
  const byClientId = new Map(editors.map((e, i) => [e.doc.clientID, i]))
  const nProviders = Math.min(o.providers, o.clients)
  const providers = editors.slice(0, nProviders).map((e) => stockClient(server.protocol, server.url, room, e.doc))
  const raws = editors.slice(nProviders).map((e) => {
    const c = new RawClient({ protocol: server.protocol, url: server.url, room, clientId: e.doc.clientID })
    e.doc.on('update', (u: Uint8Array) => c.send(u, firstClock(u)))
    return c
  })
  const sent: SentLog[] = editors.map(() => ({ clocks: [], times: [], measured: [] }))
  const peerSamples: number[] = []
  // ptr[provider][sender]: the sender's next edit this provider has not applied yet.
  const ptr = providers.map(() => editors.map(() => 0))
  providers.forEach((provider, peer) => {
    editors[peer]!.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.origin !== provider.origin) return
      let t = 0
      tr.afterState.forEach((after, client) => {
        if (after <= (tr.beforeState.get(client) ?? 0)) return
        const s = byClientId.get(client)
        if (s === undefined || s === peer) return
        const log = sent[s]!
        const p = ptr[peer]!
        let i = p[s]!
        while (i < log.clocks.length && log.clocks[i]! < after) {
          if (log.measured[i]) {
            if (t === 0) t = wall()
            peerSamples.push(t - log.times[i]!)
          }
          i++
        }
        p[s] = i
      })
    })
  })

  const connectDeadline = Date.now() + 20_000
  while (!providers.every((p) => p.synced)) {
    if (Date.now() > connectDeadline) throw new Error(`${server.kind}: providers did not sync within 20 s`)
    await sleep(10)
  }
  await Promise.all(raws.map((c) => c.open))
  const total = o.clients * o.objectsPerClient
  o.say(`${server.kind}: ${nProviders} stock providers + ${raws.length} raw clients connected; creating ${total} objects`)
  for (const e of editors) e.create()
  const setupDeadline = Date.now() + 20_000
  while (!editors.slice(0, nProviders).every((e) => e.doc.getMap('objects').size === total) || raws.some((c) => c.acked < c.sent)) {
    if (Date.now() > setupDeadline) throw new Error(`${server.kind}: setup did not reach every client within 20 s`)
    await sleep(10)
  }
  const rawBase = raws.map((c) => c.sent)

  // Ours: wait until the projection has the setup, then watch it from there.
  let watcher: Worker | null = null
  // BENCH_WATCH_PROJECTION=0 leaves the watcher out: it is a thread of the bench's polling SQLite every ~1 ms.
  if (server.projectionFile && process.env.BENCH_WATCH_PROJECTION !== '0') {
    const Database = require('better-sqlite3') as typeof import('better-sqlite3')
    const db = new Database(server.projectionFile, { readonly: true, fileMustExist: true })
    const deadline = Date.now() + 20_000
    let from = 0
    for (;;) {
      const objects = (db.prepare('SELECT count(*) FROM objects').pluck().get() as number) ?? 0
      from = (db.prepare('SELECT seq FROM projector_state WHERE id = 1').pluck().get() as number) ?? 0
      if (objects >= total) break
      if (Date.now() > deadline) throw new Error('ours: the projection did not show the setup within 20 s')
      await sleep(20)
    }
    db.close()
    watcher = new Worker(WATCH_SOURCE, { eval: true, workerData: { sqlite: require.resolve('better-sqlite3'), file: server.projectionFile, from } })
    await sleep(50)
  }

  const count = Math.round(o.rate * (o.warmupSeconds + o.seconds))
  const warmupMs = o.warmupSeconds * 1000
  const pick = rng(o.seed + 1)
  const lags: number[] = []
  let issued = 0
  let transforms = 0
  o.say(`${server.kind}: open loop, ${o.rate} edits/s for ${o.warmupSeconds} s warm-up + ${o.seconds} s measured (${count} edits)`)
  const cpu0 = cpuSecondsOf(server.pid)
  const benchCpu0 = process.cpuUsage()
  const t0 = performance.now()
  let tEnd = t0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      const due = Math.min(count, Math.floor(((now - t0) * o.rate) / 1000))
      while (issued < due) {
        const scheduled = t0 + (issued * 1000) / o.rate
        const s = Math.floor(pick() * editors.length)
        const e = editors[s]!
        const log = sent[s]!
        log.clocks.push(Y.getState(e.doc.store, e.doc.clientID))
        const t = performance.now()
        log.times.push(performance.timeOrigin + t)
        const measured = scheduled - t0 >= warmupMs
        log.measured.push(measured)
        // Over the measured window, as the latencies are. Beside ours the first
        // second of warm-up lagged up to ~250 ms (the server still projecting the
        // setup) and that alone made the p99 (100–260 ms) of a run whose measured
        // window lagged a few ms.
        if (measured) lags.push(t - scheduled)
        transforms += e.edit()
        issued++
      }
      if (issued >= count) {
        tEnd = performance.now()
        resolve()
      } else setTimeout(tick, 1)
    }
    tick()
  })
  const elapsed = (tEnd - t0) / 1000
  const serverCpu = cpuSecondsOf(server.pid) - cpu0
  const benchCpu = process.cpuUsage(benchCpu0)
  // Let the last edits arrive everywhere (bounded).
  const drainDeadline = Date.now() + 10_000
  const undelivered = () => {
    let missing = 0
    ptr.forEach((p, peer) => p.forEach((i, s) => s !== peer && (missing += sent[s]!.clocks.length - i)))
    return missing
  }
  while ((undelivered() > 0 || raws.some((c) => c.acked < c.sent)) && Date.now() < drainDeadline) await sleep(10)
  const undeliveredPairs = undelivered()

  // Own edits back at raw senders. A raw client's sends after setup are exactly its edits.
  const ackSamples: number[] = []
  let unacked = 0
  raws.forEach((c, r) => {
    const s = nProviders + r
    const log = sent[s]!
    for (let i = 0; i < log.times.length; i++) {
      const k = rawBase[r]! + i
      if (k >= c.acked) {
        unacked++
        continue
      }
      if (log.measured[i]) ackSamples.push(performance.timeOrigin + c.ackTimes[k]! - log.times[i]!)
    }
  })

  let projSamples: number[] | null = null
  let unprojected: number | null = null
  if (watcher) {
    // Give the projector time to catch up with the last edits, then collect.
    const w = watcher
    await sleep(300)
    const seen: Float64Array = await new Promise((resolve) => {
      w.once('message', resolve)
      w.postMessage('stop')
    })
    await w.terminate()
    projSamples = []
    const next = editors.map(() => 0)
    let matched = 0
    for (let k = 0; k < seen.length; k += 3) {
      const s = byClientId.get(seen[k + 1]!)
      if (s === undefined) continue
      const i = next[s]!++
      const log = sent[s]!
      if (i >= log.times.length) continue
      matched++
      if (log.measured[i]) projSamples.push(seen[k + 2]! - log.times[i]!)
    }
    unprojected = issued - matched
  }

  const closedConnections = raws.filter((c) => c.closed).map((c) => c.closed!)
  const disconnects = providers.reduce((n, p) => n + p.disconnects, 0)
  for (const p of providers) p.destroy()
  for (const c of raws) c.close()
  for (const e of editors) e.doc.destroy()
  await sleep(100)
  const measured = sent.reduce((n, l) => n + l.measured.filter(Boolean).length, 0)
  return {
    offered_rate: o.rate,
    achieved_rate: Math.round(issued / elapsed),
    edits: issued,
    measured_edits: measured,
    transforms_per_edit: Math.round((transforms / issued) * 100) / 100,
    edit_to_peer_ms: summarize(peerSamples),
    undelivered_pairs: undeliveredPairs,
    edit_to_ack_ms: summarize(ackSamples),
    unacked_edits: unacked,
    edit_to_projection_ms: projSamples ? summarize(projSamples) : null,
    unprojected_edits: unprojected,
    generator_lag_ms: summarize(lags),
    server_cpu_percent: Math.round((serverCpu / elapsed) * 100),
    bench_cpu_percent: Math.round(((benchCpu.user + benchCpu.system) / 1e6 / elapsed) * 100),
    disconnects,
    closed_connections: closedConnections,
  }
}
