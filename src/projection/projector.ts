/**
 * The projector: tails the log's global feed, applies each entry to its room's
 * Y.Doc, and writes what changed as rows. Rows and the cursor commit in one
 * SQLite transaction (`[P2]`), so after a crash anywhere a restart resumes at
 * the committed cursor with no hole and no duplicate row (`[P1]`).
 *
 * Two halves: the ChangeExtractor (Yjs: docs and the last projected state of
 * each object) and the RowSink (SQL). With `worker: true` the extractor runs in
 * a worker thread and extracts batch k+1 while batch k is written, using both
 * cores. The extractor's memory is never trusted past a failure: any failed
 * step drops it, and it is rebuilt from what is committed (docs from the log
 * up to the cursor, states from the current-state tables).
 */
import * as Y from 'yjs'
import type { ObjectState } from '../crdt/index.js'
import { type Cursor, type EventLog, type LogEntry, START } from '../log/event-log.js'
import { type Logger, silentLogger } from '../logger.js'
import { ChangeExtractor, type RoomSource } from './change-extractor.js'
import { ExtractorWorker, WorkerExitError } from './extractor-worker.js'
import { loadRoom } from './load-room.js'
import { type RowBatch, type WrittenBatch, batchEntries } from './row-batch.js'
import { RowSink } from './row-sink.js'
import { DEFAULT_SNAPSHOT_POLICY, type SnapshotPolicy } from './snapshot-policy.js'
import type { SqlDatabase } from './sql.js'

/** Where a test may inject a crash: every step of the loop. */
export const CRASH_POINTS = ['before-batch', 'after-read', 'after-extract', 'after-rows', 'before-commit', 'after-commit', 'after-snapshot'] as const
export type CrashPoint = (typeof CRASH_POINTS)[number]

export interface ProjectorOptions {
  /** Entries read and committed per transaction. */
  batchSize?: number
  /** Store a Yjs snapshot of a room in the log after this many of its entries; 0 = never. */
  snapshotEvery?: number
  /** ... and once its update bytes since the last snapshot reach this multiple of that snapshot's size (snapshot-policy.ts); 0 = entries only. */
  snapshotTailRatio?: number
  logger?: Logger
  /**
   * While following the log, wait this long (ms) after hearing of new entries
   * before projecting, so a busy log is projected in batches rather than a
   * commit per append; it bounds the added projection lag.
   */
  coalesceMs?: number
  /** Run the Yjs half in a worker thread (pipelined with the SQL half). */
  worker?: boolean
  /**
   * With `worker`: the file `db` is open on. The worker thread then writes
   * each batch itself through its own connection, so no projection SQL runs on
   * this thread (the crash points inside the transaction are not offered).
   */
  sinkFile?: string
  /** Test hook: called at each crash point; throwing there simulates a crash. */
  crashHook?: (point: CrashPoint) => void
  /** Room docs kept in memory (idle rooms beyond it are dropped and reloaded when written again). */
  maxRoomDocs?: number
  /** ... of those unwritten for this long (ms; default 10 s). */
  evictIdleMs?: number
  /** Project no entry past this cursor (a rebuild to a given position). */
  until?: Cursor
  /** Longest wait between retries after a failure (default 10 s). */
  retryMaxMs?: number
  /** How long stop() lets a catch-up under way finish before it ends the worker (default 10 s). */
  stopGraceMs?: number
  /** Test hook: each worker thread exits (as if it crashed) when it starts its n-th extraction. */
  workerExitAt?: number
  /** Test hook (with `sinkFile`): ... when it has committed its n-th batch, before it answers. */
  workerExitAfterWrite?: number
}

/** The projector gave up: it stays stopped until restarted (a new Projector). */
export class ProjectorFailedError extends Error {
  readonly code = 'projector_failed'
}

/** Worker deaths in a row, with no batch committed in between, before the projector gives up. */
const MAX_WORKER_DEATHS = 3
const RETRY_MIN_MS = 1000

interface Extractor {
  extract(entries: LogEntry[], firstSeq: number): Promise<RowBatch | WrittenBatch>
  readonly roomDocs: number
  close(): Promise<void>
}

export class Projector {
  private readonly sink: RowSink
  private readonly batchSize: number
  private readonly snapshots: SnapshotPolicy
  private readonly logger: Logger
  private readonly crash: (p: CrashPoint) => void
  private readonly useWorker: boolean
  private extractor: Extractor | null = null
  private cursor: Cursor
  private seq: number
  private readonly listeners = new Set<(seq: number, cursor: Cursor) => void>()
  private unsubscribe: (() => void) | null = null
  private running: Promise<void> | null = null
  private again = false
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private retryMs = 0
  private coalesceTimer: NodeJS.Timeout | null = null
  private readonly coalesceMs: number
  private readonly workerExitAt: number
  private readonly workerExitAfterWrite: number
  private readonly sinkFile: string | undefined
  private readonly maxRoomDocs: number | undefined
  private readonly evictIdleMs: number | undefined
  private readonly stopGraceMs: number
  private readonly retryMaxMs: number
  private readonly until: Cursor | undefined
  /** The failure being retried, if any. */
  private failing: { since: string; error: string } | null = null
  /** Worker threads that died since the last commit. */
  private deaths = 0
  private failed: Error | null = null

  constructor(
    private readonly log: EventLog,
    db: SqlDatabase,
    opts: ProjectorOptions = {},
  ) {
    this.sink = new RowSink(db)
    this.batchSize = opts.batchSize ?? 2000
    this.snapshots = { every: opts.snapshotEvery ?? DEFAULT_SNAPSHOT_POLICY.every, tailRatio: opts.snapshotTailRatio ?? DEFAULT_SNAPSHOT_POLICY.tailRatio }
    this.logger = opts.logger ?? silentLogger
    this.crash = opts.crashHook ?? (() => {})
    this.coalesceMs = opts.coalesceMs ?? 5
    this.useWorker = opts.worker ?? false
    this.workerExitAt = opts.workerExitAt ?? 0
    this.workerExitAfterWrite = opts.workerExitAfterWrite ?? 0
    this.sinkFile = this.useWorker ? opts.sinkFile : undefined
    this.maxRoomDocs = opts.maxRoomDocs
    this.evictIdleMs = opts.evictIdleMs
    this.stopGraceMs = opts.stopGraceMs ?? 10_000
    this.retryMaxMs = opts.retryMaxMs ?? 10_000
    this.until = opts.until
    const c = this.sink.position()
    this.cursor = c.cursor
    this.seq = c.seq
  }

  private source(): RoomSource {
    return {
      loadRoom: async (room: string, upTo: Cursor) => {
        if (upTo === START) return { state: null, cursor: START, tail: 0, tailBytes: 0, snapshotBytes: 0 }
        const loaded = await loadRoom(this.log, room, upTo)
        const state = Y.encodeStateAsUpdate(loaded.doc)
        loaded.doc.destroy()
        return { state, cursor: loaded.cursor, tail: loaded.tail, tailBytes: loaded.tailBytes, snapshotBytes: loaded.snapshotBytes }
      },
      loadStates: async (room: string): Promise<Map<string, ObjectState>> => this.sink.loadStates(room),
    }
  }

  private getExtractor(): Extractor {
    if (!this.extractor) {
      if (this.useWorker) {
        this.extractor = new ExtractorWorker(this.source(), this.cursor, this.snapshots, {
          exitAt: this.workerExitAt,
          exitAfterWrite: this.workerExitAfterWrite,
          ...(this.sinkFile !== undefined ? { sinkFile: this.sinkFile } : {}),
          ...(this.maxRoomDocs !== undefined ? { maxRoomDocs: this.maxRoomDocs } : {}),
          ...(this.evictIdleMs !== undefined ? { evictIdleMs: this.evictIdleMs } : {}),
        })
      } else {
        const inThread = new ChangeExtractor(this.source(), this.cursor, this.snapshots, this.maxRoomDocs, true, this.evictIdleMs)
        this.extractor = { extract: (e, f) => inThread.extract(e, f), get roomDocs() { return inThread.roomDocs }, close: async () => {} }
      }
    }
    return this.extractor
  }

  /** Drops the extractor's memory; the next batch rebuilds it from what is committed. */
  private async forget(): Promise<void> {
    const x = this.extractor
    this.extractor = null
    await x?.close()
    if (x && this.sinkFile !== undefined) this.catchUpWithFile()
  }

  /**
   * A thread that died after its commit but before its answer left the file
   * ahead of what this side heard: resume at what is committed.
   */
  private catchUpWithFile(): void {
    const c = this.sink.position()
    if (c.seq === this.seq) return
    this.cursor = c.cursor
    this.seq = c.seq
    // It did commit: its death is not one "in a row without committing".
    this.deaths = 0
    for (const l of this.listeners) l(this.seq, this.cursor)
  }

  /** What is wrong, for /healthz: stopped for good, or failing and retrying; null when well. */
  get problem(): string | null {
    if (this.failed) return `projector stopped: ${this.failed.message}`
    if (this.failing) return `projection: failing since ${this.failing.since} at position ${this.seq}, retrying: ${this.failing.error}`
    return null
  }

  /** Room docs the extractor holds now (0 before the first batch and after a failure). */
  get roomDocs(): number {
    return this.extractor?.roomDocs ?? 0
  }

  /** Why the projector gave up (it no longer follows the log), or null. */
  get failure(): Error | null {
    return this.failed
  }

  /** Position and cursor of the last committed entry. */
  position(): { seq: number; cursor: Cursor } {
    return { seq: this.seq, cursor: this.cursor }
  }

  onProjected(listener: (seq: number, cursor: Cursor) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async read(after: Cursor): Promise<LogEntry[]> {
    const entries = await this.log.readFeed(after, { limit: this.batchSize })
    const until = this.until
    if (until === undefined) return entries
    const past = entries.findIndex((e) => e.cursor > until)
    return past === -1 ? entries : entries.slice(0, past)
  }

  /** Projects one batch; resolves with the number of entries committed (0 when caught up). */
  async step(): Promise<number> {
    this.crash('before-batch')
    const entries = await this.read(this.cursor)
    if (entries.length === 0) return 0
    this.crash('after-read')
    try {
      const batch = await this.getExtractor().extract(entries, this.seq + 1)
      this.crash('after-extract')
      await this.commit(batch)
    } catch (e) {
      await this.forget()
      throw e
    }
    return entries.length
  }

  private async commit(batch: RowBatch | WrittenBatch): Promise<void> {
    if (!('written' in batch)) this.sink.write(batch, this.crash)
    this.seq = batch.firstSeq + batchEntries(batch) - 1
    this.cursor = batch.cursor
    this.deaths = 0
    this.crash('after-commit')
    for (const l of this.listeners) l(this.seq, this.cursor)
    for (const s of batch.snapshots) await this.log.putSnapshot(s)
    this.crash('after-snapshot')
  }

  /**
   * Projects until the feed is exhausted; resolves with the number of entries.
   * With a worker, batch k+1 is read and extracted while batch k is written.
   */
  async catchUp(onProgress?: (seq: number) => void): Promise<number> {
    if (!this.useWorker) {
      let total = 0
      for (;;) {
        const n = await this.step()
        if (n === 0) return total
        total += n
        onProgress?.(this.seq)
        // SQLite calls are synchronous: let I/O in between batches.
        await new Promise((r) => setImmediate(r))
      }
    }
    const progress = { total: 0 }
    for (;;) {
      try {
        await this.pipelined(progress, onProgress)
        return progress.total
      } catch (e) {
        await this.forget()
        if (!(e instanceof WorkerExitError) || this.stopped) throw e
        // A dead thread loses only uncommitted work: start a new one at the committed cursor.
        if (++this.deaths >= MAX_WORKER_DEATHS) {
          throw new ProjectorFailedError(`${e.message} ${this.deaths} times in a row without committing a batch; the projector stopped at position ${this.seq} (restart the server to try again)`)
        }
        this.logger.warn('projector worker thread died; starting a new one', { error: e.message, position: this.seq })
      }
    }
  }

  /** Batch k+1 is read and extracted while batch k is written. */
  private async pipelined(progress: { total: number }, onProgress?: (seq: number) => void): Promise<void> {
    let readCursor = this.cursor
    let readSeq = this.seq
    let inFlight: Promise<RowBatch | WrittenBatch> | null = null
    for (;;) {
      this.crash('before-batch')
      const entries = await this.read(readCursor)
      const next = entries.length > 0 ? this.getExtractor().extract(entries, readSeq + 1) : null
      // Not awaited yet: a rejection is handled when its turn comes.
      next?.catch(() => {})
      if (inFlight) {
        const batch = await inFlight
        this.crash('after-extract')
        await this.commit(batch)
        progress.total += batchEntries(batch)
        onProgress?.(this.seq)
      }
      if (!next) return
      this.crash('after-read')
      readCursor = entries[entries.length - 1]!.cursor
      readSeq += entries.length
      inFlight = next
    }
  }

  /** Follows the log: projects whenever it hears of new entries. */
  start(): void {
    this.stopped = false
    this.unsubscribe = this.log.subscribe(() => this.soon())
    this.kick()
  }

  private soon(): void {
    if (this.coalesceTimer || this.stopped) return
    this.coalesceTimer = setTimeout(() => {
      this.coalesceTimer = null
      this.kick()
    }, this.coalesceMs)
  }

  /**
   * Stops following the log. The catch-up under way finishes if it can within
   * `stopGraceMs`; past that the worker is ended, so stop() always returns.
   */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer)
    const running = this.running
    if (running) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.stopGraceMs)))
      if (await Promise.race([running.then(() => false), late])) {
        this.logger.warn('projector did not finish within the stop grace period; ending its worker', { graceMs: this.stopGraceMs, position: this.seq })
        await this.forget()
        await running
      }
      clearTimeout(timer)
    }
    await this.forget()
  }

  private kick(): void {
    // While a retry is scheduled (the log or disk failed), new entries wait for it.
    if (this.stopped || this.failed || this.retryTimer) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = (async () => {
      try {
        do {
          this.again = false
          await this.catchUp()
        } while (this.again && !this.stopped)
        this.retryMs = 0
        if (this.failing) this.logger.info('projector caught up after a failure', { since: this.failing.since, position: this.seq })
        this.failing = null
      } catch (e) {
        if (this.stopped) return
        if (e instanceof ProjectorFailedError) {
          this.failed = e
          this.logger.error('projector stopped', { error: e.message })
          return
        }
        const full = (e as { code?: string }).code === 'SQLITE_FULL'
        this.failing ??= { since: new Date().toISOString(), error: '' }
        this.failing.error = full ? `disk full (${(e as Error).message})` : (e as Error).message
        this.retryMs = Math.min(this.retryMaxMs, Math.max(Math.min(RETRY_MIN_MS, this.retryMaxMs), this.retryMs * 2))
        this.logger.error('projector step failed; retrying', { error: (e as Error).message, retryInMs: this.retryMs, position: this.seq })
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.kick()
        }, this.retryMs)
        this.retryTimer.unref()
      } finally {
        this.running = null
      }
    })()
  }
}
