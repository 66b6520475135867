/**
 * The `EventLog` on FoundationDB (DESIGN "Event log"): several server
 * processes can share one log, each hearing the others' appends.
 *
 * This class validates at the edge and composes the parts: appender.ts
 * (group commit, idempotent appends, staging), reader.ts (paged reads),
 * tail.ts (watch + poll), snapshots.ts (pointers). It talks to FoundationDB
 * only through the `FdbDatabase` interface, so it never imports the binding.
 */
import type { AppendInput, Cursor, EventLog, LogEntry, LogListener, ReadOptions, Snapshot } from '../log/event-log.js'
import { InvalidUpdateError, LogClosedError } from '../log/errors.js'
import { checkUpdate } from '../log/update-format.js'
import { GroupCommitter, MAX_UPDATES_PER_APPEND } from './appender.js'
import { DEFAULT_POLICY, runTn, type FdbDatabase, type FdbLogger, type TnPolicy } from './binding.js'
import { MAX_VALUE_BYTES } from './chunking.js'
import { cursorFromHead, InvalidCursorError, isFdbCursor, versionstampFromCursor } from './cursor.js'
import { FdbKeys } from './keys.js'
import { DEFAULT_READ_LIMIT, LogReader } from './reader.js'
import { SnapshotStore } from './snapshots.js'
import { FeedTail } from './tail.js'

export interface FdbEventLogOptions {
  /** First element of every key's tuple; one prefix is one log. Default 'scenesync'. */
  prefix?: string
  logger?: FdbLogger
  /** Per doTn, ms. Default 4000 (FoundationDB ends transactions at 5 s anyway). */
  transactionTimeoutMs?: number
  /** doTn's own retries. Default 10. */
  retryLimit?: number
  /** doTn runs per operation before it fails. Default 3. */
  attempts?: number
  /** Poll interval of the feed tail, raced with the watch. Default 1000 ms. */
  pollMs?: number
  /** Bytes of keys and values per transaction. Default 512 KiB, well under the 1 MB FoundationDB advises. */
  maxTransactionBytes?: number
  /** Largest value written. Default 90,000 (the hard limit is 100,000). */
  maxValueBytes?: number
  /** Snapshots kept per room. Default 2. */
  keepSnapshots?: number
  /** Close the database handle on `close()`. */
  ownsDatabase?: boolean
}

const MAX_ROOM_CHARS = 256

function checkRoom(room: unknown): string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_CHARS) {
    throw new Error(`room must be a string of 1..${MAX_ROOM_CHARS} characters, got ${JSON.stringify(room)}`)
  }
  return room
}

function checkCursor(cursor: Cursor): Cursor {
  if (!isFdbCursor(cursor)) throw new InvalidCursorError(cursor)
  return cursor
}

function checkLimit(opts: ReadOptions): number {
  const limit = opts.limit ?? DEFAULT_READ_LIMIT
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`)
  return limit
}

export class FdbEventLog implements EventLog {
  readonly keys: FdbKeys
  private readonly policy: TnPolicy
  private readonly appender: GroupCommitter
  private readonly reader: LogReader
  private readonly snapshots: SnapshotStore
  private readonly tail: FeedTail
  private readonly listeners = new Set<LogListener>()
  /** The last cursor each room's listeners were told of: local commits and the tail both report, listeners hear each once. */
  private readonly told = new Map<string, Cursor>()
  private closed = false

  constructor(
    private readonly db: FdbDatabase,
    private readonly opts: FdbEventLogOptions = {},
  ) {
    this.keys = new FdbKeys(opts.prefix ?? 'scenesync')
    this.policy = {
      timeoutMs: opts.transactionTimeoutMs ?? DEFAULT_POLICY.timeoutMs,
      retryLimit: opts.retryLimit ?? DEFAULT_POLICY.retryLimit,
      attempts: opts.attempts ?? DEFAULT_POLICY.attempts,
      logger: opts.logger,
    }
    const maxTxnBytes = opts.maxTransactionBytes ?? 512 * 1024
    const maxValueBytes = opts.maxValueBytes ?? MAX_VALUE_BYTES
    this.reader = new LogReader(db, this.keys, this.policy)
    this.appender = new GroupCommitter(db, this.keys, { policy: this.policy, maxTxnBytes, maxValueBytes, logger: opts.logger }, (heads) => {
      for (const [room, cursor] of heads) this.tell(room, cursor)
    })
    this.snapshots = new SnapshotStore(db, this.keys, { policy: this.policy, maxTxnBytes, maxValueBytes, keep: opts.keepSnapshots ?? 2 })
    this.tail = new FeedTail(db, this.keys, this.reader, { pollMs: opts.pollMs ?? 1000, logger: opts.logger }, (room, cursor) => this.tell(room, cursor))
  }

  append(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]> {
    if (this.closed) return Promise.reject(new LogClosedError())
    try {
      checkRoom(room)
      if (inputs.length > MAX_UPDATES_PER_APPEND) throw new RangeError(`an append holds at most ${MAX_UPDATES_PER_APPEND} updates, got ${inputs.length}`)
      inputs.forEach((input, i) => {
        try {
          checkUpdate(input.update)
        } catch (e) {
          throw new InvalidUpdateError(i, (e as Error).message)
        }
        const { origin } = input
        if (!origin || !Number.isSafeInteger(origin.client) || origin.client < 0 || typeof origin.user !== 'string') {
          throw new InvalidUpdateError(i, `origin must be { client: non-negative integer, user: string }, got ${JSON.stringify(origin)}`)
        }
      })
    } catch (e) {
      return Promise.reject(e)
    }
    if (inputs.length === 0) return Promise.resolve([])
    return this.appender.enqueue(room, inputs)
  }

  async readRoom(room: string, after: Cursor, opts: ReadOptions = {}): Promise<LogEntry[]> {
    this.assertOpen()
    return this.reader.readRoom(checkRoom(room), checkCursor(after), checkLimit(opts))
  }

  async readFeed(after: Cursor, opts: ReadOptions = {}): Promise<LogEntry[]> {
    this.assertOpen()
    return this.reader.readFeed(checkCursor(after), checkLimit(opts))
  }

  async head(room?: string): Promise<Cursor> {
    this.assertOpen()
    return this.reader.head(room === undefined ? undefined : checkRoom(room))
  }

  /**
   * Local appends are told at once; other processes' through the feed tail,
   * which starts at the head it first reads. Listeners are hints: subscribe,
   * then read on from your own cursor, and nothing is missed.
   */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener)
    if (!this.closed) this.tail.start()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) void this.tail.stop()
    }
  }

  async putSnapshot(snapshot: Snapshot): Promise<void> {
    this.assertOpen()
    checkRoom(snapshot.room)
    versionstampFromCursor(snapshot.cursor)
    if (!(snapshot.state instanceof Uint8Array)) throw new TypeError('snapshot state must be bytes (Uint8Array)')
    await this.snapshots.put(snapshot)
  }

  async getSnapshot(room: string, atOrBefore?: Cursor): Promise<Snapshot | null> {
    this.assertOpen()
    return this.snapshots.get(checkRoom(room), atOrBefore === undefined ? undefined : checkCursor(atOrBefore))
  }

  /** A projector's position, kept beside the log so the oldest one bounds what may be trimmed. */
  async getProjectorCursor(projector: string): Promise<Cursor> {
    this.assertOpen()
    const key = this.keys.projector(projector)
    return cursorFromHead(await runTn(this.db, 'projector cursor', this.policy, (tn) => tn.snapshot().get(key)))
  }

  async setProjectorCursor(projector: string, cursor: Cursor): Promise<void> {
    this.assertOpen()
    const key = this.keys.projector(projector)
    const value = versionstampFromCursor(cursor)
    await runTn(this.db, 'projector cursor', this.policy, async (tn) => tn.set(key, value))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.appender.idle()
    this.listeners.clear()
    await this.tail.stop()
    if (this.opts.ownsDatabase) this.db.close?.()
  }

  private tell(room: string, cursor: Cursor): void {
    if ((this.told.get(room) ?? '') >= cursor) return
    this.told.set(room, cursor)
    for (const l of this.listeners) {
      try {
        l(room, cursor)
      } catch (e) {
        // A listener's failure is its own: the append it hears of is committed either way.
        this.opts.logger?.warn('event log listener threw', { room, cursor, error: (e as Error).message })
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LogClosedError()
  }
}
