/**
 * `npm run bench -- core`: the event-sourced core on its own (issue "Event-sourced
 * core"). 1,000 objects; 1,000,000 transform updates from 8 editors, half
 * single-object drags and half multi-object moves; appended the way the
 * server appends (each update its own append call, group-committed with the
 * others that arrive together) while the projector follows live; then a
 * rebuild of the projection; then time-travel queries at random points.
 *
 * Units: an "event" is one object transform update (the workload's unit); an
 * "entry" is one log entry (one Yjs update: a multi-object move is one entry
 * carrying several transform updates). Both are reported.
 *
 * Environment: BENCH_TRANSFORMS (default 1000000), BENCH_BATCH (appends that
 * arrive together, default 64), BENCH_DURABILITY (full|normal, default full),
 * BENCH_XFORM_TIMES (1 default: transforms carry channel edit times, as agents
 * write them; 0: without, to measure what the times cost), BENCH_WORKER_SINK
 * (1 default: the live projector's worker thread writes its own rows, as the
 * server runs it; 0: its rows are written on the appending thread).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { Projector } from '../src/projection/projector.js'
import { rebuildProjection } from '../src/projection/rebuild.js'
import { openDatabase } from '../src/projection/sql.js'
import { TimeTravel } from '../src/projection/time-travel.js'
import { makeWorkload } from './scene-workload.js'
import { now, rng, round, rssSampler, summarize } from './stats.js'

const say = (msg: string) => process.stderr.write(`[core] ${msg}\n`)
const ROOM = 'bench'

export async function runCore(): Promise<Record<string, unknown>> {
  const transforms = Number(process.env.BENCH_TRANSFORMS ?? 1_000_000)
  const batch = Number(process.env.BENCH_BATCH ?? 64)
  const durability = (process.env.BENCH_DURABILITY ?? 'full') as 'full' | 'normal'
  const rss = rssSampler()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-core-'))
  try {
    say(`generating ${transforms} transform updates with real Y.Docs ...`)
    const t0 = now()
    const stamped = process.env.BENCH_XFORM_TIMES !== '0'
    const w = makeWorkload({ objects: 1000, transformUpdates: transforms, editors: 8, stamped })
    say(`generated ${w.updates.length} entries in ${round((now() - t0) / 1000)} s`)

    const log = SqliteEventLog.open(dir, { durability })
    const projFile = path.join(dir, 'projection.sqlite')
    const db = openDatabase(projFile)
    // As the server runs it: Yjs and SQL halves in the worker thread (BENCH_WORKER_SINK=0: SQL on this thread).
    const liveWorker = process.env.BENCH_LIVE_WORKER !== '0'
    const workerSink = liveWorker && process.env.BENCH_WORKER_SINK !== '0'
    const projector = new Projector(log, db, { worker: liveWorker, ...(workerSink ? { sinkFile: projFile } : {}) })
    await log.append(ROOM, w.setup.map((u) => ({ update: u.update, origin: { client: u.client, user: `editor-${u.editor}` } })))
    await projector.catchUp()
    const setupEntries = w.setup.length

    say(`appending ${w.updates.length} entries in batches of ${batch}, projector following live ...`)
    projector.start()
    const tAppend = now()
    // CPU of every thread of the process: a figure that a busy machine disturbs far less than the rates.
    const cpuAppend = process.cpuUsage()
    for (let i = 0; i < w.updates.length; i += batch) {
      const group = w.updates.slice(i, i + batch)
      // Separate calls, as the server makes one per message; the log commits them together.
      await Promise.all(group.map((u) => log.append(ROOM, [{ update: u.update, origin: { client: u.client, user: `editor-${u.editor}` } }])))
    }
    const appendMs = now() - tAppend
    const target = setupEntries + w.updates.length
    const entries = w.updates.length
    // The updates are in the log now; drop them, so the phases below run with
    // the heap a server or `scenesync project --rebuild` would have.
    w.updates.length = 0
    w.setup.length = 0
    while (projector.position().seq < target) await new Promise((r) => setTimeout(r, 5))
    const liveMs = now() - tAppend
    const liveCpu = process.cpuUsage(cpuAppend)
    await projector.stop()
    say(`appended in ${round(appendMs / 1000)} s; projected live by ${round(liveMs / 1000)} s`)

    say('projecting the whole log into a fresh database (live settings) ...')
    const freshFile = path.join(dir, 'fresh.sqlite')
    const fresh = openDatabase(freshFile)
    const tProject = now()
    const cpuProject = process.cpuUsage()
    const freshProjector = new Projector(log, fresh, { snapshotEvery: 0, worker: true })
    await freshProjector.catchUp()
    await freshProjector.stop()
    const projectMs = now() - tProject
    const projectCpu = process.cpuUsage(cpuProject)
    fresh.close()

    say('rebuilding ...')
    const rebuildFile = path.join(dir, 'rebuilt.sqlite')
    const tRebuild = now()
    await rebuildProjection(log, rebuildFile)
    const rebuildMs = now() - tRebuild

    log.checkpoint()
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    const logBytes = log.sizeOnDisk()
    const projBytes = fs.statSync(projFile).size

    say('time-travel queries ...')
    const tt = new TimeTravel(db)
    const head = tt.head()
    const r = rng(7)
    const sceneMs: number[] = []
    let objectsSeen = 0
    for (let i = 0; i < 200; i++) {
      const seq = setupEntries + Math.floor(r() * (head - setupEntries)) + 1
      const t = now()
      objectsSeen += tt.sceneAt(ROOM, { seq }).length
      sceneMs.push(now() - t)
    }
    const pathMs: number[] = []
    let points = 0
    for (let i = 0; i < 200; i++) {
      const id = w.objectIds[Math.floor(r() * w.objectIds.length)]!
      const a = Math.floor(r() * head * 0.9)
      const t = now()
      points += tt.path(ROOM, id, { seq: a }, { seq: a + Math.floor(head * 0.1) }).length
      pathMs.push(now() - t)
    }
    const historyRows = (db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n
    db.close()
    await log.close()
    const scene = summarize(sceneMs)
    const pth = summarize(pathMs)
    const perS = (n: number, ms: number) => Math.round(n / (ms / 1000))
    return {
      bench: 'core',
      objects: w.objectIds.length,
      events: w.transformUpdates,
      entries,
      editors: 8,
      append_batch: batch,
      durability,
      xform_times: stamped,
      live_sql_in_worker: workerSink,
      append_events_per_s: perS(w.transformUpdates, appendMs),
      append_entries_per_s: perS(entries, appendMs),
      append_project_events_per_s: perS(w.transformUpdates, liveMs),
      append_project_entries_per_s: perS(entries, liveMs),
      append_project_cpu_us_per_event: round((liveCpu.user + liveCpu.system) / w.transformUpdates, 2),
      project_events_per_s: perS(w.transformUpdates, projectMs),
      project_cpu_us_per_event: round((projectCpu.user + projectCpu.system) / w.transformUpdates, 2),
      project_entries_per_s: perS(entries, projectMs),
      rebuild_events_per_s: perS(w.transformUpdates, rebuildMs),
      rebuild_entries_per_s: perS(entries, rebuildMs),
      scene_at_ms_p50: round(scene.p50, 3),
      scene_at_ms_p99: round(scene.p99, 3),
      scene_at_objects_avg: Math.round(objectsSeen / 200),
      path_query_ms_p50: round(pth.p50, 3),
      path_query_ms_p99: round(pth.p99, 3),
      path_points_avg: Math.round(points / 200),
      history_rows: historyRows,
      log_bytes_per_event: round(logBytes / w.transformUpdates, 1),
      log_bytes_per_entry: round(logBytes / entries, 1),
      projection_bytes_per_event: round(projBytes / w.transformUpdates, 1),
      peak_rss_mb: Math.round(rss.peak()),
    }
  } finally {
    rss.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
