/**
 * The embedded event log: one SQLite file (WAL) in the data folder, one
 * writer process (it holds `log.lock`; other processes may read the file
 * meanwhile, as backup and check do). Appends that arrive in the same turn of the event loop are
 * committed in one transaction (group commit); each append resolves after
 * that commit, which with `durability: 'full'` (the default) has been synced
 * to disk: by an fdatasync of the WAL in libuv's thread pool, not inside the
 * commit (wal-sync.ts), so the event loop goes on while the disk works.
 * Nothing written and not yet synced is visible through this log.
 *
 * Entries are stored as segments: the entries of one room from one commit in
 * one row (see segment-codec). The global position (`seq`) is dense from 1,
 * and a cursor is that position as fixed-width hex, so cursors sort as strings.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { AppendInput, Cursor, EventLog, LogEntry, LogListener, Origin, ReadOptions, Snapshot } from './event-log.js'
import { START } from './event-log.js'
import { CorruptFileError, InvalidUpdateError, LogClosedError, LogFullError, LogLockedError, isCorruptionCode } from './errors.js'
import { ProcessLock } from './process-lock.js'
import { checkUpdate } from './update-format.js'
import { decodeSegment, encodeSegment, type SegmentItem } from './segment-codec.js'
import { SCHEMA, type SegmentRow, type Statements, prepareStatements } from './sqlite-statements.js'
import { type SyncFn, WalSync } from './wal-sync.js'
import { checkRoomName, cursorToSeq, seqToCursor } from './sqlite-cursor.js'

export { checkRoomName, cursorToSeq, seqToCursor }

export interface SqliteEventLogOptions {
  /** 'full' survives power loss (the WAL synced before any append resolves); 'normal' survives a killed process. */
  durability?: 'full' | 'normal'
  /** Snapshots kept per room; older ones are deleted after a newer one is stored. */
  keepSnapshots?: number
  /** Largest segment body; a commit with more bytes for one room is split. */
  maxSegmentBytes?: number
  /**
   * Open for reading only, beside a running writer (backup, check): takes no
   * lock, creates nothing, refuses appends.
   */
  readonly?: boolean
  /** Cap on the log file's size, in database pages (4 KiB); appends past it fail as a full disk would. */
  maxPages?: number
  /** The wall clock entries are stamped with (ms); injected by tests. Feed times never decrease whatever it does. */
  now?: () => number
  /** How the WAL is synced with durability 'full' (fdatasync); tests hold it to see what waits for it. */
  syncWal?: SyncFn
}

export const LOG_FILE = 'log.sqlite'
const OWNER_FILE = 'log.owner.json'
/** Held by the one writer process (see ProcessLock). */
export const LOG_LOCK_FILE = 'log.lock'
const DEFAULT_READ_LIMIT = 1000

interface Pending {
  room: string
  inputs: readonly AppendInput[]
  resolve: (cursors: Cursor[]) => void
  reject: (e: unknown) => void
}

/** One commit, written and waiting to be durable. */
interface Committed {
  batch: Pending[]
  results: Cursor[][]
  heads: Map<string, number>
  lastSeq: number
}

function lockedMessage(dir: string, holder: string): string {
  return `the event log in ${dir} is in use by ${holder}; one scenesync server owns a data folder (stop it, or pass another --data)`
}


export class SqliteEventLog implements EventLog {
  private readonly db: Database.Database
  private readonly durability: 'full' | 'normal'
  private readonly keepSnapshots: number
  private readonly maxSegmentBytes: number
  private readonly roomIds = new Map<string, number>()
  private readonly roomNames = new Map<number, string>()
  private readonly originIds = new Map<string, number>()
  private readonly origins = new Map<number, Origin>()
  private readonly listeners = new Set<LogListener>()
  private pending: Pending[] = []
  private flushScheduled = false
  private lastSeq: number
  /** The last position synced to disk: reads, heads and listeners show nothing past it. */
  private durableSeq: number
  private readonly walSync: WalSync<Committed> | null
  private lastTime: number
  private closed = false
  private readonly stmt: Statements
  private readonly readonly: boolean
  private readonly now: () => number
  private readonly lock: ProcessLock | null

  /** Opens (creating) the log in `dir`; throws LogLockedError if another process has it. */
  static open(dir: string, opts: SqliteEventLogOptions = {}): SqliteEventLog {
    fs.mkdirSync(dir, { recursive: true })
    return new SqliteEventLog(path.join(dir, LOG_FILE), opts)
  }

  /** Opens an existing log in `dir` for reading only, beside a running server. */
  static openReadOnly(dir: string, opts: Omit<SqliteEventLogOptions, 'readonly'> = {}): SqliteEventLog {
    return new SqliteEventLog(path.join(dir, LOG_FILE), { ...opts, readonly: true })
  }

  /** `file` may be ':memory:' for tests that need no durability. */
  constructor(
    readonly file: string,
    opts: SqliteEventLogOptions = {},
  ) {
    this.durability = opts.durability ?? 'full'
    this.keepSnapshots = opts.keepSnapshots ?? 2
    this.maxSegmentBytes = opts.maxSegmentBytes ?? 1 << 20
    this.readonly = opts.readonly ?? false
    this.now = opts.now ?? (() => Date.now())
    // One writer process: a second one fails at once with a clear error instead of interleaving.
    const dir = path.dirname(file)
    // 'full' syncs the WAL off the event loop (wal-sync.ts), so SQLite itself need not.
    const syncOffThread = this.durability === 'full' && !this.readonly && file !== ':memory:'
    this.lock =
      file === ':memory:' || this.readonly
        ? null
        : ProcessLock.acquire(path.join(dir, LOG_LOCK_FILE), path.join(dir, OWNER_FILE), (holder) => new LogLockedError(lockedMessage(dir, holder)))
    try {
      this.db = this.readonly ? new Database(file, { readonly: true, fileMustExist: true }) : new Database(file, { timeout: 0 })
      try {
        if (!this.readonly) {
          this.db.pragma('journal_mode = WAL')
          this.db.pragma(`synchronous = ${this.durability === 'full' && !syncOffThread ? 'FULL' : 'NORMAL'}`)
          if (opts.maxPages !== undefined) this.setMaxPages(opts.maxPages)
          this.db.exec(SCHEMA)
        } else if (!this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'segment'").get()) {
          throw new CorruptFileError(file, 'schema', 'it has no segment table: not a scenesync event log')
        }
        this.stmt = prepareStatements(this.db)
        this.loadCaches()
        const last = this.stmt.lastSegment.get() as { last_seq: number; time: number } | undefined
        this.lastSeq = last?.last_seq ?? 0
        this.durableSeq = this.lastSeq
        this.lastTime = last?.time ?? 0
        this.walSync = syncOffThread
          ? new WalSync<Committed>(`${file}-wal`, (items) => this.durable(items), (items, e) => this.failed(items, e), opts.syncWal)
          : null
      } catch (e) {
        this.db.close()
        throw e
      }
    } catch (e) {
      this.lock?.release()
      if (isCorruptionCode((e as { code?: string }).code)) throw new CorruptFileError(file, 'open', (e as Error).message)
      throw e
    }
  }

  /** Caps the log file at `pages` database pages (never below its current size). */
  setMaxPages(pages: number): void {
    this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(pages))}`)
  }

  append(room: string, inputs: readonly AppendInput[]): Promise<Cursor[]> {
    if (this.closed) return Promise.reject(new LogClosedError())
    if (this.readonly) return Promise.reject(new Error(`the event log ${this.file} is open read-only`))
    if (this.walSync?.failed) return Promise.reject(this.walSync.failed)
    try {
      checkRoomName(room)
      inputs.forEach((input, i) => {
        try {
          checkUpdate(input.update)
        } catch (e) {
          throw new InvalidUpdateError(i, (e as Error).message)
        }
        if (!Number.isSafeInteger(input.origin.client) || input.origin.client < 0 || typeof input.origin.user !== 'string') {
          throw new InvalidUpdateError(i, `origin must be { client: non-negative integer, user: string }, got ${JSON.stringify(input.origin)}`)
        }
      })
    } catch (e) {
      return Promise.reject(e)
    }
    if (inputs.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.pending.push({ room, inputs, resolve, reject })
      // While a sync runs, appends gather for the commit after it: commits as large as
      // when the commit itself waited for the disk, without the event loop waiting.
      if (!this.walSync?.busy) this.scheduleFlush()
    })
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.pending.length === 0) return
    this.flushScheduled = true
    setImmediate(() => this.flush())
  }

  /** Commits every pending append in one transaction. */
  private flush(): void {
    this.flushScheduled = false
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    const results: Cursor[][] = batch.map(() => [])
    const heads = new Map<string, number>()
    const before = { seq: this.lastSeq, time: this.lastTime }
    try {
      this.db.transaction(() => {
        // Time never decreases along the feed, so time ranges map to position ranges.
        const time = Math.max(this.now(), this.lastTime)
        const byRoom = new Map<string, Array<{ p: number; input: AppendInput }>>()
        batch.forEach((p, i) => {
          let list = byRoom.get(p.room)
          if (!list) byRoom.set(p.room, (list = []))
          for (const input of p.inputs) list.push({ p: i, input })
        })
        for (const [room, list] of byRoom) {
          const roomId = this.roomId(room)
          let items: SegmentItem[] = []
          let bytes = 0
          let first = this.lastSeq + 1
          const flushSegment = () => {
            const last = first + items.length - 1
            this.stmt.insertSegment.run(first, last, roomId, time, encodeSegment(items))
            this.lastSeq = last
            first = last + 1
            items = []
            bytes = 0
          }
          for (const { p, input } of list) {
            if (items.length > 0 && bytes + input.update.length > this.maxSegmentBytes) flushSegment()
            items.push({ originId: this.originId(input.origin), update: input.update })
            bytes += input.update.length
            results[p]!.push(seqToCursor(first + items.length - 1))
          }
          flushSegment()
          heads.set(room, this.lastSeq)
        }
        this.lastTime = time
      }).immediate()
    } catch (e) {
      this.lastSeq = before.seq
      this.lastTime = before.time
      // Ids cached inside the rolled-back transaction do not exist.
      this.loadCaches()
      const err = (e as { code?: string }).code === 'SQLITE_FULL' ? new LogFullError((e as Error).message) : e
      for (const p of batch) p.reject(err)
      return
    }
    const committed = { batch, results, heads, lastSeq: this.lastSeq }
    if (this.walSync) this.walSync.committed(committed)
    else this.durable([committed])
  }

  /** A reader beside the writer sees what the writer committed; the writer, what it synced. */
  private get visibleSeq(): number {
    return this.readonly ? Number.MAX_SAFE_INTEGER : this.durableSeq
  }

  /** `[L1]` Commits now on disk: visible, and their appends resolve. */
  private durable(items: Committed[]): void {
    for (const c of items) {
      this.durableSeq = c.lastSeq
      c.batch.forEach((p, i) => p.resolve(c.results[i]!))
      for (const [room, seq] of c.heads) for (const l of this.listeners) l(room, seqToCursor(seq))
    }
    if (!this.closed) this.scheduleFlush()
  }

  /** A sync failed: its commits, and the appends gathered behind it, fail with it. */
  private failed(items: Committed[], e: Error): void {
    for (const c of items) for (const p of c.batch) p.reject(e)
    const gathered = this.pending
    this.pending = []
    for (const p of gathered) p.reject(e)
  }

  /** (Re)reads the room names; origins are read lazily. */
  private loadCaches(): void {
    this.roomIds.clear()
    this.roomNames.clear()
    this.originIds.clear()
    this.origins.clear()
    for (const r of this.db.prepare('SELECT id, name FROM room').all() as Array<{ id: number; name: string }>) {
      this.roomIds.set(r.name, r.id)
      this.roomNames.set(r.id, r.name)
    }
  }

  private roomId(room: string): number {
    let id = this.roomIds.get(room)
    if (id === undefined) {
      id = Number(this.stmt.insertRoom.run(room).lastInsertRowid)
      this.roomIds.set(room, id)
      this.roomNames.set(id, room)
    }
    return id
  }

  private originId(origin: Origin): number {
    const key = `${origin.client}\u0000${origin.user}`
    let id = this.originIds.get(key)
    if (id === undefined) {
      const row = this.stmt.findOrigin.get(origin.client, origin.user) as { id: number } | undefined
      id = row ? row.id : Number(this.stmt.insertOrigin.run(origin.client, origin.user).lastInsertRowid)
      this.originIds.set(key, id)
      this.origins.set(id, { client: origin.client, user: origin.user })
    }
    return id
  }

  private origin(id: number): Origin {
    let o = this.origins.get(id)
    if (!o) {
      const row = this.stmt.getOrigin.get(id) as { client: number; user: string } | undefined
      if (!row) throw new Error(`corrupt log: unknown origin ${id}`)
      o = { client: row.client, user: row.user }
      this.origins.set(id, o)
    }
    return o
  }

  private roomName(id: number): string {
    const name = this.roomNames.get(id)
    if (name === undefined) throw new Error(`corrupt log: unknown room ${id}`)
    return name
  }

  private entries(rows: SegmentRow[], afterSeq: number, limit: number): LogEntry[] {
    const out: LogEntry[] = []
    for (const row of rows) {
      // Written but not yet synced: not there yet, for anyone.
      if (row.last_seq > this.visibleSeq) break
      const room = this.roomName(row.room_id)
      const items = decodeSegment(row.body)
      if (items.length !== row.last_seq - row.first_seq + 1) throw new Error(`corrupt log: segment ${row.first_seq} holds ${items.length} entries`)
      for (let i = 0; i < items.length && out.length < limit; i++) {
        const seq = row.first_seq + i
        if (seq <= afterSeq) continue
        out.push({ room, cursor: seqToCursor(seq), time: row.time, origin: this.origin(items[i]!.originId), update: items[i]!.update })
      }
      if (out.length >= limit) break
    }
    return out
  }

  async readRoom(room: string, after: Cursor, opts: ReadOptions = {}): Promise<LogEntry[]> {
    this.assertOpen()
    const roomId = this.roomIds.get(room)
    if (roomId === undefined) return []
    const afterSeq = cursorToSeq(after)
    const limit = opts.limit ?? DEFAULT_READ_LIMIT
    const rows = this.stmt.roomRead.all({ a: roomId, b: afterSeq, c: limit }) as SegmentRow[]
    return this.entries(rows, afterSeq, limit)
  }

  async readFeed(after: Cursor, opts: ReadOptions = {}): Promise<LogEntry[]> {
    this.assertOpen()
    const afterSeq = cursorToSeq(after)
    const limit = opts.limit ?? DEFAULT_READ_LIMIT
    const rows = this.stmt.feed.all({ a: afterSeq, b: limit }) as SegmentRow[]
    return this.entries(rows, afterSeq, limit)
  }

  async head(room?: string): Promise<Cursor> {
    this.assertOpen()
    if (room === undefined) return seqToCursor(this.durableSeq)
    const roomId = this.roomIds.get(room)
    if (roomId === undefined) return START
    const row = this.stmt.roomHead.get(roomId, this.visibleSeq) as { last_seq: number } | undefined
    return seqToCursor(row?.last_seq ?? 0)
  }

  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async putSnapshot(s: Snapshot): Promise<void> {
    this.assertOpen()
    if (this.readonly) throw new Error(`the event log ${this.file} is open read-only`)
    const seq = cursorToSeq(s.cursor)
    if (seq > this.durableSeq) throw new Error(`snapshot cursor ${s.cursor} is past the log head ${seqToCursor(this.durableSeq)}`)
    this.db.transaction(() => {
      const roomId = this.roomId(s.room)
      this.stmt.insertSnapshot.run(roomId, seq, s.state)
      this.stmt.pruneSnapshots.run({ a: roomId, b: this.keepSnapshots - 1 })
    })()
  }

  async getSnapshot(room: string, atOrBefore?: Cursor): Promise<Snapshot | null> {
    this.assertOpen()
    const roomId = this.roomIds.get(room)
    if (roomId === undefined) return null
    const seq = atOrBefore === undefined ? Number.MAX_SAFE_INTEGER : cursorToSeq(atOrBefore)
    const row = this.stmt.getSnapshot.get(roomId, seq) as { seq: number; state: Buffer } | undefined
    if (!row) return null
    return { room, cursor: seqToCursor(row.seq), state: new Uint8Array(row.state) }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.flush()
    // What was committed is synced and resolved before the file closes.
    this.walSync?.close()
    this.closed = true
    this.listeners.clear()
    this.db.close()
    this.lock?.release()
  }

  /**
   * Copies the log to `dest` with SQLite's online backup API, in one step: the
   * copy holds exactly the entries committed when it ran (appends go on
   * meanwhile). Resolves with the copy's head.
   */
  async backup(dest: string): Promise<Cursor> {
    this.assertOpen()
    // One step: returning the most pages makes the next step copy them all.
    await this.db.backup(dest, { progress: () => 0x7fffffff })
    const copy = new Database(dest, { readonly: true, fileMustExist: true })
    try {
      const row = copy.prepare('SELECT last_seq FROM segment ORDER BY first_seq DESC LIMIT 1').get() as { last_seq: number } | undefined
      return seqToCursor(row?.last_seq ?? 0)
    } finally {
      copy.close()
    }
  }

  /** Moves the WAL into the main file (the server does it on idle; benchmarks before measuring). */
  checkpoint(): void {
    this.assertOpen()
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  /** Bytes the log file and its WAL take on disk. */
  sizeOnDisk(): number {
    if (this.file === ':memory:') return 0
    let total = 0
    for (const f of [this.file, `${this.file}-wal`]) if (fs.existsSync(f)) total += fs.statSync(f).size
    return total
  }

  private assertOpen(): void {
    if (this.closed) throw new LogClosedError()
  }
}
