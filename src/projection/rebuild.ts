/**
 * `scenesync project --rebuild`: projects the whole log into a new database
 * file and swaps it in at the end, so a failed rebuild leaves the old
 * projection untouched. The new file is written without fsyncs (a crash
 * leaves only a temporary file behind), then synced once before the swap.
 * It holds the projection's lock throughout: a server projecting into the
 * file, even over a shared store, makes it fail before it touches anything.
 */
import fs from 'node:fs'
import type { EventLog } from '../log/event-log.js'
import { lockProjection } from './projection-lock.js'
import { Projector } from './projector.js'
import { openDatabase } from './sql.js'

export interface RebuildOptions {
  batchSize?: number
  /** Called after each committed batch with the entries projected so far. */
  onProgress?: (seq: number) => void
}

export async function rebuildProjection(log: EventLog, file: string, opts: RebuildOptions = {}): Promise<{ entries: number }> {
  const lock = lockProjection(file)
  try {
    return await rebuildLocked(log, file, opts)
  } finally {
    lock.release()
  }
}

async function rebuildLocked(log: EventLog, file: string, opts: RebuildOptions): Promise<{ entries: number }> {
  const tmp = `${file}.rebuild`
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true })
  const db = openDatabase(tmp, { fast: true })
  try {
    const projector = new Projector(log, db, { batchSize: opts.batchSize ?? 10_000, snapshotEvery: 0, worker: true })
    let entries: number
    try {
      entries = await projector.catchUp(opts.onProgress)
    } finally {
      await projector.stop()
    }
    db.close()
    const fd = fs.openSync(tmp, 'r+')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true })
    fs.renameSync(tmp, file)
    return { entries }
  } catch (e) {
    try {
      db.close()
    } catch {
      // Already closed: the error above is the one to report.
    }
    throw e
  }
}
