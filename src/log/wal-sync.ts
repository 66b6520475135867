/**
 * Makes the log's commits durable without stopping the event loop.
 *
 * With `synchronous = FULL`, SQLite fsyncs the WAL inside every commit, on the
 * thread that commits: the server's main thread sat in fsync for most of each
 * group commit, and nothing else (reading sockets, broadcasting, projecting)
 * ran meanwhile. Instead the log commits with `synchronous = NORMAL` (SQLite
 * writes the WAL frames, consistent after a crash, but does not sync them),
 * and this syncs the WAL file from libuv's thread pool. A commit is
 * acknowledged only once an fdatasync that started after its frames were
 * written has finished: the same promise as FULL, `[L1]`. While one sync runs,
 * the log gathers appends for its next commit (as it did while SQLite synced
 * inside the commit), and commits made meanwhile wait for the next sync.
 *
 * The log shows nothing (reads, heads, listeners) past what is durable, so
 * nothing that could be lost on power failure is ever visible, `[S1]`.
 *
 * A failed sync leaves the file's state unknown (the kernel may have dropped
 * the dirty pages): every commit waiting fails, and so does every later one.
 */
import fs from 'node:fs'

export type SyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void

export class LogSyncError extends Error {
  readonly code = 'log_sync_failed'
  constructor(file: string, cause: Error) {
    super(`the event log could not make ${file} durable (${cause.message}); updates not yet acknowledged may not be stored; restart the server`)
  }
}

export class WalSync<T> {
  private readonly fd: number
  private waiting: T[] = []
  private inFlight: T[] | null = null
  private failure: LogSyncError | null = null
  private closed = false

  /**
   * `walFile` must exist and stay the connection's WAL (SQLite removes it only
   * when the last connection closes). `sync` is fdatasync unless a test holds it.
   */
  constructor(
    private readonly walFile: string,
    private readonly onDurable: (items: T[]) => void,
    private readonly onFailed: (items: T[], e: LogSyncError) => void,
    private readonly sync: SyncFn = fs.fdatasync,
  ) {
    this.fd = fs.openSync(walFile, 'r')
  }

  /** A sync is running. */
  get busy(): boolean {
    return this.inFlight !== null
  }

  /** The error every append now fails with, once a sync failed. */
  get failed(): LogSyncError | null {
    return this.failure
  }

  /** `item`'s commit has been written (not yet synced). */
  committed(item: T): void {
    if (this.failure) return this.onFailed([item], this.failure)
    this.waiting.push(item)
    if (this.inFlight === null) this.start()
  }

  private start(): void {
    const items = this.waiting
    this.waiting = []
    this.inFlight = items
    this.sync(this.fd, (err) => {
      if (this.closed) return
      this.inFlight = null
      if (err) {
        this.failure = new LogSyncError(this.walFile, err)
        const all = items.concat(this.waiting)
        this.waiting = []
        this.onFailed(all, this.failure)
        return
      }
      this.onDurable(items)
      if (this.waiting.length > 0) this.start()
    })
  }

  /** Syncs everything committed, on this thread, then stops: what close needs. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const items = (this.inFlight ?? []).concat(this.waiting)
    this.inFlight = null
    this.waiting = []
    try {
      if (!this.failure) fs.fdatasyncSync(this.fd)
    } catch (e) {
      this.failure = new LogSyncError(this.walFile, e as Error)
    }
    if (this.failure) this.onFailed(items, this.failure)
    else this.onDurable(items)
    fs.closeSync(this.fd)
  }
}
