/**
 * Checkpoints the server's SQLite files (the log and the projection) from a
 * thread of their own, so the sync server's event loop never does.
 *
 * In WAL mode a commit that takes the WAL past `wal_autocheckpoint` pages
 * copies the WAL into the database and fsyncs it, inside that commit, on the
 * thread that committed: for `scenesync serve`, the thread every edit's echo
 * waits on. The projection's WAL grows by megabytes a minute at 1,000
 * updates/s (history rows land on a page per object), so an inline checkpoint
 * is a stall of tens to hundreds of milliseconds for every room.
 *
 * Here a worker thread with its own connections runs a PASSIVE checkpoint of
 * each file every `intervalMs`: it never waits for the writer and never
 * blocks it (the writer appends to the WAL meanwhile), and the WAL is reused
 * from its start at the next commit after a complete one, so it stays at
 * about one interval's worth of writes. The writers keep their own
 * auto-checkpoint as the bound should this thread fail.
 */
import { type MessagePort, type Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { type Logger, silentLogger } from '../logger.js'
import { startWorker } from '../worker-thread.js'

export interface CheckpointResult {
  file: string
  /** Frames in the WAL, and of them copied into the database (SQLite's wal_checkpoint figures). */
  walFrames: number
  checkpointed: number
  /** Whether another connection held a lock the checkpoint needed (it tries again next time). */
  busy: boolean
}

export interface WalCheckpointerOptions {
  intervalMs?: number
  logger?: Logger
  /** Called after each round (tests, metrics). */
  onRound?: (results: CheckpointResult[]) => void
}

type FromWorker = { type: 'round'; results: CheckpointResult[] } | { type: 'failed'; file: string; message: string }

export class WalCheckpointer {
  private readonly worker: Worker
  private stopped = false

  constructor(files: readonly string[], opts: WalCheckpointerOptions = {}) {
    const logger = opts.logger ?? silentLogger
    this.worker = startWorker(import.meta.url, { walCheckpointer: { files: [...files], intervalMs: opts.intervalMs ?? 1000 } })
    this.worker.unref()
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'round') opts.onRound?.(m.results)
      else logger.warn('checkpointing a data file failed; retrying at the next interval', { file: m.file, error: m.message })
    })
    this.worker.on('error', (e) => logger.error('the checkpoint thread failed; the files fall back to checkpointing inline', { error: e.message }))
    this.worker.on('exit', (code) => {
      if (!this.stopped) logger.error('the checkpoint thread exited; the files fall back to checkpointing inline', { code })
    })
  }

  /** Ends the thread after the round under way; its connections are closed. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()))
    this.worker.postMessage('stop')
    await exited
  }
}

/** The thread's side: its own connections, one PASSIVE checkpoint of each file per interval. */
function serve(port: MessagePort, files: string[], intervalMs: number): void {
  const dbs = new Map<string, Database.Database>()
  const round = () => {
    const results: CheckpointResult[] = []
    for (const file of files) {
      try {
        let db = dbs.get(file)
        if (!db) {
          db = new Database(file, { fileMustExist: true, timeout: 0 })
          // The files' own setting: a checkpoint syncs the WAL, then the database, before the WAL is reused.
          db.pragma('synchronous = FULL')
          dbs.set(file, db)
        }
        const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>
        if (r) results.push({ file, walFrames: r.log, checkpointed: r.checkpointed, busy: r.busy !== 0 })
      } catch (e) {
        dbs.get(file)?.close()
        dbs.delete(file)
        port.postMessage({ type: 'failed', file, message: (e as Error).message } satisfies FromWorker)
      }
    }
    port.postMessage({ type: 'round', results } satisfies FromWorker)
  }
  const timer = setInterval(round, intervalMs)
  port.on('message', (m: unknown) => {
    if (m !== 'stop') return
    clearInterval(timer)
    for (const db of dbs.values()) db.close()
    port.close()
  })
}

const job = (workerData as { walCheckpointer?: { files: string[]; intervalMs: number } } | null)?.walCheckpointer
if (!isMainThread && parentPort && job) serve(parentPort, job.files, job.intervalMs)
