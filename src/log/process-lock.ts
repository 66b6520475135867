/**
 * A lock one process holds for as long as it runs: a small SQLite file kept in
 * exclusive locking mode after a write. The operating system drops the lock
 * when the process ends, SIGKILL included, so there is never a stale lock to
 * clean up; a JSON file beside it only says who holds it, for the message.
 *
 * Holding the lock in a file of its own, rather than keeping the data file
 * itself exclusive, lets other processes read the data (backup, check, queries)
 * while one writer runs.
 */
import fs from 'node:fs'
import Database from 'better-sqlite3'

export class ProcessLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly ownerFile: string,
  ) {}

  /**
   * Takes the lock in `file`; if another process (or another open handle in
   * this one) holds it, calls `busy` with a description of the holder and
   * throws what it returns.
   */
  static acquire(file: string, ownerFile: string, busy: (holder: string) => Error): ProcessLock {
    const db = new Database(file, { timeout: 0 })
    try {
      db.pragma('locking_mode = EXCLUSIVE')
      // Its content does not matter: no journal file beside it.
      db.pragma('journal_mode = MEMORY')
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since TEXT); DELETE FROM holder;')
      db.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, new Date().toISOString())
    } catch (e) {
      db.close()
      if ((e as { code?: string }).code === 'SQLITE_BUSY') throw busy(holderOf(ownerFile))
      throw e
    }
    fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }))
    return new ProcessLock(db, ownerFile)
  }

  release(): void {
    if (!this.db.open) return
    fs.rmSync(this.ownerFile, { force: true })
    this.db.close()
  }
}

function holderOf(ownerFile: string): string {
  try {
    const o = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as { pid?: number; since?: string }
    if (o.pid) return `another process (pid ${o.pid}, since ${o.since})`
  } catch {
    // No owner file: say only what we know.
  }
  return 'another process'
}
