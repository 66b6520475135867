/**
 * A ChangeExtractor in a worker thread, so applying updates to Yjs docs (half
 * of the projector's work) runs on the second core while the caller writes the
 * previous batch to SQLite. The worker reads no log itself: entries come in
 * messages, and a room's doc it asks the parent for.
 *
 * With `sinkFile` the thread also writes each batch (rows and cursor in one
 * transaction, `[P2]`) through its own connection to that projection file, so
 * none of the projector's SQL runs on the parent's event loop: for the server,
 * the loop that answers every socket. It then reads last projected states
 * from that connection too.
 */
import { type MessagePort, type Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { startWorker } from '../worker-thread.js'
import type { ObjectState } from '../crdt/index.js'
import type { Cursor, LogEntry } from '../log/event-log.js'
import { ChangeExtractor, type LoadedState, type RoomSource } from './change-extractor.js'
import type { SnapshotPolicy } from './snapshot-policy.js'
import { type RowBatch, type WrittenBatch, batchEntries } from './row-batch.js'
import { RowSink } from './row-sink.js'
import { openDatabase } from './sql.js'

/**
 * Entries cross to the worker packed: one transferred buffer of update bytes
 * instead of thousands of small typed arrays to clone (a third of the cost).
 */
interface PackedEntries {
  bytes: ArrayBuffer
  ends: Uint32Array
  rooms: string[]
  cursors: string[]
  times: Float64Array
  clients: Float64Array
  users: string[]
}

function pack(entries: LogEntry[]): PackedEntries {
  let total = 0
  for (const e of entries) total += e.update.length
  const bytes = new Uint8Array(total)
  const p: PackedEntries = { bytes: bytes.buffer, ends: new Uint32Array(entries.length), rooms: [], cursors: [], times: new Float64Array(entries.length), clients: new Float64Array(entries.length), users: [] }
  let at = 0
  entries.forEach((e, i) => {
    bytes.set(e.update, at)
    at += e.update.length
    p.ends[i] = at
    p.rooms.push(e.room)
    p.cursors.push(e.cursor)
    p.times[i] = e.time
    p.clients[i] = e.origin.client
    p.users.push(e.origin.user)
  })
  return p
}

function unpack(p: PackedEntries): LogEntry[] {
  const bytes = new Uint8Array(p.bytes)
  const out: LogEntry[] = []
  let start = 0
  for (let i = 0; i < p.ends.length; i++) {
    const end = p.ends[i]!
    out.push({ room: p.rooms[i]!, cursor: p.cursors[i]!, time: p.times[i]!, origin: { client: p.clients[i]!, user: p.users[i]! }, update: bytes.subarray(start, end) })
    start = end
  }
  return out
}

type ToWorker =
  | { type: 'extract'; id: number; entries: PackedEntries; firstSeq: number }
  | ({ type: 'room'; id: number } & LoadedState)
  | { type: 'states'; id: number; states: Map<string, ObjectState> }
  | { type: 'loadFailed'; id: number; message: string }
type FromWorker =
  | { type: 'batch'; id: number; batch: RowBatch | WrittenBatch; roomDocs: number }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'loadRoom'; id: number; room: string; upTo: Cursor }
  | { type: 'loadStates'; id: number; room: string }

/** The worker thread ended (crashed, ran out of memory, was terminated) with requests open. */
export class WorkerExitError extends Error {
  readonly code = 'worker_exit'
  constructor(readonly exitCode: number | null, detail?: string) {
    super(`projector worker thread exited (code ${exitCode ?? 'unknown'})${detail ? `: ${detail}` : ''}`)
  }
}

export interface ExtractorWorkerOptions {
  /** Room docs the thread keeps (see ChangeExtractor). */
  maxRoomDocs?: number
  /** How long a room goes unwritten before its doc may be dropped (see ChangeExtractor). */
  evictIdleMs?: number
  /** Test hook: the thread exits (as if it crashed) when it starts its n-th extraction. */
  exitAt?: number
  /** Test hook: ... when it has committed its n-th batch, before it answers. */
  exitAfterWrite?: number
  /** The projection file the thread writes each batch to itself (its own connection). */
  sinkFile?: string
}

/** An error from the thread, with the code it had there (SQLITE_FULL, ...). */
function threadError(message: string, code: string | undefined): Error {
  const e = new Error(message) as Error & { code?: string }
  if (code !== undefined) e.code = code
  return e
}

/** The parent's side: a worker running an extractor, with `source` answering its loads. */
export class ExtractorWorker {
  private readonly worker: Worker
  private next = 0
  private readonly waiting = new Map<number, { resolve: (b: RowBatch | WrittenBatch) => void; reject: (e: Error) => void }>()
  /** Set once the thread is gone: every request after fails at once. */
  private dead: Error | null = null
  /** Room docs the thread held after its last batch. */
  roomDocs = 0

  constructor(source: RoomSource, start: Cursor, snapshots: SnapshotPolicy, opts: ExtractorWorkerOptions = {}) {
    const data: WorkerData = { start, snapshots, exitAt: opts.exitAt ?? 0, exitAfterWrite: opts.exitAfterWrite ?? 0, maxRoomDocs: opts.maxRoomDocs, evictIdleMs: opts.evictIdleMs, sinkFile: opts.sinkFile }
    this.worker = startWorker(import.meta.url, data)
    this.worker.unref()
    // The thread's loads are answered here; a failure goes back to it as an error, never left unanswered.
    const answer = (id: number, work: Promise<ToWorker>) =>
      work.then(
        (m) => this.post(m),
        (e: unknown) => this.post({ type: 'loadFailed', id, message: (e as Error).message ?? String(e) }),
      )
    this.worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'batch':
          this.roomDocs = m.roomDocs
          this.waiting.get(m.id)?.resolve(m.batch)
          this.waiting.delete(m.id)
          return
        case 'error':
          this.waiting.get(m.id)?.reject(threadError(m.message, m.code))
          this.waiting.delete(m.id)
          return
        case 'loadRoom':
          void answer(m.id, source.loadRoom(m.room, m.upTo).then((r) => ({ type: 'room', id: m.id, ...r }) satisfies ToWorker))
          return
        case 'loadStates':
          void answer(m.id, source.loadStates(m.room).then((states) => ({ type: 'states', id: m.id, states }) satisfies ToWorker))
          return
      }
    })
    this.worker.on('error', (e) => this.fail(new WorkerExitError(null, e.message)))
    this.worker.on('messageerror', (e) => this.fail(new Error(`projector worker: a message could not be read: ${(e as Error).message}`)))
    this.worker.on('exit', (code) => this.fail(new WorkerExitError(code)))
  }

  private post(m: ToWorker): void {
    if (this.dead) return
    this.worker.postMessage(m)
  }

  private fail(e: Error): void {
    this.dead ??= e
    for (const w of this.waiting.values()) w.reject(this.dead)
    this.waiting.clear()
  }

  /** A RowBatch to write, or with `sinkFile` the batch as written. */
  extract(entries: LogEntry[], firstSeq: number): Promise<RowBatch | WrittenBatch> {
    if (this.dead) return Promise.reject(this.dead)
    const id = this.next++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      const packed = pack(entries)
      this.worker.postMessage({ type: 'extract', id, entries: packed, firstSeq } satisfies ToWorker, [packed.bytes])
    })
  }

  /** Ends the thread; requests still open are rejected. */
  async close(): Promise<void> {
    this.fail(new WorkerExitError(null, 'closed'))
    await this.worker.terminate()
  }
}

interface WorkerData {
  start: Cursor
  snapshots: SnapshotPolicy
  exitAt: number
  exitAfterWrite: number
  maxRoomDocs: number | undefined
  evictIdleMs: number | undefined
  sinkFile: string | undefined
}

/** The worker's side. */
function serve(port: MessagePort): void {
  const { start, snapshots, exitAt, exitAfterWrite, maxRoomDocs, evictIdleMs, sinkFile } = workerData as WorkerData
  // Closed with the thread: SQLite rolls back a transaction a terminated thread left open.
  const sink = sinkFile === undefined ? null : new RowSink(openDatabase(sinkFile))
  let writes = 0
  let nextId = 0
  let extractions = 0
  const pending = new Map<number, { resolve: (m: ToWorker) => void; reject: (e: Error) => void }>()
  const ask = <T extends ToWorker>(msg: FromWorker): Promise<T> =>
    new Promise((resolve, reject) => {
      pending.set(msg.id, { resolve: resolve as (m: ToWorker) => void, reject })
      port.postMessage(msg)
    })
  const source: RoomSource = {
    loadRoom: async (room, upTo) => {
      const r = await ask<Extract<ToWorker, { type: 'room' }>>({ type: 'loadRoom', id: nextId++, room, upTo })
      return { state: r.state, cursor: r.cursor, tail: r.tail, tailBytes: r.tailBytes, snapshotBytes: r.snapshotBytes }
    },
    loadStates: async (room) => (sink ? sink.loadStates(room) : (await ask<Extract<ToWorker, { type: 'states' }>>({ type: 'loadStates', id: nextId++, room })).states),
  }
  const extractor = new ChangeExtractor(source, start, snapshots, maxRoomDocs, true, evictIdleMs)
  // Extractions run one at a time, in the order they were asked for.
  let chain = Promise.resolve()
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'extract') {
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.type === 'loadFailed') p?.reject(new Error(m.message))
      else p?.resolve(m)
      return
    }
    chain = chain.then(async () => {
      if (++extractions === exitAt) process.exit(1)
      try {
        const batch = await extractor.extract(unpack(m.entries), m.firstSeq)
        let out: RowBatch | WrittenBatch = batch
        if (sink) {
          sink.write(batch)
          if (++writes === exitAfterWrite) process.exit(1)
          out = { written: true, firstSeq: batch.firstSeq, entries: batchEntries(batch), cursor: batch.cursor, snapshots: batch.snapshots }
        }
        port.postMessage({ type: 'batch', id: m.id, batch: out, roomDocs: extractor.roomDocs } satisfies FromWorker)
      } catch (e) {
        const code = (e as { code?: unknown }).code
        port.postMessage({ type: 'error', id: m.id, message: (e as Error).message, ...(typeof code === 'string' ? { code } : {}) } satisfies FromWorker)
      }
    })
  })
}

if (!isMainThread && parentPort && (workerData as { start?: unknown } | null)?.start !== undefined) serve(parentPort)
