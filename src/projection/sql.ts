/**
 * The thin seam between the projection and SQLite: the few things the
 * projector and the queries use. better-sqlite3 satisfies it directly, so tests
 * run the same code on ':memory:' databases and the server on files.
 */
import Database from 'better-sqlite3'

export interface SqlStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  iterate(...params: unknown[]): IterableIterator<unknown>
}

export interface SqlDatabase {
  prepare(sql: string): SqlStatement
  exec(sql: string): void
  /** Wraps `fn` so that calling the result runs it in one transaction. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R
  close(): void
}

const WAL_CHECKPOINT_PAGES = 16_384

export interface OpenOptions {
  /** A rebuild writes into a new file it renames at the end, so it can skip fsyncs. */
  fast?: boolean
  readonly?: boolean
}

/** Opens a projection database (':memory:' for tests) with the pragmas it wants. */
export function openDatabase(file: string, opts: OpenOptions = {}): SqlDatabase {
  const db = new Database(file, { readonly: opts.readonly ?? false, timeout: 5000 })
  if (opts.fast) {
    // A new file nobody reads until it is complete and synced: no journal at all.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma('locking_mode = EXCLUSIVE')
    // The history B-tree takes inserts all over (one region per object): keep it in memory.
    db.pragma('cache_size = -524288')
  } else if (!opts.readonly) {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    // History is keyed (object, position), so every batch dirties a page per
    // object it touches, and a checkpoint writes each dirty page back once.
    // SQLite's default (every 1,000 pages, 4 MiB) checkpointed after nearly
    // every live batch, writing the same pages over and over: at 1,000 objects
    // that was a third of the projector's CPU and halved the live rate on the
    // core bench. Every 16,384 pages (64 MiB) a page absorbs many batches'
    // rows between write-backs; the WAL file is cut back to 64 MiB after each.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
    db.pragma(`journal_size_limit = ${WAL_CHECKPOINT_PAGES * 4096}`)
  }
  if (!opts.fast) db.pragma('cache_size = -65536')
  db.pragma('temp_store = MEMORY')
  return db as unknown as SqlDatabase
}

/**
 * Copies the database at `file` to `dest` with SQLite's online backup API, in
 * one step: the copy is the database as of one commit, even while another
 * process writes it, and writers are not held up (WAL).
 */
export async function backupDatabase(file: string, dest: string): Promise<void> {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    // One step: returning the most pages makes the next step copy them all.
    await db.backup(dest, { progress: () => 0x7fffffff })
  } finally {
    db.close()
  }
}
