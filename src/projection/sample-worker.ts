/**
 * Sample pages read on a second thread. An export spends about half its time
 * in SQLite reading samples and half encoding them; a worker with its own
 * read-only connection reads the next pages while the caller encodes this one,
 * and the reading stays off the server's event loop.
 *
 * Pages cross as transferable typed arrays: the numbers of each row (NaN for
 * a missing value) and, for its strings, indexes into a small table of the
 * page's distinct strings, since names and users repeat row after row. The
 * worker runs at most a few pages ahead of the reader (`[H2]`: flat memory).
 */
import { type MessagePort, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { startWorker } from '../worker-thread.js'
import { SamplePages, type SampleRow } from './sample-pages.js'
import { openDatabase } from './sql.js'

export interface SampleQuery {
  file: string
  roomId: number
  from: number
  to: number
  pageSize: number
}

const NUMS = 15
const STRS = 7
const AHEAD = 3

interface Packed {
  n: number
  nums: Float64Array<ArrayBuffer>
  strs: Int32Array<ArrayBuffer>
  table: string[]
}

type FromWorker = { type: 'page'; page: Packed } | { type: 'done' } | { type: 'error'; message: string }
type ToWorker = { type: 'ack' }

const num = (v: number | null) => (v === null ? NaN : v)
const orNull = (v: number) => (Number.isNaN(v) ? null : v)

function pack(rows: SampleRow[]): Packed {
  const n = rows.length
  const nums = new Float64Array(n * NUMS)
  const strs = new Int32Array(n * STRS)
  const table: string[] = []
  const index = new Map<string, number>()
  const str = (s: string | null) => {
    if (s === null) return -1
    let i = index.get(s)
    if (i === undefined) {
      index.set(s, (i = table.length))
      table.push(s)
    }
    return i
  }
  rows.forEach((r, i) => {
    nums.set([r.seq, r.time, r.client, r.deleted, num(r.visible), num(r.loc_x), num(r.loc_y), num(r.loc_z), num(r.rot_w), num(r.rot_x), num(r.rot_y), num(r.rot_z), num(r.scale_x), num(r.scale_y), num(r.scale_z)], i * NUMS)
    strs.set([str(r.object_id), str(r.bone), str(r.user), str(r.name), str(r.type), str(r.parent), str(r.rot_mode)], i * STRS)
  })
  return { n, nums, strs, table }
}

function unpack(p: Packed): SampleRow[] {
  const out: SampleRow[] = new Array(p.n)
  const { nums: x, strs: k, table: t } = p
  const s = (i: number) => (k[i]! < 0 ? null : t[k[i]!]!)
  for (let r = 0; r < p.n; r++) {
    const a = r * NUMS
    const b = r * STRS
    out[r] = {
      object_id: s(b)!,
      bone: s(b + 1),
      seq: x[a]!,
      time: x[a + 1]!,
      user: s(b + 2)!,
      client: x[a + 2]!,
      deleted: x[a + 3]!,
      name: s(b + 3),
      type: s(b + 4),
      parent: s(b + 5),
      visible: orNull(x[a + 4]!),
      rot_mode: s(b + 6),
      loc_x: orNull(x[a + 5]!),
      loc_y: orNull(x[a + 6]!),
      loc_z: orNull(x[a + 7]!),
      rot_w: orNull(x[a + 8]!),
      rot_x: orNull(x[a + 9]!),
      rot_y: orNull(x[a + 10]!),
      rot_z: orNull(x[a + 11]!),
      scale_x: orNull(x[a + 12]!),
      scale_y: orNull(x[a + 13]!),
      scale_z: orNull(x[a + 14]!),
    }
  }
  return out
}

/** The pages SamplePages gives for `q`, read by a worker thread. Leaving the loop early stops the worker. */
export async function* workerSamplePages(q: SampleQuery): AsyncGenerator<SampleRow[]> {
  const worker = startWorker(import.meta.url, { sampleQuery: q })
  const queue: FromWorker[] = []
  let wake: (() => void) | null = null
  const push = (m: FromWorker) => {
    queue.push(m)
    wake?.()
  }
  worker.on('message', push)
  worker.on('error', (e) => push({ type: 'error', message: e.message }))
  worker.on('exit', (code) => push(code === 0 ? { type: 'done' } : { type: 'error', message: `the sample reader stopped (exit ${code})` }))
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      wake = null
      const m = queue.shift()!
      if (m.type === 'done') return
      if (m.type === 'error') throw new Error(`reading samples: ${m.message}`)
      const rows = unpack(m.page)
      worker.postMessage({ type: 'ack' } satisfies ToWorker)
      yield rows
    }
  } finally {
    await worker.terminate()
  }
}

/** The worker's side: reads the pages and sends each, at most AHEAD unacknowledged. */
async function serve(port: MessagePort, q: SampleQuery): Promise<void> {
  let inFlight = 0
  let acked: (() => void) | null = null
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'ack') return
    inFlight--
    acked?.()
  })
  const db = openDatabase(q.file, { readonly: true })
  try {
    // Each page is read once: a small page cache keeps the worker's memory flat.
    db.exec('PRAGMA cache_size = -16384')
    for (const rows of new SamplePages(db).pages(q.roomId, q.from, q.to, q.pageSize)) {
      const page = pack(rows)
      port.postMessage({ type: 'page', page } satisfies FromWorker, [page.nums.buffer, page.strs.buffer])
      if (++inFlight >= AHEAD) await new Promise<void>((resolve) => (acked = resolve))
      acked = null
    }
    port.postMessage({ type: 'done' } satisfies FromWorker)
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromWorker)
  } finally {
    db.close()
    port.close()
  }
}

const query = (workerData as { sampleQuery?: SampleQuery } | null)?.sampleQuery
if (!isMainThread && parentPort && query) void serve(parentPort, query)
