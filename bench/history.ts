/**
 * `npm run bench -- history`: reading the past on the core benchmark's log
 * (bench/core.ts: 1,000 objects, 1,000,000 transform updates from 8 editors).
 *
 * Phases, each adding figures to the JSON line:
 * - timeline: pages of 500 entries from random positions (what a history
 *   slider fetches), p50/p99; the one-pass summary a slider draws markers from.
 * - gltf: the whole range as glTF, which is 1,000 objects × ~1,000 samples.
 * - parquet: the whole range as Parquet (~1,000,000 samples), and a tenth of
 *   it, to show memory stays flat as the range grows (`[H2]`); CSV alongside.
 * Exports run as `scenesync export` in a fresh process each, so their peak RSS
 * (the kernel's ru_maxrss) is theirs alone; it includes tsx's loader, since
 * the benchmark runs from source (the process's RSS before the export is
 * reported too).
 *
 * - preview, bake: the Blender History panel in a headless Blender, reading
 *   this log through a real server (bench/history-blender.ts): preview_ms
 *   (1,000 objects, slider released to view layer evaluated) and
 *   bake_100x1000_s (100 objects over the whole log).
 *
 * The log is the core benchmark's workload with one commit per entry, 16 ms
 * apart (the core benchmark appends flat out, so its entries share
 * milliseconds); about 2.8 hours of editing for 625,088 entries.
 *
 * Environment: BENCH_TRANSFORMS (default 1,000,000; smaller while the machine
 * is shared), BENCH_HISTORY_PHASES (comma list, default all), BENCH_HISTORY_DATA
 * (a folder to build the log and projection in and keep; reused when it holds
 * them already).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SqliteEventLog } from '../src/log/sqlite-event-log.js'
import { rebuildProjection } from '../src/projection/rebuild.js'
import { openDatabase, type SqlDatabase } from '../src/projection/sql.js'
import { TimeTravel } from '../src/projection/time-travel.js'
import { blenderBake, blenderPreview } from './history-blender.js'
import { makeWorkload } from './scene-workload.js'
import { now, rng, round, summarize } from './stats.js'

const say = (msg: string) => process.stderr.write(`[history] ${msg}\n`)
const ROOM = 'bench'
const ROOT = path.resolve(import.meta.dirname, '..')

export interface HistoryBenchContext {
  /** The data folder: event log and projection.sqlite. */
  data: string
  room: string
  db: SqlDatabase
  tt: TimeTravel
  objectIds: string[]
  transformUpdates: number
  say(msg: string): void
}

export type HistoryPhase = (ctx: HistoryBenchContext) => Promise<Record<string, unknown>>

/** Builds the core benchmark's log in `data` and projects it (skipped when `data` holds both already). */
async function build(data: string, transforms: number): Promise<{ objectIds: string[]; transformUpdates: number }> {
  const marker = path.join(data, 'history-bench.json')
  if (fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { transforms: number; objectIds: string[]; transformUpdates: number }
    if (m.transforms === transforms) {
      say(`reusing the log and projection in ${data}`)
      return m
    }
  }
  fs.rmSync(data, { recursive: true, force: true })
  fs.mkdirSync(data, { recursive: true })
  say(`generating ${transforms} transform updates with real Y.Docs ...`)
  const t0 = now()
  const w = makeWorkload({ objects: 1000, transformUpdates: transforms, editors: 8 })
  say(`generated ${w.updates.length} entries in ${round((now() - t0) / 1000)} s; appending ...`)
  const log = SqliteEventLog.open(data, { durability: 'normal' })
  const entry = (u: (typeof w.updates)[number]) => ({ update: u.update, origin: { client: u.client, user: `editor-${u.editor}` } })
  // The log stamps each commit with Date.now(); appended flat out, thousands of entries would
  // share a millisecond, and an object's samples would collapse into a few glTF keys. Give
  // each entry its own commit 16 ms after the last, as a session of live editing would.
  const realNow = Date.now
  let clock = Date.UTC(2026, 10, 24, 9, 0, 0)
  Date.now = () => clock
  try {
    await log.append(ROOM, w.setup.map(entry))
    for (let i = 0; i < w.updates.length; i++) {
      clock += 16
      await log.append(ROOM, [entry(w.updates[i]!)])
      if (i % 100_000 === 0) say(`appended ${i} ...`)
    }
  } finally {
    Date.now = realNow
  }
  const meta = { transforms, objectIds: w.objectIds, transformUpdates: w.transformUpdates }
  w.updates.length = 0
  say('projecting (rebuild) ...')
  const tp = now()
  await rebuildProjection(log, path.join(data, 'projection.sqlite'))
  say(`projected in ${round((now() - tp) / 1000)} s`)
  await log.close()
  fs.writeFileSync(marker, JSON.stringify(meta))
  return meta
}

const timeline: HistoryPhase = async ({ tt, room, say }) => {
  const last = tt.head()
  const r = rng(11)
  const ms: number[] = []
  let changes = 0
  say('timeline pages of 500 entries ...')
  for (let i = 0; i < 300; i++) {
    const after = Math.floor(r() * Math.max(1, last - 500))
    const t = now()
    const page = tt.timeline(room, { after, limit: 500 })
    ms.push(now() - t)
    changes += page.entries.reduce((n, e) => n + e.changes.length, 0)
  }
  const s = summarize(ms.slice(20)) // the first pages warm SQLite's cache
  // The core benchmark's scene_at on this same log (README: p50 7.5 ms on a quiet machine),
  // to tell how loaded the machine was while these figures were taken.
  const sceneMs: number[] = []
  for (let i = 0; i < 100; i++) {
    const t = now()
    tt.sceneAt(room, { seq: Math.floor(r() * last) + 1 })
    sceneMs.push(now() - t)
  }
  const ts = now()
  const summary = tt.timelineSummary(room, 200)
  const summaryMs = now() - ts
  return {
    timeline_page_entries: 500,
    timeline_page_changes_avg: Math.round(changes / 300),
    timeline_page_ms_p50: round(s.p50, 3),
    timeline_page_ms_p99: round(s.p99, 3),
    timeline_summary_ms: round(summaryMs, 1),
    calibration_scene_at_ms_p50: round(summarize(sceneMs).p50, 2),
    timeline_summary_entries: summary.entries,
  }
}

/** `scenesync export ...` in a fresh process: seconds, peak RSS, the file's size. */
interface ChildFigures {
  s: number
  cpuS: number
  mainThreadCpuS: number | null
  busiestOtherThreadCpuS: number | null
  peakRssMb: number
  baselineRssMb: number
}

function exportChild(data: string, args: string[]): ChildFigures & { mb: number } {
  const out = args[args.indexOf('--out') + 1]!
  const line = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'export-child.ts'), ...args, '--data', data], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  })
  const r = JSON.parse(line.trim().split('\n').at(-1)!) as ChildFigures
  const mb = fs.statSync(out).size / 1e6
  fs.rmSync(out)
  return { ...r, mb }
}

const gltf: HistoryPhase = async ({ data, room, tt, say }) => {
  const samples = tt.countSamples(room)
  const objects = (tt.db.prepare('SELECT count(*) AS n FROM object_keys').get() as { n: number }).n
  say(`glTF export of ${objects} objects, ${samples} samples ...`)
  const r = exportChild(data, ['--room', room, '--format', 'gltf', '--out', path.join(data, 'out.glb')])
  return {
    gltf_objects: objects,
    gltf_samples: samples,
    gltf_1000x1000_s: round(r.s, 2),
    gltf_1000x1000_cpu_s: round(r.cpuS, 2),
    gltf_1000x1000_mb: round(r.mb, 1),
    gltf_1000x1000_peak_rss_mb: Math.round(r.peakRssMb),
  }
}

const parquet: HistoryPhase = async ({ data, room, tt, say }) => {
  const head = tt.head()
  const samples = tt.countSamples(room)
  say(`Parquet export of ${samples} samples ...`)
  const full = exportChild(data, ['--room', room, '--format', 'parquet', '--out', path.join(data, 'out.parquet')])
  const tenthTo = Math.max(1, Math.round(head / 10))
  const tenthSamples = tt.countSamples(room, { seq: 0 }, { seq: tenthTo })
  say(`Parquet export of a tenth (${tenthSamples} samples) ...`)
  const tenth = exportChild(data, ['--room', room, '--format', 'parquet', '--to', String(tenthTo), '--out', path.join(data, 'tenth.parquet')])
  say(`CSV export of ${samples} samples ...`)
  const csv = exportChild(data, ['--room', room, '--format', 'csv', '--out', path.join(data, 'out.csv')])
  return {
    parquet_samples: samples,
    parquet_1m_s: round(full.s, 2),
    // On a shared machine: CPU time of the export's busiest thread bounds its time on two free cores.
    parquet_1m_cpu_s: round(full.cpuS, 2),
    parquet_1m_main_thread_cpu_s: full.mainThreadCpuS === null ? null : round(full.mainThreadCpuS, 2),
    parquet_1m_reader_thread_cpu_s: full.busiestOtherThreadCpuS === null ? null : round(full.busiestOtherThreadCpuS, 2),
    parquet_1m_mb: round(full.mb, 1),
    parquet_1m_peak_rss_mb: Math.round(full.peakRssMb),
    parquet_tenth_samples: tenthSamples,
    parquet_tenth_s: round(tenth.s, 2),
    parquet_tenth_peak_rss_mb: Math.round(tenth.peakRssMb),
    export_process_baseline_rss_mb: Math.round(full.baselineRssMb),
    csv_1m_s: round(csv.s, 2),
    csv_1m_cpu_s: round(csv.cpuS, 2),
    csv_1m_mb: round(csv.mb, 1),
    csv_1m_peak_rss_mb: Math.round(csv.peakRssMb),
  }
}

export const HISTORY_PHASES: Array<[string, HistoryPhase]> = [
  ['timeline', timeline],
  ['gltf', gltf],
  ['parquet', parquet],
  ['preview', blenderPreview],
  ['bake', blenderBake],
]

const TARGETS: Record<string, number> = { timeline_page_ms_p99: 20, parquet_1m_s: 10, parquet_1m_peak_rss_mb: 400, preview_ms: 100, bake_100x1000_s: 3 }

export async function runHistory(): Promise<Record<string, unknown>> {
  const transforms = Number(process.env.BENCH_TRANSFORMS ?? 1_000_000)
  const wanted = (process.env.BENCH_HISTORY_PHASES ?? HISTORY_PHASES.map(([n]) => n).join(',')).split(',')
  const keep = process.env.BENCH_HISTORY_DATA
  const data = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scenesync-bench-history-'))
  try {
    const built = await build(data, transforms)
    const db = openDatabase(path.join(data, 'projection.sqlite'), { readonly: true })
    const tt = new TimeTravel(db)
    const ctx: HistoryBenchContext = { data, room: ROOM, db, tt, objectIds: built.objectIds, transformUpdates: built.transformUpdates, say }
    const figures: Record<string, unknown> = { bench: 'history', objects: built.objectIds.length, events: built.transformUpdates, entries: tt.head() }
    try {
      for (const [name, phase] of HISTORY_PHASES) if (wanted.includes(name)) Object.assign(figures, await phase(ctx))
    } finally {
      db.close()
    }
    const met: Record<string, string> = {}
    for (const [k, limit] of Object.entries(TARGETS)) if (typeof figures[k] === 'number') met[k] = `${figures[k]} ${(figures[k] as number) <= limit ? '<=' : '>'} ${limit} (${(figures[k] as number) <= limit ? 'met' : 'missed'})`
    return { ...figures, targets: met }
  } finally {
    if (!keep) fs.rmSync(data, { recursive: true, force: true })
  }
}
